/**
 * Maps what @azure/storage-blob throws (RestError with an HTTP status and a storage error code, socket errors,
 * aborts) to LifeboatErrors that say what is wrong and what to do. Messages name the account and the container
 * URL, never a key, a SAS signature or a connection string: everything passes through redact() and the SDK's own
 * error (whose request carries the signed URL and headers) is never kept as the cause.
 */
import { LifeboatError } from '../../shared/errors';

export type AzureAction = 'open' | 'create' | 'read' | 'write' | 'list' | 'delete';

export interface AzureErrorContext {
  account: string;
  /** The container URL without credentials. */
  location: string;
  container: string;
  action: AzureAction;
  name?: string;
  /** Strings that must never appear in a message (keys, SAS query strings, connection strings). */
  secrets: readonly string[];
  /** The attempt's own timer fired (as opposed to the caller cancelling). */
  timedOut?: boolean;
  timeoutMs?: number;
  /** The caller's signal fired. */
  cancelled?: boolean;
}

const VERB: Record<AzureAction, string> = {
  open: 'list blobs',
  create: 'create the container',
  read: 'read objects',
  write: 'write objects',
  list: 'list objects',
  delete: 'delete objects',
};

/** Socket-level failures: the endpoint is unreachable or dropped us; always worth another try. */
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ECONNABORTED',
  'REQUEST_SEND_ERROR',
  'PARSE_ERROR',
]);

/** Storage 403 codes that mean "you are who you say, but may not do this" (e.g. a read-only SAS). */
const PERMISSION = new Set([
  'AuthorizationPermissionMismatch',
  'AuthorizationResourceTypeMismatch',
  'AuthorizationServiceMismatch',
  'AuthorizationProtocolMismatch',
  'AuthorizationSourceIPMismatch',
  'InsufficientAccountPermissions',
  'AccountIsDisabled',
]);

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** Removes credentials from any text: the given secrets, SAS signatures, account keys in connection strings. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  return out
    .replace(/([?&]sig=)[^&\s'"]+/gi, '$1***')
    .replace(/(AccountKey=)[^;\s'"]+/gi, '$1***')
    .replace(/(SharedAccessSignature=)[^;\s'"]+/gi, '$1***')
    .replace(/(SharedKey [^:\s]+:)[^\s'"]+/g, '$1***');
}

interface SdkError {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  details?: { errorCode?: string; message?: string };
  response?: { headers?: { get?(name: string): string | undefined } };
}

export function mapAzureError(err: unknown, ctx: AzureErrorContext): LifeboatError {
  if (err instanceof LifeboatError) return err;
  const e = (err ?? {}) as SdkError;
  const what = ctx.name ? `the object ${ctx.name} in ${ctx.location}` : ctx.location;
  const plain = (cause: string) =>
    Object.assign(new Error(redact(cause, ctx.secrets)), { code: e.code, statusCode: e.statusCode });
  const fail = (
    code: ConstructorParameters<typeof LifeboatError>[0],
    message: string,
    hint?: string,
    retryable = false,
    extra: object = {},
  ) =>
    Object.assign(
      new LifeboatError(code, redact(message, ctx.secrets), hint && redact(hint, ctx.secrets), {
        retryable,
        cause: plain(e.message ?? String(err)),
      }),
      extra,
    );

  if (ctx.cancelled) return fail('cancelled', 'The operation was cancelled.');
  if (e.name === 'AbortError' || ctx.timedOut) {
    if (ctx.timedOut)
      return fail(
        'unavailable',
        `The storage account at ${ctx.location} stopped answering (nothing moved for ${duration(ctx.timeoutMs ?? 0)}).`,
        'Check the network to the storage account; the job can be resumed.',
        true,
      );
    // Neither our cancel nor our timeout: the SDK aborts a request whose connection closed under it (the endpoint
    // went away mid-transfer). That is an outage, retried like the others, not a cancel.
    return fail(
      'unavailable',
      `The connection to ${ctx.location} dropped${ctx.name ? ` during a request for ${ctx.name}` : ''}.`,
      'Check the network to the storage account; the job can be resumed.',
      true,
    );
  }

  const status = e.statusCode;
  const storageCode = e.details?.errorCode ?? e.code;
  if (status === undefined || status === 0) {
    if (e.code && NETWORK.has(e.code))
      return fail(
        'unavailable',
        `Could not reach the storage account at ${ctx.location} (${e.code}).`,
        `Check that the endpoint is right and reachable from this machine (network, firewall, proxy), then retry.`,
        true,
      );
    if (/^Data corruption failure: received less data/.test(e.message ?? ''))
      return fail(
        'unavailable',
        `The connection to ${ctx.location} dropped while reading ${ctx.name ?? 'an object'}.`,
        'Check the network to the storage account; the job can be resumed.',
        true,
      );
    return fail(
      'io_error',
      `Could not ${VERB[ctx.action]} at ${ctx.location}: ${firstLine(e.message ?? String(err))}`,
      'Check the storage account settings, then retry.',
    );
  }

  if (status === 403) {
    const authentication =
      storageCode === 'AuthenticationFailed' ||
      (storageCode === 'AuthorizationFailure' && /authenticate/i.test(e.message ?? ''));
    if (authentication || !storageCode)
      return fail(
        'unauthorized',
        `The account key (or SAS) was refused by ${ctx.account} (${ctx.location}).`,
        'Enter the current account key (keys change when they are rotated) or a new SAS (a SAS expires), then test the account again.',
      );
    // PERMISSION codes and any other 403 (e.g. a firewall rule) are the same for the user: ask for more rights.
    return fail(
      'forbidden',
      `The credentials for ${ctx.account} are not allowed to ${VERB[ctx.action]} in the container "${ctx.container}" (${storageCode}${PERMISSION.has(storageCode) ? '' : ', access denied'}).`,
      'Use the account key, or a SAS with read, add, create, write, delete and list permissions on the container (and no IP or protocol restriction that excludes this machine).',
    );
  }
  if (status === 404) {
    if (storageCode === 'ContainerNotFound' || ctx.action === 'open' || ctx.action === 'list')
      return fail(
        'not_found',
        `The container "${ctx.container}" does not exist in the storage account ${ctx.account} (${ctx.location}).`,
        'Create it in the Azure portal, or let Lifeboat create it: --create-container on the command line, "Create it if it does not exist" in the wizard.',
      );
    return fail(
      'not_found',
      `The object ${ctx.name ?? ''} is missing from the storage account at ${ctx.location}.`,
      'Run `lifeboat account check` to find the affected backups.',
    );
  }
  if (status === 409 && (storageCode === 'BlobAlreadyExists' || ctx.action === 'write'))
    return fail(
      'already_exists',
      `The object ${ctx.name ?? ''} already exists in the storage account at ${ctx.location}; object names are never reused.`,
    );
  if (status === 412)
    return fail(
      'already_exists',
      `The object ${ctx.name ?? ''} already exists in the storage account at ${ctx.location}; object names are never reused.`,
    );
  if (status === 416)
    return fail(
      'io_error',
      `The object ${ctx.name ?? ''} in ${ctx.location} is shorter than expected.`,
      'Run `lifeboat account check` to find the damaged backups.',
    );
  if (RETRYABLE_STATUS.has(status)) {
    const after = Number(e.response?.headers?.get?.('retry-after'));
    return fail(
      'unavailable',
      `The storage account at ${ctx.location} is busy or failing (HTTP ${status}${storageCode ? ` ${storageCode}` : ''}) for ${what}.`,
      'Wait a little and retry; the job can be resumed.',
      true,
      Number.isFinite(after) && after >= 0 ? { retryAfterMs: after * 1000 } : {},
    );
  }
  return fail(
    'io_error',
    `The storage account at ${ctx.location} refused to ${VERB[ctx.action]} (HTTP ${status}${storageCode ? ` ${storageCode}` : ''}): ${firstLine(e.message ?? '')}`,
    'Check the storage account settings, then retry.',
  );
}

function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

function firstLine(text: string): string {
  return text.split('\n')[0].slice(0, 300);
}
