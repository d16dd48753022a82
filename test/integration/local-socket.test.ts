/**
 * The local socket as the CLI reaches it, against web mode as a real child process: a line that is JSON but not a
 * message is answered with invalid_input, and a line past the 1 MiB bound is refused as it arrives (not held until a
 * newline that may never come) while the connection and the app stay up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { socketPath } from '../../main/server/local-socket';
import { LineClient, rssMiB } from '../helpers/entry-clients';
import { buildMain, startWeb, tempHome, until, type WebApp } from '../helpers/home';

let app: WebApp;
let home: string;
beforeAll(async () => {
  buildMain();
  home = tempHome();
  app = await startWeb(home);
}, 120_000);
afterAll(async () => {
  await app?.stop();
});

describe('local socket', () => {
  it('answers a line that is JSON but no message (null) with invalid_input, then serves the next call', async () => {
    const client = await LineClient.connect(socketPath(home));
    await client.write('null\n{"id":1,"call":"status.get","input":{}}\n');
    await until('two replies', () => client.replies.length >= 2, 10_000);
    const error = { code: 'invalid_input', message: expect.stringMatching(/JSON object/), hint: expect.any(String) };
    expect(client.replies[0]).toMatchObject({ id: -1, result: { ok: false, error } });
    expect(client.replies[1]).toMatchObject({ id: 1, result: { ok: true } });
    client.socket.destroy();
    expect(app.proc.exitCode).toBeNull();
  });

  it.skipIf(process.platform !== 'linux')(
    'refuses a 100 MiB line without a newline as it passes 1 MiB, with bounded memory, and stays usable',
    async () => {
      const client = await LineClient.connect(socketPath(home));
      const before = rssMiB(app.proc.pid!);
      const piece = Buffer.alloc(1 << 20, 'x');
      for (let i = 0; i < 100; i++) await client.write(piece);
      await until('the too-long reply', () => client.replies.length >= 1, 30_000);
      const after = rssMiB(app.proc.pid!);
      const error = { code: 'invalid_input', message: expect.stringMatching(/limited to 1 MiB/) };
      expect(client.replies[0]).toMatchObject({ id: -1, result: { ok: false, error } });
      expect(client.replies).toHaveLength(1);
      // The rest of the long line is dropped up to its newline; the next line is a call like any other.
      await client.write('\n{"id":2,"call":"status.get","input":{}}\n');
      await until('the next reply', () => client.replies.length >= 2, 10_000);
      expect(client.replies[1]).toMatchObject({ id: 2, result: { ok: true } });
      console.log(`local socket, 100 MiB line: RSS ${before.toFixed(0)} MiB before, ${after.toFixed(0)} MiB after`);
      expect(after - before).toBeLessThan(200);
      client.socket.destroy();
    },
  );
});
