/**
 * Web mode: the same engine serves the renderer on 127.0.0.1, with the preload API carried over a WebSocket.
 * Security: a per-launch token (in the URL fragment, never sent in a request line) is exchanged for an HttpOnly,
 * SameSite=Strict session cookie; every other request needs that cookie (401 without it); a Host or Origin header
 * that is not this server's own is refused (403), which defeats DNS rebinding and cross-site requests.
 * Every request, handshake and frame runs through the entry guard (engine/api/guard.ts): nothing a client sends,
 * signed in or not, can end the process; whatever goes wrong is answered with a typed error.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type stream from 'node:stream';
import { pipeline } from 'node:stream';
import { WebSocketServer } from 'ws';
import { guard } from '../engine/api/guard';
import { openSession } from '../engine/api/session';
import { MAX_MESSAGE_BYTES, type ServerMessage } from '../shared/wire';
import type { Engine } from '../engine/engine';
import { bootstrapPage } from './bootstrap';
import {
  decodedPath,
  OPEN_PRINTED,
  parserError,
  rawError,
  readBody,
  replyError,
  requestPath,
  tokenIn,
} from './http-input';

export interface WebServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const COOKIE = 'lifeboat_session';
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

export function contentSecurityPolicy(port: number, scriptHash?: string): string {
  return [
    "default-src 'self'",
    `script-src 'self'${scriptHash ? ` '${scriptHash}'` : ''}`,
    // Fluent UI (Griffel) inserts its atomic CSS rules as style elements at run time.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function cookies(req: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
};

export async function startWebServer(engine: Engine, opts: { port?: number; rendererDir: string }): Promise<WebServer> {
  const token = crypto.randomBytes(32).toString('base64url');
  const sessions = new Set<string>();
  let port = 0;
  const allowedHosts = () => [`127.0.0.1:${port}`, `localhost:${port}`];
  const allowedOrigins = () => allowedHosts().map((h) => `http://${h}`);

  const headersOk = (req: http.IncomingMessage) => {
    if (!allowedHosts().includes(req.headers.host ?? '')) return false;
    const origin = req.headers.origin;
    return origin === undefined || allowedOrigins().includes(origin);
  };
  const authed = (req: http.IncomingMessage) => {
    const sid = cookies(req)[COOKIE];
    return !!sid && [...sessions].some((s) => sameSecret(s, sid));
  };
  const security = (res: http.ServerResponse, csp: string) => {
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cache-Control', 'no-store');
  };
  const plain = (res: http.ServerResponse, status: number, text: string) => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(text);
  };

  // Everything a client sends reaches these handlers through the entry guard: a throw is a typed error reply.
  const serve = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    security(res, contentSecurityPolicy(port));
    const pathname = requestPath(req.url);
    if (!headersOk(req))
      return plain(
        res,
        403,
        'Forbidden: this page may only be opened from this computer at the address Lifeboat printed.',
      );
    if (pathname === '/session' && req.method === 'POST') {
      const given = tokenIn(await readBody(req, 4096));
      if (!sameSecret(given, token))
        return plain(
          res,
          401,
          'The token is not valid for this Lifeboat. Open the address Lifeboat printed when it started.',
        );
      const sid = crypto.randomBytes(32).toString('base64url');
      sessions.add(sid);
      res.setHeader('Set-Cookie', `${COOKIE}=${sid}; HttpOnly; SameSite=Strict; Path=/`);
      return res.writeHead(204).end();
    }
    if (!authed(req)) {
      if (req.method === 'GET' && (pathname === '/' || pathname === '/index.html')) {
        const page = bootstrapPage();
        security(res, contentSecurityPolicy(port, page.scriptHash));
        res.writeHead(200, { 'Content-Type': TYPES['.html'] });
        return res.end(page.html);
      }
      return plain(res, 401, 'Unauthorized: open the address Lifeboat printed when it started.');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Method not allowed.');
    const rel = path.normalize(decodedPath(pathname)).replace(/^([/\\])+/, '');
    let file = path.join(opts.rendererDir, rel || 'index.html');
    if (!file.startsWith(opts.rendererDir + path.sep) && file !== opts.rendererDir)
      return plain(res, 403, 'Forbidden.');
    if (!fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(opts.rendererDir, 'index.html');
    if (!fs.existsSync(file)) return plain(res, 500, 'The renderer is not built: run `npm run build`.');
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    if (req.method === 'HEAD') return res.end();
    // A read error (the file went away) ends this response, not the process.
    pipeline(fs.createReadStream(file), res, () => undefined);
  };
  const server = http.createServer(guard('http', engine.log, serve, (error, _req, res) => replyError(res, error)));
  const onParserError = (err: NodeJS.ErrnoException, socket: stream.Duplex) => parserError(err, socket);
  server.on(
    'clientError',
    guard('http', engine.log, onParserError, (_error, _err, socket) => socket.destroy()),
  );

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const upgrade = (req: http.IncomingMessage, socket: stream.Duplex, head: Buffer) => {
    // Until ws takes the socket, a reset from the client would be an unhandled 'error' event.
    socket.on('error', () => socket.destroy());
    const pathname = requestPath(req.url);
    // Browsers always send Origin on a WebSocket handshake: require it to be ours.
    const originOk = req.headers.origin !== undefined && headersOk(req);
    if (!originOk)
      return rawError(socket, {
        code: 'forbidden',
        message: 'The WebSocket is only for the Lifeboat page on this computer.',
        hint: OPEN_PRINTED,
      });
    if (!authed(req))
      return rawError(socket, {
        code: 'unauthorized',
        message: 'The WebSocket needs a Lifeboat session.',
        hint: OPEN_PRINTED,
      });
    if (pathname !== '/api')
      return rawError(socket, { code: 'not_found', message: 'The WebSocket is at /api.', hint: OPEN_PRINTED });
    wss.handleUpgrade(req, socket, head, (ws) => {
      const send = (msg: ServerMessage) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
      };
      const session = openSession(engine, send, 'websocket');
      send({ hello: { version: engine.versions().lifeboat, mode: 'web' } });
      ws.on('message', (data) => void session.receive(String(data)));
      ws.on('close', () => session.close());
      ws.on('error', () => session.close());
    });
  };
  server.on(
    'upgrade',
    guard('upgrade', engine.log, upgrade, (error, _req, socket) => rawError(socket, error)),
  );
  // ws's own handshake checks (method, Upgrade, Sec-WebSocket-Key and -Version) answer through here, typed too.
  const badHandshake = (err: Error, socket: stream.Duplex) =>
    rawError(socket, {
      code: 'invalid_input',
      message: `The WebSocket handshake is not valid: ${err.message}.`,
      hint: OPEN_PRINTED,
    });
  wss.on(
    'wsClientError',
    guard('upgrade', engine.log, badHandshake, (_error, _err, socket) => socket.destroy()),
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/#token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
