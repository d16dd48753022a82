/**
 * Web mode's reading of what an HTTP client sends (request line, body, session token) and its typed error replies.
 * Every reader throws invalid_input on bad input rather than a TypeError or URIError, and every reply survives a
 * connection that is already gone, so the entry guard's answer is always a status and a Result-shaped JSON body.
 */
import http from 'node:http';
import type stream from 'node:stream';
import { httpStatus } from '../engine/api/guard';
import { LifeboatError, type ErrorInfo } from '../shared/errors';

export const OPEN_PRINTED = 'Open the address Lifeboat printed when it started.';

/** The path of a request's target; any local process can send any request line, before it has a session. */
export function requestPath(target: string | undefined): string {
  try {
    return new URL(target ?? '/', 'http://127.0.0.1').pathname;
  } catch {
    throw new LifeboatError('invalid_input', 'The request line does not hold a valid address.', OPEN_PRINTED);
  }
}

/** A path's %-escapes decoded; a broken escape (%E0%A4%A) or a NUL byte is invalid input, not a crash or a file. */
export function decodedPath(pathname: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    throw new LifeboatError('invalid_input', 'The address has a broken %-escape.', OPEN_PRINTED);
  }
  if (decoded.includes('\0'))
    throw new LifeboatError('invalid_input', 'The address holds a NUL character.', OPEN_PRINTED);
  return decoded;
}

/** A request body of at most `limit` bytes; past it the rest is drained unread and the read fails. */
export function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) parts.push(chunk);
    });
    req.on('end', () => {
      if (size > limit)
        reject(
          new LifeboatError(
            'invalid_input',
            `The request body is over ${limit} bytes.`,
            'Send only {"token": "…"} to /session.',
          ),
        );
      else resolve(Buffer.concat(parts).toString('utf8'));
    });
    req.on('error', reject);
  });
}

/** The token in a /session body ({"token": "…"}), or '' when there is none: the caller answers 401 either way. */
export function tokenIn(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    const token = parsed !== null && typeof parsed === 'object' ? (parsed as { token?: unknown }).token : undefined;
    return typeof token === 'string' ? token : '';
  } catch {
    return '';
  }
}

const jsonError = (error: ErrorInfo) => JSON.stringify({ ok: false, error });

/** The guard's reply on a request: the error's status and the Result JSON, or a cut connection once headers went. */
export function replyError(res: http.ServerResponse, error: ErrorInfo): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = jsonError(error);
  res.writeHead(httpStatus(error.code), {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    Connection: 'close',
  });
  res.end(body);
}

/** The same reply written on a bare socket (a WebSocket handshake, or a request the HTTP parser refused). */
export function rawError(socket: stream.Duplex, error: ErrorInfo, status = httpStatus(error.code)): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = jsonError(error);
  const head = `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: application/json\r\n`;
  socket.end(`${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/** Node's HTTP parser refused the bytes (not HTTP, a header too large): a typed 400 or 431 instead of its bare one. */
export function parserError(err: NodeJS.ErrnoException, socket: stream.Duplex): void {
  // A reply already under way on this socket (a pipelined request) cannot be followed by another one.
  const inFlight = (socket as { _httpMessage?: http.ServerResponse | null })._httpMessage;
  if (err.code === 'ECONNRESET' || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return rawError(
      socket,
      { code: 'invalid_input', message: 'The request headers are too large.', hint: OPEN_PRINTED },
      431,
    );
  }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return rawError(
      socket,
      { code: 'timeout', message: 'The request took too long to arrive.', hint: 'Try again.' },
      408,
    );
  }
  rawError(socket, {
    code: 'invalid_input',
    message: `The request is not valid HTTP (${err.code ?? err.message}).`,
    hint: OPEN_PRINTED,
  });
}
