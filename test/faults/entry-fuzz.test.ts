/**
 * Fuzzes every entry point of a running app (web mode as a real child process): 10 000 generated malformed HTTP
 * requests, WebSocket handshakes, WebSocket frames and local socket lines each (random bytes, truncated JSON, wrong
 * types per contract field, huge and deep values). Each must get its typed error, the process must stay up, and its
 * resident memory must stay bounded. The seed is printed; LIFEBOAT_FUZZ_SEED=N repeats a run.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { socketPath } from '../../main/server/local-socket';
import { cpuSeconds, LineClient, rssMiB, type Reply } from '../helpers/entry-clients';
import { badMessage, badRequest, badUpgrade, Rng, type HttpCase } from '../helpers/fuzz-inputs';
import { buildMain, startWeb, tempHome, until, type WebApp } from '../helpers/home';

const SEED = Number(process.env.LIFEBOAT_FUZZ_SEED ?? crypto.randomInt(2 ** 31));
// LIFEBOAT_FUZZ_COUNT changes the count per entry point (at least 10 000 in the suite).
const PER_ENTRY = Number(process.env.LIFEBOAT_FUZZ_COUNT ?? 10_000);
const onLinux = process.platform === 'linux';
/** Each test's budget: no assertion is on time, but a loaded 2-core machine runs these several times slower. */
const BUDGET = 300_000;

let app: WebApp;
let home: string;
let cookie: string;
const rss = { before: 0, peak: 0, cpu: 0 };
const figures: string[] = [];
const sampleRss = () => {
  if (onLinux) rss.peak = Math.max(rss.peak, rssMiB(app.proc.pid!));
};

beforeAll(async () => {
  console.log(`entry fuzz: seed ${SEED} (LIFEBOAT_FUZZ_SEED=${SEED} repeats this run)`);
  buildMain();
  home = tempHome();
  app = await startWeb(home);
  cookie = await new Promise<string>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: app.port, path: '/session', method: 'POST' }, (res) => {
      res.resume();
      resolve(String(res.headers['set-cookie']).split(';')[0]);
    });
    req.on('error', reject);
    req.end(JSON.stringify({ token: app.token }));
  });
  if (onLinux) {
    rss.before = rss.peak = rssMiB(app.proc.pid!);
    rss.cpu = cpuSeconds(app.proc.pid!);
  }
}, 120_000);

afterAll(async () => {
  console.log(`entry fuzz (seed ${SEED}):\n  ${figures.join('\n  ')}`);
  await app?.stop();
});

/** Sends one case on a fresh connection and reads the whole reply (the server closes it after an error). */
function exchange(c: HttpCase): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: app.port }, () => socket.write(c.bytes));
    const got: Buffer[] = [];
    socket.on('data', (d: Buffer) => got.push(d));
    // A reset after the reply (the server closed with our bytes unread) still leaves the reply we read.
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(got).toString('utf8')));
    // A reply that never comes is a finding (reported with its case), not a hung test.
    socket.setTimeout(10_000, () => socket.destroy());
  });
}

/** What is wrong with a reply to a case, or null when it is the typed error the case must get. */
function problem(c: HttpCase, reply: string): string | null {
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(reply)?.[1] ?? 0);
  const body = reply.slice(reply.indexOf('\r\n\r\n') + 4);
  let error: { code?: unknown; message?: unknown; hint?: unknown } | undefined;
  try {
    error = (JSON.parse(body) as { ok: boolean; error: typeof error }).error;
  } catch {
    error = undefined;
  }
  const typed =
    error &&
    error.code === c.code &&
    typeof error.message === 'string' &&
    error.message &&
    typeof error.hint === 'string';
  if (status === c.status && typed) return null;
  return `${c.kind}: ${JSON.stringify(c.bytes.subarray(0, 120).toString('latin1'))} got ${JSON.stringify(reply.slice(0, 300))}`;
}

/** Runs `count` generated cases, `parallel` connections at a time; returns the problems found. */
async function fuzzConnections(
  rng: Rng,
  count: number,
  make: (rng: Rng) => HttpCase,
  parallel = 12,
): Promise<string[]> {
  const problems: string[] = [];
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const c = make(rng);
      next++;
      const p = problem(c, await exchange(c));
      if (p) problems.push(p);
      if (next % 1000 === 0) sampleRss();
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  return problems;
}

/** Checks that every reply is the typed invalid_input answer to a malformed message. */
function untyped(replies: Reply[]): Reply[] {
  return replies.filter((r) => {
    const e = r.result?.error;
    return (
      typeof r.id !== 'number' ||
      r.result?.ok !== false ||
      e?.code !== 'invalid_input' ||
      !e.message ||
      typeof e.hint !== 'string'
    );
  });
}

const alive = () => expect(app.proc.exitCode, `web mode exited (seed ${SEED}):\n${app.output()}`).toBeNull();

describe('entry fuzz', () => {
  it(
    'HTTP: every malformed request gets its typed error',
    async () => {
      const started = Date.now();
      const problems = await fuzzConnections(new Rng(SEED), PER_ENTRY, (rng) => badRequest(rng, app.port, cookie));
      figures.push(`HTTP: ${PER_ENTRY} requests in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      expect(problems.slice(0, 5), `seed ${SEED}: ${problems.length} untyped replies`).toEqual([]);
      alive();
    },
    BUDGET,
  );

  it(
    'WebSocket upgrade: every malformed handshake gets its typed error',
    async () => {
      const started = Date.now();
      const problems = await fuzzConnections(new Rng(SEED + 1), PER_ENTRY, (rng) => badUpgrade(rng, app.port, cookie));
      figures.push(`upgrade: ${PER_ENTRY} handshakes in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      expect(problems.slice(0, 5), `seed ${SEED}: ${problems.length} untyped replies`).toEqual([]);
      alive();
    },
    BUDGET,
  );

  it(
    'WebSocket frames: every malformed message gets invalid_input, and the connection keeps serving',
    async () => {
      const started = Date.now();
      const socket = new WebSocket(`ws://127.0.0.1:${app.port}/api`, {
        headers: { Origin: `http://127.0.0.1:${app.port}`, Cookie: cookie },
      });
      const replies: Reply[] = [];
      socket.on('message', (d) => {
        const msg = JSON.parse(String(d)) as Reply;
        if ('id' in msg) replies.push(msg);
      });
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      const rng = new Rng(SEED + 2);
      for (let sent = 0; sent < PER_ENTRY;) {
        for (const end = sent + 250; sent < end; sent++) {
          const m = badMessage(rng, false);
          socket.send(m, { binary: typeof m !== 'string' });
        }
        const want = sent;
        await until(`replies to ${want} frames (seed ${SEED})`, () => replies.length >= want, 60_000);
        sampleRss();
      }
      expect(replies).toHaveLength(PER_ENTRY);
      expect(untyped(replies).slice(0, 5), `seed ${SEED}`).toEqual([]);
      socket.send(JSON.stringify({ id: 7, call: 'status.get', input: {} }));
      await until('the status reply', () => replies.length > PER_ENTRY, 10_000);
      expect(replies[PER_ENTRY]).toMatchObject({ id: 7, result: { ok: true } });
      // A frame past 1 MiB is refused by the WebSocket protocol itself: close code 1009, Message Too Big.
      const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
      socket.send('x'.repeat(2 << 20));
      expect(await closed).toBe(1009);
      figures.push(`WebSocket: ${PER_ENTRY} frames in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      alive();
    },
    BUDGET,
  );

  it(
    'local socket: every malformed line gets invalid_input, lines past 1 MiB included',
    async () => {
      const started = Date.now();
      const client = await LineClient.connect(socketPath(home));
      const rng = new Rng(SEED + 3);
      let tooLong = 0;
      for (let sent = 0; sent < PER_ENTRY;) {
        for (const end = sent + 250; sent < end; sent++) {
          if (sent % 500 === 499) {
            tooLong++;
            await client.write(Buffer.alloc(rng.between((1 << 20) + 1, 3 << 20), 'z'));
            await client.write('\n');
            continue;
          }
          const m = badMessage(rng, true);
          await client.write(Buffer.concat([Buffer.from(m), Buffer.from('\n')]));
        }
        const want = sent;
        await until(`replies to ${want} lines (seed ${SEED})`, () => client.replies.length >= want, 60_000);
        sampleRss();
      }
      expect(client.replies).toHaveLength(PER_ENTRY);
      expect(untyped(client.replies).slice(0, 5), `seed ${SEED}`).toEqual([]);
      expect(client.replies.filter((r) => /limited to 1 MiB/.test(r.result?.error?.message ?? ''))).toHaveLength(
        tooLong,
      );
      await client.write('{"id":7,"call":"status.get","input":{}}\n');
      await until('the status reply', () => client.replies.length > PER_ENTRY, 10_000);
      expect(client.replies[PER_ENTRY]).toMatchObject({ id: 7, result: { ok: true } });
      client.socket.destroy();
      figures.push(
        `local socket: ${PER_ENTRY} lines (${tooLong} over 1 MiB) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      alive();
    },
    BUDGET,
  );

  it.skipIf(!onLinux)('kept its resident memory bounded throughout (RSS from /proc, Linux only)', () => {
    sampleRss();
    const after = rssMiB(app.proc.pid!);
    figures.push(
      `RSS: ${rss.before.toFixed(0)} MiB before, ${rss.peak.toFixed(0)} MiB at most, ${after.toFixed(0)} MiB after`,
    );
    figures.push(`the app's CPU time for all four: ${(cpuSeconds(app.proc.pid!) - rss.cpu).toFixed(1)} s`);
    expect(rss.peak - rss.before, `seed ${SEED}`).toBeLessThan(200);
    alive();
  });
});
