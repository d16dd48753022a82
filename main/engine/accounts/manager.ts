/**
 * Storage accounts: add (validate with a probe, then open or create the repository with the service's SDEK), edit
 * credentials, test, remove, and rebuild the backup catalog from an account alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CallOutput } from '../../shared/contract';
import type { CatalogRebuild, ProbeResult, StorageAccount } from '../../shared/schemas';
import { BackupCatalog } from '../backups/catalog';
import type { Db } from '../db/database';
import { LifeboatError } from '../../shared/errors';
import type { JobStore } from '../jobs/store';
import { newId } from '../keys';
import type { Logger } from '../log';
import { runInPool, scanCatalog, type RepoTarget } from '../backups/maintenance';
import { describeOverlap, findOverlap, type Place } from '../placement';
import { Repository } from '../repo/repository';
import type { SecretStore } from '../secrets';
import type { ServiceManager } from '../service';
import type { Settings } from '../settings';
import type { StorageBackend } from '../storage/backend';
import { azureLocation, openBackend, type AzureCredentials, type BackendSpec } from '../storage/open';
import { withLease, type LeaseInfo } from './locks';
import type { WorkerPool } from '../workers/pool';
import { AccountStore, type AccountRow } from './store';

export interface AccountInput extends AzureCredentials {
  name: string;
  kind?: 'local' | 'azure';
  local?: string;
  azure?: boolean;
  container?: string;
  createContainer?: boolean;
}

type Target = {
  spec: BackendSpec;
  fields: Pick<AccountRow, 'kind' | 'location' | 'container' | 'auth' | 'endpoint' | 'account_name'>;
  creds: AzureCredentials;
};

/** The embedded default account lives in the data directory: backups work with no set-up at all. */
export const DEFAULT_ACCOUNT = 'default';

/** Other modules' places a local account's folder must stay clear of (the engine adds the devices' data roots). */
export type PlacesSource = () => Place[];

/** Another module whose records refer to accounts (the devices): who still uses one, and letting go of it on removal. */
export interface AccountUser {
  /** The name of a live record that uses the account, which blocks its removal; undefined when none does. */
  usedBy(accountId: string): string | undefined;
  /** Drops the references that may outlive the account (run inside the removal's transaction). */
  release(accountId: string): void;
}

/** What another module adds to a catalog rebuild (the devices brings back its device records: devices/records.ts). */
export type RebuildHook = (
  account: AccountRow,
  repo: Repository,
) => Promise<Pick<CatalogRebuild, 'devices' | 'notice'>>;

export class AccountManager {
  readonly store: AccountStore;
  readonly catalog: BackupCatalog;
  /** Accounts under maintenance (prune) in this process: backups wait for it instead of racing its deletes. */
  private readonly exclusive = new Set<string>();
  private readonly placeSources: PlacesSource[] = [];
  private readonly rebuildHooks: RebuildHook[] = [];
  private readonly users: AccountUser[] = [];

  constructor(
    readonly db: Db,
    secrets: SecretStore,
    private readonly service: ServiceManager,
    private readonly dataDir: string,
    private readonly log: Logger,
    /** The jobs' store: which jobs still work on an account. */
    private readonly jobs: JobStore,
    /** The settings store (the catalog keeps each backup's problem there). */
    settings: Settings,
    /** The engine's worker pool: manifests are read there, off the event loop. Tests may leave it out. */
    private readonly workers?: WorkerPool,
  ) {
    this.store = new AccountStore(db, secrets);
    this.catalog = new BackupCatalog(db, settings);
  }

  /** Registers a module whose records refer to accounts (see AccountUser). */
  usedThrough(user: AccountUser): void {
    this.users.push(user);
  }

  keepClearOf(source: PlacesSource): void {
    this.placeSources.push(source);
  }

  /**
   * A folder the user chose must stay clear of the data directory, other accounts and device data roots: a backup
   * of a share would hold its own account, and removing one would delete the other's files.
   */
  private checkFolder(folder: string, self?: AccountRow): void {
    const clash = findOverlap(folder, [
      { path: this.dataDir, what: "Lifeboat's data directory" },
      ...this.store
        .all()
        .filter((a) => a.kind === 'local' && a.id !== self?.id)
        .map((a) => ({ path: a.location, what: `the folder of the storage account ${a.name}` })),
      ...this.placeSources.flatMap((source) => source()),
    ]);
    if (clash)
      throw new LifeboatError(
        'conflict',
        `local: ${describeOverlap(folder, clash)}`,
        "Choose a folder of its own, outside Lifeboat's data directory, other accounts' folders and devices' data roots.",
      );
  }

  /** Turns the add/edit input into a backend spec and the row's non-secret fields; refuses contradictions. */
  private target(input: AccountInput): Target {
    const azureFields = ['connectionString', 'accountName', 'accountKey', 'endpoint', 'sasUrl', 'container'] as const;
    const kind = input.kind ?? (input.azure || azureFields.some((f) => input[f]) ? 'azure' : 'local');
    if (kind === 'local') {
      if (input.azure)
        throw new LifeboatError('invalid_input', 'local: an account is either --local DIR or --azure, not both.');
      const folder = input.local ?? path.join(this.dataDir, 'accounts', input.name);
      if (!path.isAbsolute(folder))
        throw new LifeboatError('invalid_input', `local: give an absolute folder path (got ${folder}).`);
      return {
        spec: { kind: 'local', folder },
        fields: { kind, location: folder, container: null, auth: null, endpoint: null, account_name: null },
        creds: {},
      };
    }
    if (input.local)
      throw new LifeboatError('invalid_input', 'local: an account is either --local DIR or --azure, not both.');
    const creds: AzureCredentials = {
      connectionString: input.connectionString,
      accountName: input.accountName,
      accountKey: input.accountKey,
      endpoint: input.endpoint,
      sasUrl: input.sasUrl,
    };
    const ways = [creds.connectionString, creds.accountKey || creds.accountName, creds.sasUrl].filter(Boolean).length;
    if (ways !== 1)
      throw new LifeboatError(
        'invalid_input',
        `connectionString: give exactly one of --connection-string, --account-name with --account-key, or --sas-url (got ${ways}).`,
      );
    if (creds.accountName && !creds.accountKey)
      throw new LifeboatError('invalid_input', 'accountKey: --account-name needs --account-key.');
    if (creds.accountKey && !creds.accountName)
      throw new LifeboatError('invalid_input', 'accountName: --account-key needs --account-name.');
    let container = input.container;
    if (!container && creds.sasUrl)
      container = decodeURIComponent(new URL(creds.sasUrl).pathname.split('/').filter(Boolean).at(-1) ?? '');
    if (!container) throw new LifeboatError('invalid_input', 'container: name the blob container (--container C).');
    const auth = creds.connectionString ? 'connection-string' : creds.sasUrl ? 'sas-url' : 'account-key';
    return {
      spec: { kind: 'azure', container, ...creds },
      fields: {
        kind,
        location: azureLocation(creds, container),
        container,
        auth,
        endpoint: creds.endpoint ?? null,
        account_name: creds.accountName ?? null,
      },
      creds,
    };
  }

  /** Opens the backend, naming what was tried when it fails (never a credential). */
  private async open(t: Target, create: boolean): Promise<StorageBackend> {
    try {
      return await openBackend(t.spec, { create });
    } catch (err) {
      if (!(err instanceof LifeboatError))
        throw new LifeboatError(
          'unavailable',
          `Cannot reach the storage account at ${t.fields.location}: ${(err as Error).message}.`,
          'Check the endpoint and the network.',
          { cause: err, retryable: true },
        );
      if (t.spec.kind === 'azure' && err.code === 'not_found' && !create)
        throw new LifeboatError(
          'not_found',
          err.message,
          `Add --create-container to create the container "${t.spec.container}".`,
          { cause: err },
        );
      throw err;
    }
  }

  private async probe(backend: StorageBackend): Promise<ProbeResult> {
    const r = await backend.probe();
    return {
      at: new Date().toISOString(),
      ok: true,
      latencyMs: round(r.latencyMs),
      writeBytesPerSecond: Math.round(r.writeBytesPerSecond),
      readBytesPerSecond: Math.round(r.readBytesPerSecond),
      error: null,
    };
  }

  /** Opens the account's repository, or creates it in an empty account. A wrong SDEK is 'bad_key'. */
  private async openOrInit(backend: StorageBackend, t: Target): Promise<{ repo: Repository; created: boolean }> {
    const sdek = this.service.sdekKey();
    try {
      return { repo: await Repository.open(backend, sdek, { loadIndex: false }), created: false };
    } catch (err) {
      if (!(err instanceof LifeboatError && err.code === 'not_initialized')) throw err;
    }
    if (t.spec.kind === 'local') {
      const others = (await fs.promises.readdir(t.spec.folder)).filter((n) => !n.startsWith('.') && n !== 'probe');
      if (others.length)
        throw new LifeboatError(
          'conflict',
          `The folder ${t.spec.folder} is not empty and holds no Lifeboat repository.`,
          'Choose an empty folder (or a new one) for the storage account.',
        );
    }
    try {
      return { repo: await Repository.init(backend, sdek), created: true };
    } catch (err) {
      if (err instanceof LifeboatError && err.code === 'already_initialized')
        return { repo: await Repository.open(backend, sdek, { loadIndex: false }), created: false };
      throw err;
    }
  }

  async add(input: AccountInput): Promise<CallOutput<'accounts.add'>> {
    this.service.require();
    if (this.store.byName(input.name))
      throw new LifeboatError(
        'already_exists',
        `There is already a storage account named "${input.name}".`,
        'Choose another name, or change it with `lifeboat account edit`.',
      );
    const t = this.target(input);
    if (t.spec.kind === 'local' && input.local !== undefined) this.checkFolder(t.spec.folder);
    const backend = await this.open(t, t.spec.kind === 'local' || !!input.createContainer);
    const probe = await this.probe(backend);
    const { repo, created } = await this.openOrInit(backend, t);
    const clash = this.store.all().find((a) => a.repository_id === repo.config.id);
    if (clash)
      throw new LifeboatError(
        'already_exists',
        `This repository is already added as the storage account "${clash.name}".`,
        'Use that account, or edit its location.',
      );
    const now = new Date().toISOString();
    const row: AccountRow = {
      id: newId('acct'),
      name: input.name,
      ...t.fields,
      repository_id: repo.config.id,
      created_at: now,
      updated_at: now,
      probe_at: null,
      probe_ok: null,
      probe_latency_ms: null,
      probe_write_bps: null,
      probe_read_bps: null,
      probe_error: null,
    };
    this.store.insert(row, t.creds);
    this.store.recordProbe(row.id, probe);
    this.log.info('storage account added', {
      account: row.name,
      kind: row.kind,
      location: row.location,
      repositoryCreated: created,
    });
    // An account that already holds backups (a fresh install joining the service) brings its catalog with it.
    const rebuilt = created ? undefined : await this.rebuildCatalog(row.name);
    const devicesFound = rebuilt?.devices
      ?.filter((d) => d.outcome !== 'skipped' && d.status === 'deactivated')
      .map((d) => d.name);
    return {
      account: this.show(row.name),
      probe,
      repositoryCreated: created,
      backupsFound: rebuilt?.backups ?? 0,
      ...(devicesFound?.length ? { devicesFound } : {}),
      ...(rebuilt?.notice ? { notice: rebuilt.notice } : {}),
    };
  }

  /** The embedded default account, created in the data directory on first use. */
  async ensureDefault(): Promise<AccountRow> {
    const row = this.store.byName(DEFAULT_ACCOUNT);
    if (row) return row;
    // Two backups started at once without an account would both add it (and one fail with already_exists):
    // they share the one creation in flight.
    this.creatingDefault ??= this.add({ name: DEFAULT_ACCOUNT })
      .then(() => this.store.require(DEFAULT_ACCOUNT))
      .finally(() => (this.creatingDefault = undefined));
    return this.creatingDefault;
  }
  private creatingDefault?: Promise<AccountRow>;

  list(): StorageAccount[] {
    return this.store.all().map((r) => this.store.toAccount(r, this.catalog.usage(r.id)));
  }

  show(name: string): StorageAccount {
    const row = this.store.require(name);
    return this.store.toAccount(row, this.catalog.usage(row.id));
  }

  async test(name: string): Promise<ProbeResult> {
    const row = this.store.require(name);
    let probe: ProbeResult;
    try {
      const backend = await this.backend(row);
      probe = await this.probe(backend);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.store.recordProbe(row.id, {
        at: new Date().toISOString(),
        ok: false,
        latencyMs: null,
        writeBytesPerSecond: null,
        readBytesPerSecond: null,
        error: message,
      });
      throw err;
    }
    this.store.recordProbe(row.id, probe);
    return probe;
  }

  /** Jobs not yet ended that work on the account: removing or pruning it under them would break them. */
  activeJobs(accountId: string): string[] {
    return this.jobs.unfinished({ param: { key: 'accountId', value: accountId } });
  }

  /** Forgets the account; its data stays where it is and can be added again. */
  remove(name: string, force: boolean): { removed: string; backupsForgotten: number } {
    const row = this.store.require(name);
    const jobs = this.activeJobs(row.id);
    if (jobs.length)
      throw new LifeboatError(
        'busy',
        `The storage account "${name}" is used by ${jobs.length} job(s) that have not ended: ${jobs.join(', ')}.`,
        'Wait for them to end, or cancel them.',
      );
    // A live device keeps its backups in the account and its row refers to it: the device goes first.
    const device = this.users.map((u) => u.usedBy(row.id)).find((n) => n !== undefined);
    if (device)
      throw new LifeboatError(
        'not_allowed',
        `The storage account "${name}" is used by the device ${device}.`,
        `Remove the device first (\`lifeboat device remove ${device}\`), or fail it over to another device (\`lifeboat failover targets ${device}\`), then remove the account.`,
      );
    const backups = this.catalog.count(row.id);
    if (backups && !force)
      throw new LifeboatError(
        'not_allowed',
        `The storage account "${name}" holds ${backups} backup(s).`,
        'Removing it only forgets it here (its data stays in the account); add --force to do so.',
      );
    this.db.transaction(() => {
      for (const user of this.users) user.release(row.id);
      this.store.remove(row.id);
    })();
    this.log.info('storage account removed', { account: name, backupsForgotten: backups });
    return { removed: name, backupsForgotten: backups };
  }

  /** New credentials (or a moved folder) for the same repository. */
  async edit(input: AccountInput): Promise<StorageAccount> {
    const row = this.store.require(input.name);
    const t = this.target({
      ...input,
      kind: input.kind ?? row.kind,
      local: input.local ?? (row.kind === 'local' && !input.azure ? row.location : undefined),
      container: input.container ?? row.container ?? undefined,
    });
    if (t.fields.kind !== row.kind)
      throw new LifeboatError(
        'invalid_input',
        `kind: the account "${row.name}" is ${row.kind}; add a new account for another kind.`,
      );
    if (t.spec.kind === 'local' && t.spec.folder !== row.location) this.checkFolder(t.spec.folder, row);
    const backend = await this.open(t, false);
    const probe = await this.probe(backend);
    const repo = await Repository.open(backend, this.service.sdekKey(), { loadIndex: false });
    if (repo.config.id !== row.repository_id)
      throw new LifeboatError(
        'conflict',
        `${t.fields.location} holds another repository than the account "${row.name}".`,
        'Point the account at its own folder or container, or add this one as a new account.',
      );
    this.store.update(row.id, t.fields, t.creds);
    this.store.recordProbe(row.id, probe);
    return this.show(row.name);
  }

  /** What a worker thread needs to open the account's repository itself (handles do not cross threads). */
  repoTarget(row: AccountRow): RepoTarget {
    return { backend: this.store.spec(row), sdek: this.service.sdekKey(), repositoryId: row.repository_id };
  }

  /** The account's storage backend, without opening the repository in it. */
  backend(row: AccountRow): Promise<StorageBackend> {
    return openBackend(this.store.spec(row));
  }

  /** Opens the account's repository with the service's SDEK (index loaded unless told not to). */
  async repository(row: AccountRow, opts: { loadIndex?: boolean } = {}): Promise<Repository> {
    const backend = await this.backend(row);
    const repo = await Repository.open(backend, this.service.sdekKey(), opts);
    if (repo.config.id !== row.repository_id)
      throw new LifeboatError(
        'conflict',
        `The storage account "${row.name}" now holds another repository (${repo.config.id}).`,
        'Point the account back at its folder or container with `lifeboat account edit`.',
      );
    return repo;
  }

  /** Runs f under a lease in the account itself, which keeps installations sharing the account apart (accounts/locks.ts). */
  async withLease<T>(
    row: AccountRow,
    kind: LeaseInfo['kind'],
    purpose: string,
    f: () => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    return withLease(await this.backend(row), kind, purpose, f, { signal });
  }

  /**
   * Reads every manifest and index object in `workers` when given (the engine's pool: a million-file manifest is
   * ~100 MB of JSON), else in this thread; the catalog gets manifest digests either way.
   */
  async rebuildCatalog(name: string, workers = this.workers): Promise<CatalogRebuild> {
    const row = this.store.require(name);
    const repo = await this.repository(row, { loadIndex: false });
    const target = this.repoTarget(row);
    const { manifests, damaged, chunks, packs } = workers
      ? await runInPool(workers, { ...target, op: 'catalog-scan' })
      : await scanCatalog(repo);
    const { added, removed } = this.catalog.replace(row.id, manifests);
    this.log.info('catalog rebuilt', {
      account: name,
      backups: manifests.length,
      added,
      removed,
      damaged: damaged.length,
    });
    const rebuilt: CatalogRebuild = {
      account: name,
      repositoryId: repo.config.id,
      backups: manifests.length,
      added,
      removed,
      damaged,
      chunks,
      packs,
    };
    for (const hook of this.rebuildHooks) Object.assign(rebuilt, await hook(row, repo));
    return rebuilt;
  }

  /** Runs `hook` at the end of every catalog rebuild (after the backups' rows are in), adding what it returns. */
  onRebuild(hook: RebuildHook): void {
    this.rebuildHooks.push(hook);
  }

  /** Runs f while no backup of this process writes to the account; backups started meanwhile wait (see waitShared). */
  async withExclusive<T>(accountId: string, f: () => Promise<T>): Promise<T> {
    if (this.exclusive.has(accountId))
      throw new LifeboatError('busy', 'Maintenance is already running on this storage account.', 'Wait for it to end.');
    this.exclusive.add(accountId);
    try {
      return await f();
    } finally {
      this.exclusive.delete(accountId);
    }
  }

  async waitShared(accountId: string, signal: AbortSignal): Promise<void> {
    while (this.exclusive.has(accountId)) {
      signal.throwIfAborted();
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

const round = (n: number) => Math.round(n * 10) / 10;
