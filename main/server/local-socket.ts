/**
 * The local socket in the data directory: the CLI (and the console's commands run from a shell) reach the running
 * app through it, so the app sees their jobs live. It is a Unix socket with 0600 permissions (a named pipe on Windows).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { guard } from '../engine/api/guard';
import { openSession } from '../engine/api/session';
import { MAX_MESSAGE_BYTES } from '../shared/wire';
import type { Engine } from '../engine/engine';
import type { ErrorInfo } from '../shared/errors';
import { LineReader } from './lines';

const LINE_TOO_LONG: ErrorInfo = {
  code: 'invalid_input',
  message:
    `A line on the local socket is limited to ${MAX_MESSAGE_BYTES >> 20} MiB: the app holds each line in memory until its newline, ` +
    'so a longer one was dropped unread.',
  hint: 'Send one JSON message per line, ending in a newline; give a large input by its path (as `lifeboat run FILE` does).',
};

export function socketPath(dataDir: string): string {
  const hash = crypto.createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16);
  if (process.platform === 'win32') return `\\\\.\\pipe\\lifeboat-${hash}`;
  const inDir = path.join(dataDir, 'lifeboat.sock');
  // Unix socket paths are limited to about 104 bytes.
  return Buffer.byteLength(inDir) < 100 ? inDir : path.join(os.tmpdir(), `lifeboat-${hash}.sock`);
}

export async function startLocalSocket(engine: Engine): Promise<{ path: string; close(): Promise<void> }> {
  const file = socketPath(engine.dataDir);
  // We hold the data directory's lock, so a socket file left here belongs to a crashed instance.
  if (process.platform !== 'win32') fs.rmSync(file, { force: true });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const session = openSession(
      engine,
      (msg) => {
        if (!socket.destroyed) socket.write(JSON.stringify(msg) + '\n');
      },
      'local-socket',
    );
    const lines = new LineReader(MAX_MESSAGE_BYTES);
    // Each line goes to the session, whose guard answers whatever is wrong with it; reading is guarded too.
    const onData = guard(
      'local-socket',
      engine.log,
      (chunk: Buffer) => {
        for (const item of lines.push(chunk)) {
          if ('tooLong' in item) session.reject(LINE_TOO_LONG);
          else if (item.line.trim()) void session.receive(item.line);
        }
      },
      (error) => session.reject(error),
    );
    socket.on('data', (chunk: Buffer) => void onData(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      sockets.delete(socket);
      session.close();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(file, () => resolve());
  });
  if (process.platform !== 'win32') fs.chmodSync(file, 0o600);
  return {
    path: file,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
