/**
 * The local socket in the data directory: the CLI (and the console's commands run from a shell) reach the running
 * app through it, so the app sees their jobs live. It is a Unix socket with 0600 permissions (a named pipe on Windows).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { openSession } from '../engine/api/session';
import type { Engine } from '../engine/engine';

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
    socket.setEncoding('utf8');
    const session = openSession(engine, (msg) => {
      if (!socket.destroyed) socket.write(JSON.stringify(msg) + '\n');
    });
    let buffer = '';
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.trim()) session.receive(line);
      }
    });
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
