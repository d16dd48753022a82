/**
 * The `SiteAgent` of a recovery site on another host, over the paired HTTPS channel (sites/agent-protocol.ts): the
 * agent's certificate pinned, this installation's client certificate presented. Blocks and files stream (block batches
 * of at most 8 MiB, files piped as read); every request has an idle timeout that the agent's heartbeats keep from
 * firing on a slow disk. Errors are classified for retry: the agent unreachable is `unavailable` (recoverable), a
 * refused authentication or a pinned certificate that no longer matches is `forbidden` and a full site `disk_full`
 * (both final).
 */
import { once } from 'node:events';
import crypto from 'node:crypto';
import https from 'node:https';
import type { ClientRequest } from 'node:http';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { LifeboatError } from '../../shared/errors';
import type { CommandRun } from '../replication/commands';
import type {
  BlockWrite,
  CommandRequest,
  CommitHooks,
  CopyHooks,
  CopySlot,
  CycleManifest,
  FileMeta,
  RecoverOutcome,
  SiteAgent,
  SiteItemLayout,
  SiteItemRef,
  SitePoint,
  SiteProbe,
} from './agent';
import type { DeviceOpRequest } from './agent-device';
import type { SourceCallName } from './agent-source-calls';
import type { FolderIndex } from '../replication/folder-scan';
import {
  ARGS_HEADER,
  FRAME,
  FRAME_CONTENT_TYPE,
  FrameReader,
  fromWireError,
  HEARTBEAT_HEADER,
  recordHead,
  type WireError,
} from './agent-protocol';
import { SLOT_DIRS } from './site-copies';
import { parseAgentUrl, pinTo, unreachable, type AgentConnection } from './agent-pairing';

/** The idle timeout of a request (nothing received, heartbeats included): LIFEBOAT_AGENT_TIMEOUT_SECONDS, default 60. */
export function agentTimeoutMs(): number {
  const s = Number(process.env.LIFEBOAT_AGENT_TIMEOUT_SECONDS);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 60_000;
}

/** The site cannot be reached now (agent down, link cut, timeout): retry later. */
export const isSiteUnreachable = (err: unknown): boolean => err instanceof LifeboatError && err.code === 'unavailable';
/** How the retry logic should take a site error: only an unreachable site is worth retrying by itself. */
export function siteErrorKind(err: unknown): 'recoverable' | 'final' {
  if (isSiteUnreachable(err)) return 'recoverable';
  if (err instanceof LifeboatError)
    return err.final || ['forbidden', 'unauthorized', 'disk_full'].includes(err.code) ? 'final' : 'recoverable';
  return 'recoverable';
}

const BATCH_BYTES = 8 << 20;
const TLS_REFUSED = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_LIFEBOAT_PIN/;

interface CallOpts {
  /** JSON arguments in the body; or, with `body`, in the header. */
  args: unknown[];
  body?: (req: ClientRequest) => Promise<void>;
  onData?: (chunk: Buffer) => void;
  /** Idempotent calls are sent again once when a kept-alive socket turns out to be dead. */
  idempotent?: boolean;
}

const write = async (req: ClientRequest, buf: Buffer) => {
  if (!req.write(buf)) await once(req, 'drain');
};

export class RemoteSiteAgent implements SiteAgent {
  private readonly http: https.Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(
    readonly conn: AgentConnection,
    private readonly timeoutMs = agentTimeoutMs(),
  ) {
    ({ host: this.host, port: this.port } = parseAgentUrl(conn.url));
    this.http = new https.Agent({
      keepAlive: true,
      maxSockets: 8,
      cert: conn.clientCert,
      key: conn.clientKey,
      ca: conn.agentCert,
      checkServerIdentity: pinTo(conn.agentFingerprint),
      minVersion: 'TLSv1.3',
    });
  }

  close(): void {
    this.http.destroy();
  }

  private transportError(err: NodeJS.ErrnoException): LifeboatError {
    if (err instanceof LifeboatError) return err;
    if (TLS_REFUSED.test(err.code ?? ''))
      return new LifeboatError(
        'forbidden',
        `The site agent at ${this.conn.url} presented a certificate other than the one pinned when it was paired (${err.message}).`,
        'If the agent was set up again, remove the site and add it again with a new pairing key; otherwise something else answers at that address.',
        { final: true },
      );
    return unreachable(this.conn.url, err.code ?? err.message, err);
  }

  private async call<T>(name: string, opts: CallOpts): Promise<T> {
    try {
      return await this.once<T>(name, opts);
    } catch (err) {
      const e = err as { code?: string; reusedSocket?: boolean; transport?: boolean };
      const stale = opts.idempotent && e.transport && e.reusedSocket && (e.code === 'ECONNRESET' || e.code === 'EPIPE');
      if (!stale) throw this.mapped(err);
      return this.once<T>(name, opts).catch((again: unknown) => Promise.reject(this.mapped(again)));
    }
  }

  /** A transport failure as a typed error; anything else (the agent's own errors, a source that failed to read) as it is. */
  private mapped(err: unknown): Error {
    return (err as { transport?: boolean }).transport
      ? this.transportError(err as NodeJS.ErrnoException)
      : (err as Error);
  }

  private once<T>(name: string, opts: CallOpts): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const headers: Record<string, string> = {
        [HEARTBEAT_HEADER]: String(Math.max(250, Math.floor(this.timeoutMs / 4))),
      };
      if (opts.body) headers[ARGS_HEADER] = encodeURIComponent(JSON.stringify(opts.args));
      else headers['content-type'] = 'application/json';
      const req = https.request({
        host: this.host,
        port: this.port,
        method: 'POST',
        path: `/v1/${name}`,
        agent: this.http,
        timeout: this.timeoutMs,
        headers,
      });
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        req.destroy();
        reject(err);
      };
      const transport = (err: NodeJS.ErrnoException) =>
        fail(Object.assign(err, { transport: true, reusedSocket: req.reusedSocket }));
      req.on('timeout', () => fail(unreachable(this.conn.url, `no answer for ${Math.round(this.timeoutMs / 1000)} s`)));
      req.on('error', transport);
      req.on('response', (res) => {
        if (res.statusCode !== 200 || res.headers['content-type'] !== FRAME_CONTENT_TYPE) {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.length < 64 && parts.push(c));
          res.on('end', () => {
            let w: WireError = {
              code: 'forbidden',
              message: `The site agent at ${this.conn.url} answered HTTP ${res.statusCode} to ${name}.`,
            };
            try {
              w = (JSON.parse(Buffer.concat(parts).toString('utf8')) as { error: WireError }).error ?? w;
            } catch {
              // not a Lifeboat agent's answer: the status says enough
            }
            // A refusal of this installation is final: retrying cannot mend it.
            fail(fromWireError(res.statusCode === 403 ? { ...w, final: true } : w, this.conn.url));
          });
          return;
        }
        const reader = new FrameReader((kind, payload) => {
          if (kind === FRAME.data) opts.onData?.(payload);
          if (kind !== FRAME.result || settled) return;
          settled = true;
          const r = JSON.parse(payload.toString('utf8')) as { ok: boolean; value: T; error: WireError };
          if (r.ok) resolve(r.value);
          else reject(fromWireError(r.error, this.conn.url));
        });
        res.on('data', (c: Buffer) => reader.push(c));
        res.on('end', () => fail(unreachable(this.conn.url, 'the connection closed before the answer')));
        res.on('error', transport);
      });
      if (!opts.body) return void req.end(JSON.stringify(opts.args));
      opts.body(req).then(
        () => req.end(),
        (err: Error) => fail(err),
      );
    });
  }

  private json<T>(name: string, ...args: unknown[]): Promise<T> {
    return this.call<T>(name, { args, idempotent: true });
  }

  /** A device operation on a data root at the agent's host (sites/agent-device.ts): one protocol for sites and devices. */
  device(req: DeviceOpRequest): Promise<unknown> {
    return this.call('device', { args: [req], idempotent: req.op !== 'trash' && req.op !== 'untrash' });
  }

  /** A read at the agent's host for replicating back from its site (sites/agent-source-calls.ts); data chunks go to `onData`. */
  readAt<T>(name: SourceCallName, args: unknown[], onData?: (chunk: Buffer) => void): Promise<T> {
    return this.call<T>(name, { args, idempotent: true, onData: onData && ((c) => onData(Buffer.from(c))) });
  }

  /** A replica folder's files, for a reprotect into this site: only new and changed files are sent. */
  async folderIndex(item: SiteItemRef, folder: string): Promise<FolderIndex> {
    const found = await this.readAt<{ index: FolderIndex } | null>('sourceIndex', [
      this.replicaPath(item, 'folder', folder),
    ]);
    return found?.index ?? {};
  }

  /** A failback's commit: the copy the item ran from here becomes the base of its replica (sites/local-agent.ts). */
  adoptCopy(item: SiteItemRef): Promise<void> {
    return this.json('adoptCopy', item);
  }

  prepareSite(marker: { id: string; name: string }): Promise<void> {
    return this.json('prepareSite', marker);
  }

  checkSite(marker: { id: string; name: string }): Promise<void> {
    return this.json('checkSite', marker);
  }

  space(): Promise<{ free: number; total: number }> {
    return this.json('space');
  }

  /** Latency (best of three round trips), then a probe file sent, fsynced at the site and read back: the network and the site's disk. */
  async probe(bytes = 8 << 20): Promise<SiteProbe> {
    let latencyMs = Infinity;
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await this.json('ping');
      latencyMs = Math.min(latencyMs, performance.now() - t);
    }
    const data = crypto.randomBytes(bytes);
    const t1 = performance.now();
    const { id } = await this.call<{ id: string }>('probeWrite', {
      args: [],
      body: async (req) => {
        for (let i = 0; i < data.length; i += 1 << 20) await write(req, data.subarray(i, i + (1 << 20)));
      },
    });
    const t2 = performance.now();
    const hash = crypto.createHash('sha256');
    let got = 0;
    await this.call('probeRead', { args: [id], onData: (c) => (hash.update(c), (got += c.length)) });
    const t3 = performance.now();
    if (got !== bytes || !hash.digest().equals(crypto.createHash('sha256').update(data).digest()))
      throw new LifeboatError(
        'io_error',
        `The probe file read back from the site agent at ${this.conn.url} differs from what was sent.`,
        'Check the disk of the agent host.',
      );
    const { free, total } = await this.space();
    const rate = (ms: number) => Math.round(bytes / (Math.max(ms, 0.01) / 1000));
    return { free, total, latencyMs, writeBytesPerSecond: rate(t2 - t1), readBytesPerSecond: rate(t3 - t2) };
  }

  prepareItem(item: SiteItemLayout): Promise<void> {
    return this.json('prepareItem', item);
  }

  replicaPath(item: SiteItemRef, kind: 'disk' | 'folder', name: string): string {
    return path.posix.join(this.conn.root, item.name, kind === 'disk' ? 'disks' : 'folders', name);
  }

  recover(item: SiteItemRef): Promise<RecoverOutcome> {
    return this.json('recover', item);
  }

  beginCycle(item: SiteItemRef, cycleId: string): Promise<void> {
    return this.json('beginCycle', item, cycleId);
  }

  /** Sends blocks in batches of at most 8 MiB, each streamed record by record. */
  async writeBlocks(item: SiteItemRef, cycleId: string, disk: string, blocks: BlockWrite[]): Promise<void> {
    for (let i = 0; i < blocks.length;) {
      let size = 0;
      let j = i;
      while (j < blocks.length && (j === i || size + (blocks[j].data?.length ?? 0) <= BATCH_BYTES))
        size += 13 + (blocks[j++].data?.length ?? 0);
      const batch = blocks.slice(i, j);
      await this.call('writeBlocks', {
        args: [item, cycleId, disk],
        idempotent: true, // records are written at their offsets: the same batch twice gives the same bytes
        body: async (req) => {
          for (const b of batch) {
            await write(req, recordHead(b.offset, b.length, !b.data));
            if (b.data) await write(req, b.data);
          }
        },
      });
      i = j;
    }
  }

  async writeFile(
    item: SiteItemRef,
    cycleId: string,
    folder: string,
    rel: string,
    data: Readable,
    meta: FileMeta,
  ): Promise<number> {
    let sent = 0;
    const size = await this.call<number>('writeFile', {
      args: [item, cycleId, folder, rel, meta],
      body: async (req) => {
        for await (const chunk of data) {
          sent += (chunk as Buffer).length;
          await write(req, chunk as Buffer);
        }
      },
    });
    if (size !== sent)
      throw new LifeboatError(
        'io_error',
        `The site agent stored ${size} bytes of ${rel}; ${sent} were sent.`,
        'The next cycle sends it again.',
        { retryable: true },
      );
    return size;
  }

  abortCycle(item: SiteItemRef, cycleId: string): Promise<void> {
    return this.json('abortCycle', item, cycleId);
  }

  /** Commit hooks are the local agent's; an agent's own faults are injected in its process (LIFEBOAT_AGENT_FAULT). */
  commitCycle(item: SiteItemRef, cycleId: string, manifest: CycleManifest, _hooks?: CommitHooks): Promise<SitePoint> {
    return this.json('commitCycle', item, cycleId, manifest);
  }

  points(item: SiteItemRef): Promise<SitePoint[]> {
    return this.json('points', item);
  }

  deletePoints(item: SiteItemRef, ids: string[]): Promise<void> {
    return this.json('deletePoints', item, ids);
  }

  /** Materializes at the site: `to` is a folder on the agent's host, where a failed-over machine would run. */
  materialize(item: SiteItemRef, pointId: string, to: string): Promise<{ bytes: number }> {
    return this.json('materialize', item, pointId, to);
  }

  async blockChecksums(item: SiteItemRef, disk: string, blockSize: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    await this.call('blockChecksums', {
      args: [item, disk, blockSize],
      idempotent: true,
      onData: (c) => parts.push(Buffer.from(c)),
    });
    return Buffer.concat(parts);
  }

  removeItem(item: SiteItemRef): Promise<void> {
    return this.json('removeItem', item);
  }

  /** Copy hooks are the local agent's; the agent's own process holds a copy with LIFEBOAT_AGENT_FAULT. */
  placeCopy(
    item: SiteItemRef,
    slot: CopySlot,
    pointId: string,
    _hooks?: CopyHooks,
  ): Promise<{ bytes: number; path: string }> {
    return this.json('placeCopy', item, slot, pointId);
  }

  copyPath(item: SiteItemRef, slot: CopySlot): string {
    return path.posix.join(this.conn.root, SLOT_DIRS[slot], item.name);
  }

  removeCopy(item: SiteItemRef, slot: CopySlot): Promise<void> {
    return this.json('removeCopy', item, slot);
  }

  dropReplica(item: SiteItemRef): Promise<void> {
    return this.json('dropReplica', item);
  }

  /** The agent's heartbeats keep a long command from looking like a dead link. */
  runCommand(req: CommandRequest): Promise<CommandRun> {
    return this.json('runCommand', req);
  }
}
