/**
 * What a backup holds, a folder at a time: how a user finds the file or folder to restore without knowing its path.
 * A manifest lists every entry of a source by path, so a folder's listing is one pass over it, with each subfolder's
 * files and bytes summed on the way.
 */
import type { BackupFolder } from '../../shared/schemas';
import { LifeboatError } from '../../shared/errors';
import { noSuchSource, type SnapshotManifest } from '../repo/snapshot';

type FolderEntry = BackupFolder['entries'][number];

const time = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export function listFolder(m: SnapshotManifest, input: { source?: string; path: string; limit: number }): BackupFolder {
  const source = input.source === undefined ? m.sources[0] : m.sources.find((s) => s.name === input.source);
  if (!source)
    throw noSuchSource(
      m.id,
      input.source,
      m.sources.map((s) => s.name),
    );
  const folder = input.path.replace(/^\/+|\/+$/g, '');
  if (source.kind === 'image') {
    if (folder)
      throw new LifeboatError(
        'invalid_input',
        `path: ${source.name} is a volume image, restored whole; it has no folders.`,
        'Leave out --path for an image.',
      );
    const entry: FolderEntry = {
      name: source.name,
      path: '',
      type: 'file',
      size: source.size,
      files: 1,
      modifiedAt: time(source.mtimeMs),
    };
    return { backup: m.id, source: source.name, kind: 'image', path: '', total: 1, entries: [entry] };
  }
  const prefix = folder ? `${folder}/` : '';
  const children = new Map<string, FolderEntry>();
  let found = !folder;
  for (const e of source.entries) {
    if (e.path === folder) {
      if (e.type !== 'dir')
        throw new LifeboatError(
          'invalid_input',
          `path: ${folder} in ${source.name} is a ${e.type === 'file' ? 'file' : 'link'}, not a folder.`,
          'Give the folder that holds it; a file is restored with restore --path.',
        );
      found = true;
      continue;
    }
    if (!e.path.startsWith(prefix)) continue;
    found = true;
    const rest = e.path.slice(prefix.length);
    const slash = rest.indexOf('/');
    const name = slash < 0 ? rest : rest.slice(0, slash);
    let child = children.get(name);
    if (!child)
      children.set(name, (child = { name, path: prefix + name, type: 'dir', size: 0, files: 0, modifiedAt: null }));
    if (slash < 0) {
      child.type = e.type;
      child.modifiedAt = time(e.mtimeMs);
    }
    if (e.type === 'file') {
      child.size += e.size ?? 0;
      child.files++;
    }
  }
  if (!found)
    throw new LifeboatError(
      'not_found',
      `Backup ${m.id} has no folder "${folder}" in ${source.name}.`,
      'List its top folder first (without --path), then go down one folder at a time.',
    );
  // Folders first, then by name, as a file manager shows them.
  const sorted = [...children.values()].sort(
    (a, b) => Number(b.type === 'dir') - Number(a.type === 'dir') || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  return {
    backup: m.id,
    source: source.name,
    kind: 'tree',
    path: folder,
    total: sorted.length,
    entries: sorted.slice(0, input.limit),
  };
}
