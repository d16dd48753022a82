import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startWeb, tempHome, until, type WebApp } from '../helpers/home';

let app: WebApp;
beforeAll(async () => {
  app = await startWeb(tempHome());
});
afterAll(async () => {
  await app?.stop();
});

function request(
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: app.port, path, method: opts.method ?? 'GET', headers: opts.headers },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

async function session(): Promise<string> {
  const r = await request('/session', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token: app.token }),
  });
  expect(r.status).toBe(204);
  const cookie = String(r.headers['set-cookie']);
  expect(cookie).toMatch(/HttpOnly/);
  expect(cookie).toMatch(/SameSite=Strict/);
  return cookie.split(';')[0];
}

function ws(headers: Record<string, string>): Promise<{ socket: WebSocket; status?: number }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`ws://127.0.0.1:${app.port}/api`, { headers });
    socket.once('open', () => resolve({ socket }));
    socket.once('unexpected-response', (_req, res) => resolve({ socket, status: res.statusCode }));
    socket.once('error', () => undefined);
  });
}

/** Sends raw bytes on a fresh TCP connection (as any local process can) and reads the reply up to its close. */
function raw(text: string, host = '127.0.0.1'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port: app.port }, () => socket.end(text));
    let got = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (got += d));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(got);
      resolve({ status: status ? Number(status[1]) : 0, body: got.slice(got.indexOf('\r\n\r\n') + 4) });
    });
  });
}

/** Web mode is still up and serving (a crash would have ended the child process). */
async function stillUp(): Promise<void> {
  expect((await request('/')).status).toBe(200);
  expect(app.proc.exitCode).toBeNull();
}

describe('web mode security', () => {
  it('binds to 127.0.0.1 and prints the token in the URL fragment only', () => {
    expect(app.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]{43}$/);
  });

  it('serves only the sign-in page without the session cookie (200: it holds no secret), everything else 401', async () => {
    // The sign-in page is a 200 so a clean launch logs no "Failed to load resource" error in the browser's console.
    const root = await request('/');
    expect(root.status).toBe(200);
    expect(root.body).toContain('Signing in');
    expect(root.body).not.toContain('/assets/');
    // It names its icon inline: otherwise the browser asks for /favicon.ico before the session exists, a 401 that a
    // clean launch logs as a console error whenever that request beats the sign-in's reload.
    expect(root.body).toContain('<link rel="icon" href="data:,">');
    expect((await request('/index.html')).status).toBe(200);
    expect((await request('/index.html', { method: 'POST' })).status).toBe(401);
    expect((await request('/jobs')).status).toBe(401);
    expect(root.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(root.headers['content-security-policy']).toMatch(/script-src 'self' 'sha256-/);
    expect(root.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(root.body).not.toContain(app.token);
    expect((await request('/assets/index.js')).status).toBe(401);
    expect((await request('/session', { method: 'POST', body: JSON.stringify({ token: 'wrong' }) })).status).toBe(401);
  });

  it('answers 403 to a foreign Origin or Host header (DNS rebinding, cross-site requests)', async () => {
    const cookie = await session();
    expect((await request('/', { headers: { Cookie: cookie, Origin: 'http://evil.example' } })).status).toBe(403);
    expect((await request('/', { headers: { Cookie: cookie, Host: `evil.example:${app.port}` } })).status).toBe(403);
    expect(
      (
        await request('/session', {
          method: 'POST',
          headers: { Origin: 'http://evil.example' },
          body: JSON.stringify({ token: app.token }),
        })
      ).status,
    ).toBe(403);
    expect((await request('/', { headers: { Cookie: cookie } })).status).toBe(200);
  });

  it('refuses WebSocket handshakes without the cookie or from another origin', async () => {
    const origin = `http://127.0.0.1:${app.port}`;
    expect((await ws({ Origin: origin })).status).toBe(401);
    const cookie = await session();
    expect((await ws({ Origin: 'http://evil.example', Cookie: cookie })).status).toBe(403);
    expect((await ws({ Cookie: cookie })).status).toBe(403);
    const ok = await ws({ Origin: origin, Cookie: cookie });
    expect(ok.status).toBeUndefined();
    ok.socket.close();
  });

  it('carries the API over the WebSocket: invalid payloads get invalid_input, valid calls their value', async () => {
    const cookie = await session();
    const { socket } = await ws({ Origin: `http://127.0.0.1:${app.port}`, Cookie: cookie });
    const replies = new Map<number, unknown>();
    socket.on('message', (d) => {
      const msg = JSON.parse(d.toString());
      if ('id' in msg) replies.set(msg.id, msg.result);
    });
    const ask = async (id: number, payload: unknown) => {
      socket.send(typeof payload === 'string' ? payload : JSON.stringify({ id, ...(payload as object) }));
      const deadline = Date.now() + 5000;
      while (!replies.has(id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      return replies.get(id);
    };
    expect(await ask(1, { call: 'service.init', input: { name: 42 } })).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', message: expect.stringMatching(/^name: /) },
    });
    expect(await ask(2, { call: 'jobs.list', input: { limit: 'many' } })).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', message: expect.stringMatching(/^limit: /) },
    });
    expect(await ask(3, { call: 'rm -rf', input: {} })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(await ask(-1, 'not json')).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(await ask(4, { call: 'status.get', input: {} })).toMatchObject({
      ok: true,
      value: { app: { mode: 'web' } },
    });
    socket.close();
  });

  it('answers a request line that is not a URL with a typed 400, before any session, and stays up', async () => {
    const r = await raw(`GET http://[ HTTP/1.1\r\nHost: 127.0.0.1:${app.port}\r\nConnection: close\r\n\r\n`);
    expect(r.status).toBe(400);
    const error = { code: 'invalid_input', message: expect.stringMatching(/request line/), hint: expect.any(String) };
    expect(JSON.parse(r.body)).toMatchObject({ ok: false, error });
    await stillUp();
  });

  it('answers the same line on a WebSocket upgrade with a typed 400, and stays up', async () => {
    const origin = `http://127.0.0.1:${app.port}`;
    const upgrade = `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n`;
    const r = await raw(`GET http://[ HTTP/1.1\r\nHost: 127.0.0.1:${app.port}\r\nOrigin: ${origin}\r\n${upgrade}\r\n`);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    await stillUp();
  });

  it('answers a broken %-escape in a signed-in request with a typed 400, and stays up', async () => {
    const cookie = await session();
    const r = await request('/%E0%A4%A', { headers: { Cookie: cookie } });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', message: expect.stringMatching(/%-escape/) },
    });
    expect((await request('/a%00.js', { headers: { Cookie: cookie } })).status).toBe(400);
    await stillUp();
  });

  it('answers a WebSocket frame that is JSON but no object (null, 7, []) with invalid_input, and stays up', async () => {
    const cookie = await session();
    const { socket } = await ws({ Origin: `http://127.0.0.1:${app.port}`, Cookie: cookie });
    const replies: { id: number; result: { ok: boolean; error?: { code: string; message: string } } }[] = [];
    socket.on('message', (d) => {
      const msg = JSON.parse(d.toString());
      if ('id' in msg) replies.push(msg);
    });
    for (const frame of ['null', '7', '[]', '{"id":"x","call":"status.get"}', '{"id":1,"abort":"yes"}'])
      socket.send(frame);
    socket.send(JSON.stringify({ id: 9, call: 'status.get', input: {} }));
    await until('six replies', () => replies.length === 6, 10_000);
    expect(replies.slice(0, 5).map((r) => [r.id, r.result.error?.code])).toEqual(Array(5).fill([-1, 'invalid_input']));
    expect(replies[0].result.error?.message).toMatch(/JSON object, not null/);
    expect(replies[5]).toMatchObject({ id: 9, result: { ok: true } });
    socket.close();
    await stillUp();
  });

  // Linux routes all of 127.0.0.0/8 to the loopback interface, so a server bound to 0.0.0.0 would accept here.
  it.skipIf(process.platform !== 'linux')(
    'listens on 127.0.0.1 only: another loopback address on the same port is refused',
    async () => {
      const refused = await new Promise<string>((resolve) => {
        const socket = net.connect({ host: '127.0.0.2', port: app.port });
        socket.once('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      });
      expect(refused).toBe('ECONNREFUSED');
      await stillUp();
    },
  );
});
