/**
 * Restoring a snapshot into a folder: sources/<name> becomes targetDir/<name> (a folder for a share, a file for a
 * volume). Each distinct chunk is fetched once, verified against its id, and written to every place it occurs.
 * Chunks are fetched in priority order (the caller's `order`), then pack by pack in the order the restore first needs
 * each pack, adjacent blobs of a pack in one ranged read. Volumes come back sparse: the file is sized with ftruncate
 * and only data extents are written.
 *
 * Pipeline (one thread): reads run a few ahead; each chunk is decrypted and decompressed straight into a reused slab
 * and checked; runs of consecutive chunks per file are written by a few vectored writes at once (restore-runs.ts),
 * while files are created in the background in the order they are first written (restore-create.ts); a small file of a
 * new restore is instead created, written and closed in one synchronous pass once its data is decoded (writeWhole).
 *
 * Resuming: the progress callback hands out a RestoreState, a bitmap of the chunks already written over the restore's
 * fixed chunk order (restore-state.ts). Writes are not flushed one by one (that would make restores several times
 * slower than cp); instead a resumed restore reads each "done" chunk back from the target and re-checks its id, so
 * anything the OS lost in a crash is fetched again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LifeboatError } from '../../shared/errors';
import type { Repository } from './repository';
import { loadSnapshot, noSuchSource, type SnapshotManifest, type SourceManifest, type TreeEntry } from './snapshot';
import {
  applyMetadata,
  createLinks,
  DIRECT_MAX,
  dropStaleDamaged,
  prepareTree,
  setAsideDamaged,
  sparseOffsets,
  type FileTarget,
  type Placement,
} from './restore-files';
import { createTargets, firstWritten } from './restore-create';
import { checkEntries, checkSourceName, pathHint } from './restore-paths';
import { RestoreRun, type RestoreLayout } from './restore-run';
import type { AnyRestoreState, RestoreState } from './restore-state';

export type { AnyRestoreState, LegacyRestoreState, RestoreState } from './restore-state';
export { restoreHandlesOpen } from './restore-runs';
export { minOf } from './restore-create';

export interface RestoreItem {
  source: string;
  kind: 'file' | 'image';
  /** Path within the source ("" for a volume image). */
  path: string;
  /** Byte offset within the file or image. */
  offset: number;
}

export interface RestoreProgress {
  filesTotal: number;
  filesDone: number;
  bytesTotal: number;
  bytesWritten: number;
  chunksTotal: number;
  chunksDone: number;
  bytesFetched: number;
  damagedFiles: number;
}

export interface RestoreOptions {
  sources?: string[];
  /** Restore only this path (a file or folder) of tree sources, e.g. "projects/2024". */
  path?: string;
  /** Lower numbers come first: hot files and hot volume blocks by the device's heat map. */
  order?: (item: RestoreItem) => number;
  onProgress?: (p: RestoreProgress, state: RestoreState) => void;
  signal?: AbortSignal;
  /** A state from onProgress, or the chunk-id list of earlier versions. */
  resumeState?: AnyRestoreState;
  overwrite?: boolean;
  /** Parallel ranged reads from the account. */
  concurrency?: number;
  /** Stored bytes fetched between two progress reports (resume points); default 32 MiB. */
  batchBytes?: number;
}

/** A file whose backup data is damaged: not restored whole, and set aside so it cannot pass for restored. */
export interface DamagedFile {
  source: string;
  path: string;
  /** The first damaged chunk of the file, and why. */
  chunk: string;
  reason: string;
  /** Damaged chunks of the file. */
  chunks: number;
  /** Where its partial copy was kept (NAME.damaged); absent when it was removed instead. */
  keptAs?: string;
}

export interface RestoreResult {
  files: number;
  bytes: number;
  chunks: number;
  bytesFetched: number;
  damaged: DamagedFile[];
}

const BATCH_BYTES = 32 << 20;

export async function restoreSnapshot(
  repo: Repository,
  snapshotId: string,
  targetDir: string,
  opts: RestoreOptions = {},
): Promise<RestoreResult> {
  const manifest = await loadSnapshot(repo, snapshotId);
  const resume = opts.resumeState?.snapshotId === snapshotId ? opts.resumeState : undefined;
  // A resumed or overwriting restore keeps what the target holds; a new one starts from an empty folder.
  const keep = !!resume || !!opts.overwrite;
  const selection = selectEntries(repo, snapshotId, manifest, opts);
  await prepareTarget(targetDir, keep);
  const layout = await layOutTargets(repo, selection, targetDir, keep);
  const run = new RestoreRun(repo, snapshotId, layout.files, layout.placements, opts);
  if (resume) await run.verifyResumed(resume);
  const todo = run.orderChunks();
  // A new restore creates its files while the first chunks are fetched and decoded, in the order they are written:
  // creating a file costs the kernel about as much as writing 300 KB, so done up front it left the disk idle.
  const creation = resume
    ? undefined
    : createTargets(
        firstWritten(todo, layout.placements, layout.files).filter((f) => !f.direct),
        keep,
        false,
      );
  run.formBatches(todo, opts.batchBytes ?? BATCH_BYTES);
  await run.fetchAndWrite(creation);
  await finishTargets(layout, run.damaged, resume);
  run.report();
  return resultOf(run, layout);
}

/** The chosen sources, and of each tree source the entries within the asked path, checked; sparse files' offsets. */
interface Selection {
  snapshotId: string;
  chosen: SourceManifest[];
  /** The asked path without slashes around it, if any. */
  wanted?: string;
  /** The asked path as given, for messages. */
  asked?: string;
  entries: Map<SourceManifest, TreeEntry[]>;
  sparseAt: Map<TreeEntry, number[]>;
}

/** Plan stage: every name the restore will use is checked before anything is written (restore-paths.ts says why). */
function selectEntries(
  repo: Repository,
  snapshotId: string,
  manifest: SnapshotManifest,
  opts: RestoreOptions,
): Selection {
  const chosen = manifest.sources.filter((s) => !opts.sources || opts.sources.includes(s.name));
  if (opts.sources)
    for (const n of opts.sources)
      if (!chosen.some((s) => s.name === n))
        throw noSuchSource(
          snapshotId,
          n,
          manifest.sources.map((s) => s.name),
        );
  // A path is inside the sources, with or without slashes around it.
  const wanted = opts.path?.replace(/^\/+|\/+$/g, '');
  const within = (p: string) => !wanted || p === wanted || p.startsWith(`${wanted}/`);
  const selected = new Map<SourceManifest, TreeEntry[]>();
  const sparseAt = new Map<TreeEntry, number[]>();
  for (const source of chosen) {
    checkSourceName(snapshotId, source.name);
    if (source.kind !== 'tree') continue;
    const entries = wanted ? source.entries.filter((e) => within(e.path)) : source.entries;
    checkEntries(snapshotId, source.name, entries);
    selected.set(source, entries);
    // A sparse file's chunks step over its holes, which stay holes (sized by ftruncate, never written).
    for (const e of entries)
      if (e.holes?.length)
        sparseAt.set(
          e,
          sparseOffsets(snapshotId, source.name, e, (c) => repo.locate(c).rawLength),
        );
  }
  return { snapshotId, chosen, wanted, asked: opts.path, entries: selected, sparseAt };
}

/** The target folder exists, and is empty unless the restore keeps what is there. */
async function prepareTarget(targetDir: string, keep: boolean): Promise<void> {
  await fs.promises.mkdir(targetDir, { recursive: true });
  if (!keep && (await fs.promises.readdir(targetDir)).length > 0)
    throw new LifeboatError(
      'conflict',
      `The folder ${targetDir} is not empty.`,
      'Choose an empty folder, or restore with --overwrite.',
    );
}

/**
 * Layout stage: folders are made now; files (created as they are first written) and links (made last) become targets,
 * and every chunk gets its places (file and offset).
 */
async function layOutTargets(
  repo: Repository,
  sel: Selection,
  targetDir: string,
  keep: boolean,
): Promise<RestoreLayout> {
  const { snapshotId, chosen, wanted } = sel;
  const layout: RestoreLayout = { files: [], placements: new Map(), dirs: [], links: [] };
  const { files, placements } = layout;
  const place = (chunk: string, p: Placement) =>
    (placements.get(chunk) ?? placements.set(chunk, []).get(chunk)!).push(p);
  // A path is looked for in every chosen folder source (an image has none), and restored from those that hold it.
  let holding = false;
  for (const source of chosen) {
    const root = path.join(targetDir, source.name);
    if (source.kind === 'tree') {
      const entries = sel.entries.get(source)!;
      if (wanted && !entries.length) continue;
      holding = true;
      await prepareTree(root, entries, layout.dirs, files, layout.links, source.name);
      for (const f of files) {
        if (f.source !== source.name || f.placed) continue;
        f.placed = true;
        const at = sel.sparseAt.get(f.entry);
        const chunks = f.entry.chunks ?? [];
        // Small files of a new restore are written whole in one pass of synchronous calls (writeWhole).
        f.direct = !keep && !at && chunks.length <= 1 && (f.entry.size ?? 0) <= DIRECT_MAX;
        for (let i = 0, offset = 0; i < chunks.length; i++) {
          if (at) offset = at[i];
          place(chunks[i], {
            file: f,
            offset,
            item: { source: source.name, kind: 'file', path: f.entry.path, offset },
          });
          offset += repo.locate(chunks[i]).rawLength;
        }
      }
    } else if (!wanted) {
      const entry: TreeEntry = {
        path: '',
        type: 'file',
        mode: source.mode,
        mtimeMs: source.mtimeMs,
        size: source.size,
      };
      const f: FileTarget = { source: source.name, full: root, entry, remaining: 0, placed: true };
      files.push(f);
      for (const e of source.extents)
        if (e.chunk)
          place(e.chunk, {
            file: f,
            offset: e.offset,
            item: { source: source.name, kind: 'image', path: '', offset: e.offset },
          });
    }
  }
  if (wanted && !holding) {
    const message = `Backup ${snapshotId} has no path "${sel.asked}" in ${chosen.map((s) => s.name).join(', ')}.`;
    // Final, as a backup never changes: resuming the job would only fail again.
    throw new LifeboatError('not_found', message, pathHint(snapshotId, wanted, chosen), { final: true });
  }
  return layout;
}

/** Metadata stage, once every file is written and closed: links, damaged files set aside, folder times. */
async function finishTargets(
  layout: RestoreLayout,
  damaged: Map<FileTarget, DamagedFile>,
  resume: AnyRestoreState | undefined,
): Promise<void> {
  const { files } = layout;
  // Links once every file is written and closed: nothing is ever written through a link the restore made.
  await createLinks(layout.links);
  // Damaged files are renamed NAME.damaged (or removed) rather than left looking restored; a resumed restore that
  // wrote one whole drops what an earlier attempt set aside of it.
  if (damaged.size || resume) {
    const targets = new Set(files.map((f) => f.full));
    const taken = (p: string) => targets.has(p);
    for (const [f, d] of damaged) d.keptAs = await setAsideDamaged(f.full, taken);
    if (resume) for (const f of files) if (!f.damaged && !taken(`${f.full}.damaged`)) dropStaleDamaged(f.full);
  }
  // Folder times last: creating entries inside a folder changes its mtime. Deepest first.
  for (const d of layout.dirs.sort((a, b) => b.full.length - a.full.length)) await applyMetadata(d.full, d.entry);
}

/** Report stage: the result, or an error listing the damaged files (everything else was restored). */
function resultOf(run: RestoreRun, layout: RestoreLayout): RestoreResult {
  const list = [...run.damaged.values()];
  if (list.length) {
    const names = list.map((d) => `${d.source}/${d.path}`);
    const shown = `${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''}`;
    const err = new LifeboatError(
      'io_error',
      `${names.length} file(s) could not be restored because their backup data is damaged: ${shown}.`,
      'Everything else was restored; each damaged file is kept beside it as NAME.damaged with what could be restored (the job lists them). ' +
        'Run `lifeboat account check --read-data` and restore these files from another backup.',
    );
    throw Object.assign(err, { damaged: list });
  }
  const { progress } = run;
  return {
    files: layout.files.length,
    bytes: progress.bytesWritten,
    chunks: layout.placements.size,
    bytesFetched: progress.bytesFetched,
    damaged: list,
  };
}
