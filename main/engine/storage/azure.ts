/**
 * A storage account in an Azure Blob container. Objects are block blobs created with If-None-Match: * so a name is
 * never overwritten; large bodies go up as staged blocks that only become visible when the block list commits, so
 * an outage mid-upload leaves nothing under the final name (Azure drops uncommitted blocks by itself).
 *
 * The SDK's own retry policy is off (one try): retries, backoff and deadlines are ours (retry.ts), so one policy
 * decides, per block rather than per object, and honours the job's AbortSignal. Each attempt has a stall timer that
 * is reset whenever bytes move, so a slow link is fine but a dead one is noticed.
 */
import crypto from 'node:crypto';
import {
  AnonymousCredential,
  BlobServiceClient,
  ContainerClient,
  newPipeline,
  StorageSharedKeyCredential,
  type StoragePipelineOptions,
} from '@azure/storage-blob';
import { LifeboatError } from '../../shared/errors';
import { mapAzureError, redact, type AzureAction } from './azure-errors';
import {
  assertObjectName,
  rangeBuffer,
  runProbe,
  type ByteRange,
  type ObjectInfo,
  type ProbeReport,
  type PutOptions,
  type StorageBackend,
} from './backend';
import { withRetry, type RetryOptions } from './retry';

export interface AzureOpenOptions {
  connectionString?: string;
  accountName?: string;
  accountKey?: string;
  /** With accountName + accountKey; default https://<name>.blob.core.windows.net (Azurite: http://host:port/<name>). */
  endpoint?: string;
  /** A container SAS URL; the container may then be omitted (it is read from the URL). */
  sasUrl?: string;
  container?: string;
  /** Create the container when it does not exist (the wizard's "create it" answer). */
  create?: boolean;
  /** Tuning, mainly for tests: retry budget, stall timeout per request, block size and parallel blocks. */
  retry?: Partial<RetryOptions>;
  requestTimeoutMs?: number;
  blockSize?: number;
  concurrency?: number;
  /** Buffers up to this size go up in one Put Blob; larger ones as staged blocks. */
  singleShotMax?: number;
  listPageSize?: number;
}

const DEFAULTS = {
  requestTimeoutMs: 30_000,
  blockSize: 8 << 20,
  concurrency: 4,
  singleShotMax: 8 << 20,
  listPageSize: 5000,
};
const CONTAINER = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;
/** Set on every put; after a retried create answers "exists", a match proves the blob is the one we wrote. */
const PUT_TOKEN = 'lifeboatput';

interface Target {
  client: ContainerClient;
  account: string;
  location: string;
  secrets: string[];
}

export class AzureBackend implements StorageBackend {
  readonly kind = 'azure' as const;
  readonly location: string;
  private readonly tuning: typeof DEFAULTS;

  private constructor(
    private readonly target: Target,
    private readonly retry: Partial<RetryOptions>,
    tuning: Partial<typeof DEFAULTS>,
  ) {
    this.location = target.location;
    this.tuning = { ...DEFAULTS, ...tuning };
  }

  get account(): string {
    return this.target.account;
  }

  get container(): string {
    return this.target.client.containerName;
  }

  /** Connects with exactly one credential form and checks the container is there (or creates it with create). */
  static async open(opts: AzureOpenOptions): Promise<AzureBackend> {
    const target = resolveTarget(opts);
    const { requestTimeoutMs, blockSize, concurrency, singleShotMax, listPageSize } = opts;
    const tuning = Object.fromEntries(
      Object.entries({ requestTimeoutMs, blockSize, concurrency, singleShotMax, listPageSize }).filter(
        ([, v]) => v !== undefined,
      ),
    );
    const backend = new AzureBackend(target, opts.retry ?? {}, tuning);
    try {
      // Listing one name needs only list permission, which every usable credential has (a container SAS cannot
      // read container properties), and it says at once whether the key, the endpoint and the container are right.
      await backend.call('open', undefined, (s) =>
        target.client.listBlobsFlat({ prefix: 'config', abortSignal: s }).byPage({ maxPageSize: 1 }).next(),
      );
    } catch (err) {
      if (!(opts.create && err instanceof LifeboatError && err.code === 'not_found')) throw err;
      await backend.call('create', undefined, (s) => target.client.createIfNotExists({ abortSignal: s }));
    }
    return backend;
  }

  async put(name: string, data: Buffer | AsyncIterable<Buffer>, opts: PutOptions = {}): Promise<void> {
    assertObjectName(name);
    const blob = this.target.client.getBlockBlobClient(name);
    const token = crypto.randomBytes(8).toString('hex');
    const common = {
      conditions: opts.ifNoneMatch === false ? undefined : { ifNoneMatch: '*' },
      metadata: { [PUT_TOKEN]: token },
      blobHTTPHeaders: { blobContentType: 'application/octet-stream' },
    };
    const created = async <T>(op: Promise<T>): Promise<void> => {
      try {
        await op;
      } catch (err) {
        // A create whose answer was lost is retried and then finds its own blob: that is success, not a conflict.
        if (!(err instanceof LifeboatError && err.code === 'already_exists')) throw err;
        const props = await this.call('read', name, (s) => blob.getProperties({ abortSignal: s }), opts.signal).catch(
          () => undefined,
        );
        if (props?.metadata?.[PUT_TOKEN] !== token) throw err;
      }
    };
    if (Buffer.isBuffer(data) && data.length <= this.tuning.singleShotMax) {
      return created(
        this.call(
          'write',
          name,
          (s, touch) => blob.upload(data, data.length, { ...common, abortSignal: s, onProgress: touch }),
          opts.signal,
        ),
      );
    }
    const ids = await this.stageBlocks(
      name,
      Buffer.isBuffer(data) ? slices(data, this.tuning.blockSize) : rechunk(data, this.tuning.blockSize),
      token,
      opts.signal,
    );
    await created(
      this.call('write', name, (s) => blob.commitBlockList(ids, { ...common, abortSignal: s }), opts.signal),
    );
  }

  /** Uploads blocks with bounded parallelism; memory stays at concurrency × blockSize whatever the body's size. */
  private async stageBlocks(
    name: string,
    blocks: Iterable<Buffer> | AsyncIterable<Buffer>,
    token: string,
    signal?: AbortSignal,
  ): Promise<string[]> {
    const blob = this.target.client.getBlockBlobClient(name);
    const ids: string[] = [];
    const inflight = new Set<Promise<void>>();
    let failure: unknown;
    try {
      for await (const block of blocks) {
        if (failure) break;
        if (signal?.aborted) throw new LifeboatError('cancelled', 'The operation was cancelled.');
        // Block ids must have one length within a blob; the per-put token keeps a retried put's blocks apart.
        const id = Buffer.from(`${token}-${ids.length.toString().padStart(6, '0')}`).toString('base64');
        ids.push(id);
        const staged = this.call(
          'write',
          name,
          (s, touch) => blob.stageBlock(id, block, block.length, { abortSignal: s, onProgress: touch }),
          signal,
        ).then(
          () => undefined,
          (err) => void (failure ??= err),
        );
        const tracked = staged.finally(() => inflight.delete(tracked));
        inflight.add(tracked);
        while (inflight.size >= this.tuning.concurrency) await Promise.race(inflight);
      }
    } finally {
      await Promise.all(inflight);
    }
    if (failure) throw failure;
    return ids;
  }

  async get(name: string, range?: ByteRange, signal?: AbortSignal): Promise<Buffer> {
    assertObjectName(name);
    if (range && range.length === 0) return Buffer.alloc(0);
    const blob = this.target.client.getBlobClient(name);
    return this.call(
      'read',
      name,
      async (s, touch) => {
        // maxRetryRequests 0: the SDK would otherwise silently re-request a dropped body; our retry decides.
        const res = await blob.download(range?.offset ?? 0, range?.length, { abortSignal: s, maxRetryRequests: 0 });
        const buf = await readBody(
          res.readableStreamBody!,
          range ? rangeBuffer(range) : Buffer.allocUnsafe(res.contentLength ?? 0),
          touch,
        );
        if (range && buf.length < range.length)
          throw new LifeboatError(
            'io_error',
            `The object ${name} in ${this.location} is shorter than expected (${range.offset + buf.length} bytes).`,
            'Run `lifeboat account check` to find the damaged backups.',
          );
        return buf;
      },
      signal,
    );
  }

  /** A HEAD answer has no body, so a missing container also reads as "no such object" here; open() checked it. */
  async head(name: string): Promise<ObjectInfo | undefined> {
    assertObjectName(name);
    const blob = this.target.client.getBlobClient(name);
    try {
      const props = await this.call('read', name, (s) => blob.getProperties({ abortSignal: s }));
      return { name, size: props.contentLength ?? 0 };
    } catch (err) {
      if (err instanceof LifeboatError && err.code === 'not_found') return undefined;
      throw err;
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    let continuationToken: string | undefined;
    do {
      // One page per attempt, so an outage mid-listing repeats one page rather than the whole listing.
      const page = await this.call('list', undefined, async (s) => {
        const it = this.target.client
          .listBlobsFlat({ prefix: prefix || undefined, abortSignal: s })
          .byPage({ continuationToken, maxPageSize: this.tuning.listPageSize });
        return (await it.next()).value;
      });
      if (!page) return;
      for (const b of page.segment.blobItems) yield { name: b.name, size: b.properties.contentLength ?? 0 };
      continuationToken = page.continuationToken || undefined;
    } while (continuationToken);
  }

  async delete(name: string): Promise<void> {
    assertObjectName(name);
    const blob = this.target.client.getBlobClient(name);
    await this.call('delete', name, (s) => blob.deleteIfExists({ abortSignal: s, deleteSnapshots: 'include' }));
  }

  probe(signal?: AbortSignal): Promise<ProbeReport> {
    return runProbe(this, signal);
  }

  /**
   * One SDK call under our retry policy. Each attempt gets a signal that fires on the caller's cancel or when no
   * bytes moved for requestTimeoutMs (touch() resets it), and its failure is mapped to a LifeboatError.
   */
  private call<T>(
    action: AzureAction,
    name: string | undefined,
    fn: (signal: AbortSignal, touch: () => void) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const timeoutMs = this.tuning.requestTimeoutMs;
    const ctx = {
      account: this.target.account,
      location: this.location,
      container: this.container,
      action,
      name,
      secrets: this.target.secrets,
      timeoutMs,
    };
    const what = `${{ open: 'open the container', create: 'create the container', read: 'read', write: 'write', list: 'list', delete: 'delete' }[action]}${name ? ` ${name}` : ''}`;
    return withRetry(
      async () => {
        const ac = new AbortController();
        let timedOut = false;
        let timer: NodeJS.Timeout | undefined;
        const touch = () => {
          clearTimeout(timer);
          timer = setTimeout(() => ((timedOut = true), ac.abort()), timeoutMs);
        };
        const onCancel = () => ac.abort();
        signal?.addEventListener('abort', onCancel, { once: true });
        touch();
        try {
          return await fn(ac.signal, touch);
        } catch (err) {
          throw mapAzureError(err, { ...ctx, timedOut, cancelled: signal?.aborted });
        } finally {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onCancel);
        }
      },
      { what, endpoint: this.location, signal },
      this.retry,
    );
  }
}

/** Checks the options name exactly one credential form and builds the container client; no network yet. */
function resolveTarget(opts: AzureOpenOptions): Target {
  // Empty strings count as absent: forms and stored settings often carry '' for "not given".
  const forms = [!!opts.connectionString, !!(opts.accountName || opts.accountKey), !!opts.sasUrl].filter(
    Boolean,
  ).length;
  if (forms !== 1)
    throw new LifeboatError(
      'invalid_input',
      'Give exactly one Azure credential: a connection string, an account name and key, or a container SAS URL.',
      'Choose one form in the storage-account wizard.',
    );
  if (opts.endpoint && !opts.accountName)
    throw new LifeboatError(
      'invalid_input',
      'An endpoint goes with an account name and key.',
      'Put the endpoint in the connection string (BlobEndpoint=…) instead.',
    );
  // Our pipeline: one try per SDK call (retry.ts retries), keep-alive sockets for throughput.
  const pipelineOptions: StoragePipelineOptions = {
    retryOptions: { maxTries: 1 },
    keepAliveOptions: { enable: true },
    userAgentOptions: { userAgentPrefix: 'Lifeboat' },
  };
  const secrets: string[] = [];
  let client: ContainerClient;
  const container = opts.container ?? '';
  if (opts.connectionString) {
    const cs = opts.connectionString;
    secrets.push(cs, ...[...cs.matchAll(/(?:AccountKey|SharedAccessSignature)=([^;]+)/gi)].map((m) => m[1]));
    requireContainer(container);
    try {
      client = BlobServiceClient.fromConnectionString(cs, pipelineOptions).getContainerClient(container);
    } catch {
      // The SDK's message may quote the string; ours names only the problem.
      throw new LifeboatError(
        'invalid_input',
        'The connection string is not valid.',
        'Copy it again from the storage account\'s "Access keys" page (it has AccountName, AccountKey and the endpoint).',
      );
    }
  } else if (opts.sasUrl) {
    let url: URL;
    try {
      url = new URL(opts.sasUrl);
    } catch {
      throw new LifeboatError(
        'invalid_input',
        'The SAS URL is not a valid URL.',
        'Copy the container SAS URL again (https://<account>.blob.core.windows.net/<container>?sv=…&sig=…).',
      );
    }
    secrets.push(opts.sasUrl, url.search.slice(1), url.searchParams.get('sig') ?? '');
    if (!url.searchParams.get('sig'))
      throw new LifeboatError(
        'invalid_input',
        `The URL ${url.origin}${url.pathname} carries no SAS signature.`,
        'Generate a SAS for the container and paste its full URL.',
      );
    // Emulators and IP endpoints put the account in the path (host/account/container); Azure in the host name.
    const segments = url.pathname.split('/').filter(Boolean);
    const pathStyle = /^(\d+\.\d+\.\d+\.\d+|\[[0-9a-f:]+\]|localhost)$/i.test(url.hostname);
    const base = pathStyle ? segments.slice(0, 1) : [];
    const inUrl = segments[base.length];
    if (inUrl && container && inUrl !== container)
      throw new LifeboatError(
        'invalid_input',
        `The SAS URL is for the container "${inUrl}", not "${container}".`,
        'Leave the container empty or use the SAS of that container.',
      );
    const name = inUrl ?? container;
    requireContainer(name);
    url.pathname = `/${[...base, name].map(encodeURIComponent).join('/')}`;
    client = new ContainerClient(url.toString(), newPipeline(new AnonymousCredential(), pipelineOptions));
  } else {
    if (!opts.accountName || !opts.accountKey)
      throw new LifeboatError(
        'invalid_input',
        'An account name needs its account key (and a key its account name).',
        'Copy both from the storage account\'s "Access keys" page.',
      );
    secrets.push(opts.accountKey);
    requireContainer(container);
    const endpoint = (opts.endpoint ?? `https://${opts.accountName}.blob.core.windows.net`).replace(/\/+$/, '');
    if (!/^https?:\/\/[^/?#]+/.test(endpoint))
      throw new LifeboatError('invalid_input', `The endpoint ${endpoint} is not an http(s) URL.`);
    const credential = new StorageSharedKeyCredential(opts.accountName, opts.accountKey);
    client = new ContainerClient(`${endpoint}/${container}`, newPipeline(credential, pipelineOptions));
  }
  const clean = new URL(client.url);
  clean.search = '';
  return {
    client,
    account: client.accountName || new URL(client.url).hostname.split('.')[0],
    location: redact(clean.toString(), secrets),
    secrets,
  };
}

function requireContainer(name: string): void {
  if (!CONTAINER.test(name))
    throw new LifeboatError(
      'invalid_input',
      name ? `"${name}" is not a valid container name.` : 'A container name is needed.',
      'Container names are 3 to 63 lower-case letters, digits and single hyphens, starting with a letter or digit.',
    );
}

/** A Buffer as block-sized views (no copies). */
function* slices(data: Buffer, size: number): Iterable<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

/** Regroups a stream of pieces of any size into blocks of exactly size bytes (the last may be shorter). */
async function* rechunk(source: AsyncIterable<Buffer>, size: number): AsyncIterable<Buffer> {
  let block = Buffer.allocUnsafe(size);
  let filled = 0;
  for await (const piece of source) {
    let at = 0;
    while (at < piece.length) {
      const n = Math.min(size - filled, piece.length - at);
      piece.copy(block, filled, at, at + n);
      filled += n;
      at += n;
      if (filled === size) {
        yield block;
        block = Buffer.allocUnsafe(size);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield block.subarray(0, filled);
}

/**
 * Reads a download body into `out` (the expected length: a ranged read's buffer, or the object's size), resetting the
 * stall timer as bytes arrive; bytes beyond it are kept after it.
 */
async function readBody(body: NodeJS.ReadableStream, out: Buffer, touch: () => void): Promise<Buffer> {
  const expected = out.length;
  let filled = 0;
  const extra: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) {
    touch();
    if (filled + chunk.length <= expected) {
      chunk.copy(out, filled);
      filled += chunk.length;
    } else extra.push(chunk);
  }
  return extra.length ? Buffer.concat([out.subarray(0, filled), ...extra]) : out.subarray(0, filled);
}
