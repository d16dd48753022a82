/** Clients for web mode's and the local socket's entry points, and the child's resident memory, for entry tests. */
import fs from 'node:fs';
import net from 'node:net';

/** Resident memory of a process in MiB, from /proc (Linux only: callers skip elsewhere). */
export function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) / 1024;
}

/** CPU seconds a process has used (user + system), from /proc (Linux only). */
export function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks; 100 a second on Linux
}

export interface Reply {
  id?: number;
  result?: { ok: boolean; value?: unknown; error?: { code: string; message: string; hint?: string } };
  event?: unknown;
}

/** A local socket connection that collects every reply line (events left out). */
export class LineClient {
  readonly replies: Reply[] = [];
  closed = false;
  private buffer = '';
  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const msg = JSON.parse(this.buffer.slice(0, nl)) as Reply;
        this.buffer = this.buffer.slice(nl + 1);
        if (!('event' in msg)) this.replies.push(msg);
      }
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  static connect(file: string): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(file, () => resolve(new LineClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Writes and waits until the bytes are handed to the kernel (backpressure), so a test can write gigabytes. */
  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (err) => (err ? reject(err) : resolve())));
  }
}
