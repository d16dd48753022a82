/**
 * Storage accounts as rows, and their credentials in the secret store under `account.<id>.<field>`. The row holds
 * only what may be shown and logged; a credential never reaches the table, the log or an API answer.
 */
import type { ProbeResult, StorageAccount } from '../../shared/schemas';
import type { Db } from '../db/database';
import { LifeboatError } from '../../shared/errors';
import type { SecretStore } from '../secrets';
import type { AzureCredentials, BackendSpec } from '../storage/open';

export interface AccountRow {
  id: string;
  name: string;
  kind: 'local' | 'azure';
  location: string;
  container: string | null;
  auth: 'connection-string' | 'account-key' | 'sas-url' | null;
  endpoint: string | null;
  account_name: string | null;
  repository_id: string;
  created_at: string;
  updated_at: string;
  probe_at: string | null;
  probe_ok: number | null;
  probe_latency_ms: number | null;
  probe_write_bps: number | null;
  probe_read_bps: number | null;
  probe_error: string | null;
}

/** Credential fields kept as secrets; the rest of AzureCredentials (endpoint, account name) is not secret. */
const SECRET_FIELDS = ['connectionString', 'accountKey', 'sasUrl'] as const;
const secretName = (id: string, field: string) => `account.${id}.${field}`;

export class AccountStore {
  constructor(
    readonly db: Db,
    private readonly secrets: SecretStore,
  ) {}

  byName(name: string): AccountRow | undefined {
    return this.db.prepare('SELECT * FROM storage_accounts WHERE name = ?').get(name) as AccountRow | undefined;
  }

  byId(id: string): AccountRow | undefined {
    return this.db.prepare('SELECT * FROM storage_accounts WHERE id = ?').get(id) as AccountRow | undefined;
  }

  require(name: string): AccountRow {
    const row = this.byName(name);
    if (!row)
      throw new LifeboatError(
        'not_found',
        `There is no storage account "${name}".`,
        'List them with `lifeboat account list`, or add one with `lifeboat account add NAME --local DIR`.',
      );
    return row;
  }

  all(): AccountRow[] {
    return this.db.prepare('SELECT * FROM storage_accounts ORDER BY name').all() as AccountRow[];
  }

  insert(row: AccountRow, creds: AzureCredentials): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO storage_accounts VALUES (@id, @name, @kind, @location, @container, @auth, @endpoint, @account_name, @repository_id,
           @created_at, @updated_at, @probe_at, @probe_ok, @probe_latency_ms, @probe_write_bps, @probe_read_bps, @probe_error)`,
        )
        .run(row);
      this.setSecrets(row.id, creds);
    })();
  }

  /** New location or credentials for the same repository (edit). */
  update(
    id: string,
    patch: Pick<AccountRow, 'location' | 'container' | 'auth' | 'endpoint' | 'account_name'>,
    creds: AzureCredentials,
  ): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          'UPDATE storage_accounts SET location = @location, container = @container, auth = @auth, endpoint = @endpoint, account_name = @account_name, updated_at = @now WHERE id = @id',
        )
        .run({ ...patch, id, now: new Date().toISOString() });
      this.setSecrets(id, creds);
    })();
  }

  private setSecrets(id: string, creds: AzureCredentials): void {
    for (const f of SECRET_FIELDS) {
      if (creds[f]) this.secrets.set(secretName(id, f), creds[f]!);
      else this.secrets.delete(secretName(id, f));
    }
  }

  remove(id: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM storage_accounts WHERE id = ?').run(id);
      for (const f of SECRET_FIELDS) this.secrets.delete(secretName(id, f));
    })();
  }

  recordProbe(id: string, probe: ProbeResult): void {
    this.db
      .prepare(
        'UPDATE storage_accounts SET probe_at = ?, probe_ok = ?, probe_latency_ms = ?, probe_write_bps = ?, probe_read_bps = ?, probe_error = ? WHERE id = ?',
      )
      .run(
        probe.at,
        probe.ok ? 1 : 0,
        probe.latencyMs,
        probe.writeBytesPerSecond,
        probe.readBytesPerSecond,
        probe.error,
        id,
      );
  }

  /** Everything needed to open the account's backend, credentials included; stays inside the engine. */
  spec(row: AccountRow): BackendSpec {
    if (row.kind === 'local') return { kind: 'local', folder: row.location };
    const creds: AzureCredentials = {};
    for (const f of SECRET_FIELDS) {
      const v = this.secrets.get(secretName(row.id, f));
      if (v) creds[f] = v;
    }
    if (row.account_name) creds.accountName = row.account_name;
    if (row.endpoint) creds.endpoint = row.endpoint;
    return { kind: 'azure', container: row.container ?? '', ...creds };
  }

  /** The account as the API shows it, with its backups' count and bytes (`stats`, from the backup catalog). */
  toAccount(row: AccountRow, stats: { n: number; bytes: number }): StorageAccount {
    return {
      id: row.id,
      name: row.name,
      kind: row.kind,
      location: row.location,
      container: row.container,
      auth: row.auth,
      repositoryId: row.repository_id,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      backups: stats.n,
      bytes: stats.bytes,
      lastProbe: row.probe_at
        ? {
            at: row.probe_at,
            ok: row.probe_ok === 1,
            latencyMs: row.probe_latency_ms,
            writeBytesPerSecond: row.probe_write_bps,
            readBytesPerSecond: row.probe_read_bps,
            error: row.probe_error,
          }
        : null,
    };
  }
}
