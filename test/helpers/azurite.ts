/**
 * Real Azurite for tests: the blob service started by the test itself on a free loopback port with its own data
 * folder, stoppable and restartable on the same port and folder (to simulate an outage mid-upload), plus a tiny
 * fault proxy that answers 503 or never answers for the first requests, since Azurite has no fault injection.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Azurite's documented development account; public, not a secret. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const BIN = path.resolve(__dirname, '../../node_modules/.bin/azurite-blob');

export interface Azurite {
  port: number;
  /** http://127.0.0.1:<port>/devstoreaccount1 */
  endpoint: string;
  connectionString: string;
  location: string;
  /** Stops the service: 'graceful' lets Azurite flush its metadata, 'kill' is SIGKILL (a crash). */
  stop(mode?: 'graceful' | 'kill'): Promise<void>;
  /** Starts it again on the same port and data folder. */
  start(): Promise<void>;
  /** Stops it and removes the data folder. */
  dispose(): Promise<void>;
}

export function connectionStringFor(endpoint: string, key = AZURITE_KEY): string {
  return `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${key};BlobEndpoint=${endpoint};`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on the port; rejects on timeout or when the child exits. */
async function waitForPort(port: number, child: ChildProcess, log: () => string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`Azurite exited (${child.exitCode ?? child.signalCode}): ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => (sock.destroy(), resolve(true)));
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Azurite did not listen on 127.0.0.1:${port} within ${timeoutMs} ms: ${log()}`);
}

export async function startAzurite(): Promise<Azurite> {
  const port = await freePort();
  const location = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-azurite-'));
  const endpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  let child: ChildProcess | undefined;
  let output = '';

  const start = async () => {
    if (child) return;
    output = '';
    // --disableTelemetry exists in 3.35; --loose and --skipApiVersionCheck let a newer SDK talk to it.
    const args = [
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(port),
      '--location',
      location,
      '--silent',
      '--disableTelemetry',
      '--skipApiVersionCheck',
      '--loose',
    ];
    const proc = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d) => (output = (output + d).slice(-4000)));
    proc.stderr!.on('data', (d) => (output = (output + d).slice(-4000)));
    child = proc;
    try {
      await waitForPort(port, proc, () => output);
    } catch (err) {
      proc.kill('SIGKILL');
      child = undefined;
      throw err;
    }
  };

  const stop = async (mode: 'graceful' | 'kill' = 'graceful') => {
    const proc = child;
    if (!proc) return;
    child = undefined;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(mode === 'kill' ? 'SIGKILL' : 'SIGTERM');
    // A graceful close waits for idle keep-alive sockets; do not let it hang a test.
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    port,
    endpoint,
    connectionString: connectionStringFor(endpoint),
    location,
    stop,
    start,
    dispose: async () => {
      await stop('kill');
      fs.rmSync(location, { recursive: true, force: true });
    },
  };
}

export type FaultMode = 'busy' | 'hang' | 'lost';

export interface FaultProxy {
  port: number;
  /** The account endpoint through the proxy. */
  endpoint: string;
  /** Requests seen, faulted or forwarded. */
  readonly requests: number;
  /** Faults still to serve. */
  readonly remaining: number;
  /** Arrival times (ms since the proxy started) of each request since the last inject: their number is the attempts. */
  arrivals: number[];
  /** Requests held open ('hang') that the client gave up on and closed, since the last inject. */
  readonly abandoned: number;
  /**
   * The next `count` requests get 503 ServerBusy ('busy'), are held open unanswered ('hang', a timeout), or reach
   * Azurite but lose their answer on the way back ('lost': the connection drops after the server acted).
   */
  inject(count: number, mode?: FaultMode): void;
  close(): Promise<void>;
}

/** A loopback proxy to Azurite that injects a bounded number of faults, then passes everything through. */
export async function startFaultProxy(targetPort: number): Promise<FaultProxy> {
  const t0 = Date.now();
  const hung = new Set<http.ServerResponse>();
  const state = { requests: 0, remaining: 0, abandoned: 0, mode: 'busy' as FaultMode };
  const arrivals: number[] = [];
  const server = http.createServer((req, res) => {
    state.requests++;
    arrivals.push(Date.now() - t0);
    const lose = state.remaining > 0 && state.mode === 'lost';
    if (state.remaining > 0 && !lose) {
      state.remaining--;
      req.resume();
      if (state.mode === 'hang') {
        hung.add(res);
        // Never answered: the only way this ends before close() is the client dropping the request (its timeout).
        res.once('close', () => {
          if (hung.delete(res)) state.abandoned++;
        });
        return;
      }
      const body =
        '<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code><Message>Injected by the test proxy.</Message></Error>';
      res.writeHead(503, {
        'content-type': 'application/xml',
        'x-ms-error-code': 'ServerBusy',
        'content-length': Buffer.byteLength(body),
      });
      return void res.end(body);
    }
    if (lose) state.remaining--;
    const upstream = http.request(
      { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        if (lose) return void (up.resume(), res.destroy());
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    endpoint: `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`,
    get requests() {
      return state.requests;
    },
    get remaining() {
      return state.remaining;
    },
    get abandoned() {
      return state.abandoned;
    },
    arrivals,
    inject(count, mode = 'busy') {
      state.remaining = count;
      state.mode = mode;
      state.abandoned = 0;
      arrivals.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        const held = [...hung];
        hung.clear();
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
