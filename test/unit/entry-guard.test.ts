/**
 * The entry guard (main/engine/api/guard.ts) and the readers in front of it: a client message's parse and the local
 * socket's bounded lines. Run under plain Node with the real logger writing to a temporary data directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_DEPTH, parseClientMessage } from '../../main/shared/client-message';
import { guard, httpStatus } from '../../main/engine/api/guard';
import { LifeboatError, type ErrorInfo } from '../../main/shared/errors';
import { Logger } from '../../main/engine/log';
import { LineReader } from '../../main/server/lines';
import { tempHome } from '../helpers/home';

function logAt(): { log: Logger; lines: () => { msg: string; entry?: string; error?: ErrorInfo; stack?: string }[] } {
  const log = new Logger(path.join(tempHome(), 'logs'));
  const lines = () =>
    fs.existsSync(log.file)
      ? fs
          .readFileSync(log.file, 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
      : [];
  return { log, lines };
}

const errorOf = (f: () => unknown): unknown => {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
};

describe('entry guard', () => {
  it('passes a handler value through and never calls fail', async () => {
    const { log, lines } = logAt();
    const wrapped = guard(
      'http',
      log,
      (a: number) => a * 2,
      () => 'failed',
    );
    expect(await wrapped(21)).toBe(42);
    expect(lines()).toEqual([]);
  });

  it('turns a sync TypeError into an internal error reply and logs its stack', async () => {
    const { log, lines } = logAt();
    const seen: ErrorInfo[] = [];
    const wrapped = guard(
      'websocket',
      log,
      (raw: string) => (JSON.parse(raw) as { id: number }).id,
      (error) => void seen.push(error),
    );
    await expect(wrapped('null')).resolves.toBeUndefined();
    expect(seen).toEqual([{ code: 'internal', message: expect.stringMatching(/null/), hint: expect.any(String) }]);
    expect(lines()).toMatchObject([
      {
        msg: 'request failed',
        entry: 'websocket',
        error: { code: 'internal' },
        stack: expect.stringMatching(/TypeError/),
      },
    ]);
  });

  it('answers a rejected LifeboatError with its own code and hint, without logging the client mistake', async () => {
    const { log, lines } = logAt();
    const wrapped = guard(
      'local-socket',
      log,
      async () => {
        throw new LifeboatError('invalid_input', 'id: give a number.', 'Send {"id": 1}.');
      },
      (error) => error,
    );
    expect(await wrapped()).toEqual({
      code: 'invalid_input',
      message: 'id: give a number.',
      hint: 'Send {"id": 1}.',
      field: 'id',
    });
    expect(lines()).toEqual([]);
  });

  it('types whatever is thrown: null, a string, an object whose message getter throws', async () => {
    const { log } = logAt();
    const hostile = Object.defineProperty(new Error(), 'message', {
      get() {
        throw new Error('no message for you');
      },
    });
    for (const thrown of [null, 'a string', 42, hostile]) {
      const wrapped = guard(
        'ipc',
        log,
        () => {
          throw thrown;
        },
        (error) => error,
      );
      const info = (await wrapped()) as ErrorInfo;
      expect(info.code, String(typeof thrown)).toBe('internal');
      expect(typeof info.message).toBe('string');
      expect(info.hint).toBeTruthy();
    }
  });

  it('logs and drops a failing error reply (the connection is gone) instead of rejecting', async () => {
    const { log, lines } = logAt();
    const wrapped = guard(
      'upgrade',
      log,
      () => {
        throw new LifeboatError('invalid_input', 'bad line');
      },
      () => {
        throw new Error('write after end');
      },
    );
    await expect(wrapped()).resolves.toBeUndefined();
    expect(lines()).toMatchObject([{ msg: 'error reply failed', entry: 'upgrade', error: { code: 'invalid_input' } }]);
  });

  it('maps error codes to HTTP statuses', () => {
    expect(httpStatus('invalid_input')).toBe(400);
    expect(httpStatus('unauthorized')).toBe(401);
    expect(httpStatus('forbidden')).toBe(403);
    expect(httpStatus('not_found')).toBe(404);
    expect(httpStatus('conflict')).toBe(409);
    expect(httpStatus('internal')).toBe(500);
  });
});

describe('client message', () => {
  it('parses calls and aborts', () => {
    expect(parseClientMessage('{"id":3,"call":"status.get","input":{}}')).toEqual({
      id: 3,
      call: 'status.get',
      input: {},
    });
    expect(parseClientMessage('{"id":3,"abort":true}')).toEqual({ id: 3, abort: true });
  });

  it('refuses what is not a message with invalid_input naming the problem', () => {
    const cases: [string, RegExp][] = [
      ['', /not valid JSON/],
      ['{"id":1,', /not valid JSON/],
      ['null', /JSON object, not null/],
      ['[1]', /not an array/],
      ['"x"', /not "x"/],
      ['{"call":"status.get"}', /^id: .*not nothing/],
      ['{"id":1.5,"call":"status.get"}', /^id: /],
      ['{"id":1e300,"call":"status.get"}', /^id: /],
      ['{"id":1,"abort":1}', /^abort: /],
      [`{"id":1,"input":${'['.repeat(MAX_MESSAGE_DEPTH + 1)}${']'.repeat(MAX_MESSAGE_DEPTH + 1)}}`, /deeper than 64/],
    ];
    for (const [raw, message] of cases) {
      const err = errorOf(() => parseClientMessage(raw));
      expect(err, raw).toBeInstanceOf(LifeboatError);
      expect((err as LifeboatError).toInfo(), raw).toMatchObject({
        code: 'invalid_input',
        message: expect.stringMatching(message),
        hint: expect.any(String),
      });
    }
  });

  it('refuses a 500 000-deep value before parsing it', () => {
    const deep = `{"id":1,"input":${'['.repeat(500_000)}${']'.repeat(500_000)}}`;
    expect((errorOf(() => parseClientMessage(deep)) as LifeboatError).code).toBe('invalid_input');
  });
});

describe('bounded line reader', () => {
  it('splits lines across chunks', () => {
    const r = new LineReader(16);
    expect(r.push(Buffer.from('{"a":'))).toEqual([]);
    expect(r.push(Buffer.from('1}\n{"b":2}\n{"c"'))).toEqual([{ line: '{"a":1}' }, { line: '{"b":2}' }]);
    expect(r.push(Buffer.from(':3}\n'))).toEqual([{ line: '{"c":3}' }]);
  });

  it('reports a line past the bound once, as it passes it, and drops the rest up to its newline', () => {
    const r = new LineReader(8);
    expect(r.push(Buffer.from('12345'))).toEqual([]);
    expect(r.push(Buffer.from('6789'))).toEqual([{ tooLong: true }]);
    expect(r.push(Buffer.alloc(1000, 'x'))).toEqual([]);
    expect(r.push(Buffer.from('xx\nok\n'))).toEqual([{ line: 'ok' }]);
    // A whole long line inside one chunk, then a line of exactly the bound.
    expect(r.push(Buffer.from('123456789\n12345678\n'))).toEqual([{ tooLong: true }, { line: '12345678' }]);
  });
});
