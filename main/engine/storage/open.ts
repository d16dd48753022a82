/**
 * Opens the object store behind a storage account from its settings and credentials. The one place that knows
 * every backend kind, so the account manager and the jobs never import a backend directly (S3 plugs in here).
 */
import path from 'node:path';
import { LifeboatError } from '../../shared/errors';
import type { StorageBackend } from './backend';
import { LocalBackend } from './local';

export interface AzureCredentials {
  connectionString?: string;
  accountName?: string;
  accountKey?: string;
  endpoint?: string;
  sasUrl?: string;
}

export type BackendSpec = { kind: 'local'; folder: string } | ({ kind: 'azure'; container: string } & AzureCredentials);

interface AzureModule {
  AzureBackend: { open(opts: AzureCredentials & { container: string; create?: boolean }): Promise<StorageBackend> };
}

/** The Azure backend is loaded on first use: a local-only installation never loads the Azure SDK. */
async function loadAzure(): Promise<AzureModule> {
  try {
    return (await import('./azure')) as AzureModule;
  } catch (err) {
    throw new LifeboatError(
      'unavailable',
      `Azure storage accounts are not available in this build: ${(err as Error).message}.`,
      'Use a local storage account, or update Lifeboat.',
      { cause: err },
    );
  }
}

export async function openBackend(spec: BackendSpec, opts: { create?: boolean } = {}): Promise<StorageBackend> {
  if (spec.kind === 'local') {
    if (!path.isAbsolute(spec.folder))
      throw new LifeboatError('invalid_input', `local: give an absolute folder path (got ${spec.folder}).`);
    return LocalBackend.open(spec.folder, { create: opts.create });
  }
  const { AzureBackend } = await loadAzure();
  const { kind: _kind, ...rest } = spec;
  return AzureBackend.open({ ...rest, create: opts.create });
}

/** Where an Azure account lives, for tables and messages: the container URL without a query (the SAS token). */
export function azureLocation(creds: AzureCredentials, container: string): string {
  if (creds.sasUrl) {
    try {
      const u = new URL(creds.sasUrl);
      return `${u.origin}${u.pathname}`;
    } catch {
      throw new LifeboatError(
        'invalid_input',
        'sasUrl: this is not a URL.',
        'Paste the container SAS URL, e.g. https://ACCOUNT.blob.core.windows.net/CONTAINER?sv=…',
      );
    }
  }
  if (creds.connectionString) {
    const parts = Object.fromEntries(
      creds.connectionString
        .split(';')
        .filter(Boolean)
        .map((p) => [p.slice(0, p.indexOf('=')).toLowerCase(), p.slice(p.indexOf('=') + 1)]),
    );
    const base =
      parts.blobendpoint ??
      (parts.accountname
        ? `${parts.defaultendpointsprotocol ?? 'https'}://${parts.accountname}.blob.${parts.endpointsuffix ?? 'core.windows.net'}`
        : null);
    if (!base)
      throw new LifeboatError(
        'invalid_input',
        'connectionString: it names neither a BlobEndpoint nor an AccountName.',
        'Copy the connection string from the storage account\'s "Access keys" page.',
      );
    return `${base.replace(/\/+$/, '')}/${container}`;
  }
  const base = creds.endpoint ?? `https://${creds.accountName}.blob.core.windows.net`;
  return `${base.replace(/\/+$/, '')}/${container}`;
}
