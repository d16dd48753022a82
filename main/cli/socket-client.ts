/** Talks to a running app over its local socket: the same calls and events as the UI gets. */
import net from 'node:net';
import type { EngineEvent } from '../shared/schemas';
import type { ServerMessage } from '../shared/wire';
import type { Result } from '../shared/errors';

export class SocketClient {
  private nextId = 1;
  private pending = new Map<number, (r: Result<unknown>) => void>();
  private listeners = new Set<(e: EngineEvent) => void>();
  private constructor(private readonly socket: net.Socket) {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buffer.slice(0, nl)) as ServerMessage;
        buffer = buffer.slice(nl + 1);
        if ('event' in msg) for (const l of this.listeners) l(msg.event);
        else if ('id' in msg) {
          this.pending.get(msg.id)?.(msg.result);
          this.pending.delete(msg.id);
        }
      }
    });
    socket.on('close', () => {
      for (const resolve of this.pending.values())
        resolve({
          ok: false,
          error: {
            code: 'unavailable',
            message: 'The connection to the running Lifeboat closed.',
            hint: 'Check whether Lifeboat is still running.',
          },
        });
      this.pending.clear();
    });
  }

  static connect(path: string): Promise<SocketClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(path);
      socket.once('connect', () => resolve(new SocketClient(socket)));
      socket.once('error', reject);
    });
  }

  call(name: string, input: unknown): Promise<Result<unknown>> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.socket.write(JSON.stringify({ id, call: name, input }) + '\n');
    });
  }

  onEvent(listener: (e: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.socket.end();
  }
}
