import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startWeb, tempHome, type WebApp } from '../helpers/home';

let app: WebApp;
beforeAll(async () => {
  app = await startWeb(tempHome());
});
afterAll(async () => {
  await app?.stop();
});

function request(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: app.port, path, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

async function session(): Promise<string> {
  const r = await request('/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: app.token }) });
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
    expect((await request('/session', { method: 'POST', headers: { Origin: 'http://evil.example' }, body: JSON.stringify({ token: app.token }) })).status).toBe(403);
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
    expect(await ask(1, { call: 'service.init', input: { name: 42 } })).toMatchObject({ ok: false, error: { code: 'invalid_input', message: expect.stringMatching(/^name: /) } });
    expect(await ask(2, { call: 'jobs.list', input: { limit: 'many' } })).toMatchObject({ ok: false, error: { code: 'invalid_input', message: expect.stringMatching(/^limit: /) } });
    expect(await ask(3, { call: 'rm -rf', input: {} })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(await ask(-1, 'not json')).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(await ask(4, { call: 'status.get', input: {} })).toMatchObject({ ok: true, value: { app: { mode: 'web' } } });
    socket.close();
  });
});
