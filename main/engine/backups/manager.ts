/**
 * Backups as the API sees them: starting backup and restore jobs (after checking what can be checked at once, so
 * a mistake is an immediate error rather than a failed job), listing, showing, deleting and pruning.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_ACCOUNT, type AccountManager } from '../accounts/manager';
import type { Backup, BackupFolder, Job } from '../../shared/schemas';
import { LifeboatError } from '../../shared/errors';
import type { BackupParams } from './backup-job';
import type { JobRunner } from '../jobs/runner';
import type { BackupSource } from '../repo/backup';
import { noSuchSource } from '../repo/snapshot';
import { realPath, within } from '../placement';
import { othersLeases, withLease } from '../accounts/locks';
import type { WorkerPool } from '../workers/pool';
import { pooledPrune, runInPool } from './maintenance';
import { pruneAccount, type Retention } from './prune';

/** Source names are the folders' and images' base names, made unique with a suffix. */
export function namedSources(paths: string[]): BackupSource[] {
  const out: BackupSource[] = [];
  const used = new Set<string>();
  for (const p of paths) {
    if (!path.isAbsolute(p)) throw new LifeboatError('invalid_input', `source: give an absolute path (got ${p}).`);
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      throw new LifeboatError(
        'not_found',
        `The source ${p} does not exist.`,
        'Check the path of the folder or image file to back up.',
      );
    }
    if (!st.isDirectory() && !st.isFile())
      throw new LifeboatError('invalid_input', `source: ${p} is neither a folder nor a file.`);
    const base = path.basename(p) || 'root';
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
    used.add(name);
    // A folder is a share (a tree); a single file is backed up as a volume image (fixed blocks, holes kept).
    out.push({ name, path: path.resolve(p), kind: st.isDirectory() ? 'tree' : 'image' });
  }
  return out;
}

/** Refuses a restore target it does not allow (devices: only into an online share or volume of an online device). */
export type RestoreGuard = (to: string, sources: string[], overwrite: boolean) => void;

export class BackupManager {
  private readonly guards: RestoreGuard[] = [];

  constructor(
    private readonly accounts: AccountManager,
    private readonly runner: JobRunner,
  ) {}

  guardRestores(guard: RestoreGuard): void {
    this.guards.push(guard);
  }

  private accountName(id: string): string {
    return this.accounts.store.byId(id)?.name ?? id;
  }

  async create(input: { account?: string; source: string[]; label?: string }): Promise<Job> {
    const row = input.account ? this.accounts.store.require(input.account) : await this.accounts.ensureDefault();
    if (input.account === undefined && row.name !== DEFAULT_ACCOUNT)
      throw new LifeboatError('internal', 'The default account could not be created.');
    const params: BackupParams = {
      accountId: row.id,
      accountName: row.name,
      sources: namedSources(input.source),
      label: input.label,
    };
    return this.runner.create('backup.create', params);
  }

  list(account?: string): Backup[] {
    const id = account ? this.accounts.store.require(account).id : undefined;
    return this.accounts.catalog.list(id).map((r) => this.accounts.catalog.toBackup(r, this.accountName(r.account_id)));
  }

  show(id: string): Backup {
    const row = this.accounts.catalog.require(id);
    return this.accounts.catalog.toBackup(row, this.accountName(row.account_id));
  }

  restore(input: {
    id: string;
    to: string;
    source?: string[];
    path?: string;
    overwrite: boolean;
    priority?: string[];
  }): Job {
    const backup = this.accounts.catalog.require(input.id);
    const account = this.accounts.store.byId(backup.account_id)!;
    if (!path.isAbsolute(input.to))
      throw new LifeboatError('invalid_input', `to: give an absolute path (got ${input.to}).`);
    const sources = JSON.parse(backup.sources) as Array<{ name: string; path: string | null }>;
    const names = sources.map((s) => s.name);
    for (const s of input.source ?? []) if (!names.includes(s)) throw noSuchSource(input.id, s, names);
    // Into a source that still exists, the restore would write into the data it restores (and the next backup of
    // that source would hold the restored copy too).
    const dest = realPath(input.to);
    for (const s of sources) {
      if (!s.path || !fs.existsSync(s.path) || !within(dest, realPath(s.path))) continue;
      throw new LifeboatError(
        'not_allowed',
        `to: ${input.to} is ${dest === realPath(s.path) ? '' : 'inside '}the source ${s.name} of the backup ${input.id} (${s.path}), which still exists.`,
        "Restore into a folder outside the backup's sources, then copy back what you need (or restore to the parent folder with --overwrite to replace it).",
      );
    }
    // Checked before the job exists: a restore writes into to/<source> for each source it restores.
    for (const guard of this.guards) guard(input.to, input.source?.length ? input.source : names, input.overwrite);
    let entries: string[] = [];
    try {
      entries = fs.readdirSync(input.to);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new LifeboatError('invalid_input', `to: ${input.to} is not a folder that can be read.`);
    }
    if (entries.length && !input.overwrite)
      throw new LifeboatError(
        'conflict',
        `The folder ${input.to} is not empty.`,
        'Choose an empty folder, or restore with --overwrite to replace what is there.',
      );
    return this.runner.create('backup.restore', {
      accountId: account.id,
      accountName: account.name,
      backupId: input.id,
      to: path.resolve(input.to),
      sources: input.source?.length ? input.source : undefined,
      path: input.path,
      overwrite: input.overwrite,
      priority: input.priority,
    });
  }

  /** A folder of a backup, listed in the worker pool (a manifest can be hundreds of MB). */
  async files(
    input: { id: string; source?: string; path: string; limit: number },
    workers: WorkerPool,
  ): Promise<BackupFolder> {
    const backup = this.accounts.catalog.require(input.id);
    const account = this.accounts.store.byId(backup.account_id)!;
    return runInPool(workers, { ...this.accounts.repoTarget(account), op: 'snapshot-files', ...input });
  }

  /** Deletes the backup's manifest; the data only it used is freed by the next prune. */
  async delete(id: string): Promise<{ deleted: string; account: string }> {
    const backup = this.accounts.catalog.require(id);
    const account = this.accounts.store.byId(backup.account_id)!;
    await this.accounts.withExclusive(account.id, async () => {
      const repo = await this.accounts.repository(account, { loadIndex: false });
      await repo.backend.delete(`snapshots/${id}`);
      this.accounts.catalog.delete(id);
    });
    return { deleted: id, account: account.name };
  }

  /** The manifest and pack work runs in `workers` when given (the engine's pool), else in this thread. */
  async prune(input: { account: string; dryRun: boolean; maxUnused?: number } & Retention, workers?: WorkerPool) {
    const row = this.accounts.store.require(input.account);
    if (input.keepDaily + input.keepWeekly + input.keepMonthly + input.keepLast === 0)
      throw new LifeboatError(
        'invalid_input',
        'keepDaily: keep at least one backup (--keep-last, --keep-daily, --keep-weekly or --keep-monthly).',
      );
    const jobs = this.accounts.activeJobs(row.id);
    if (jobs.length && !input.dryRun)
      throw new LifeboatError(
        'busy',
        `Jobs are using the storage account "${row.name}": ${jobs.join(', ')}.`,
        'Prune once they have ended.',
      );
    return this.accounts.withExclusive(row.id, async () => {
      const repo = await this.accounts.repository(row, { loadIndex: false });
      const ops = workers ? pooledPrune(workers, this.accounts.repoTarget(row)) : undefined;
      if (input.dryRun)
        return pruneAccount(
          repo,
          this.accounts.catalog,
          row,
          { ...input, busyWith: [...jobs, ...(await othersLeases(repo.backend))] },
          ops,
        );
      return withLease(repo.backend, 'exclusive', 'prune', () =>
        pruneAccount(repo, this.accounts.catalog, row, input, ops),
      );
    });
  }
}
