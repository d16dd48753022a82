/** Validates input against the contract, runs the handler, and returns a Result: never throws, never crashes. */
import type { z } from 'zod';
import type { EngineSurface as Engine } from '../engine-surface';
import { toErrorInfo } from '../errors';
import { LifeboatError, type Result } from '../../shared/errors';
import { contract, isCallName } from '../../shared/contract';
import { handlers } from './handlers';
import type { CallContext } from './types';

export type { CallContext } from './types';

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const field = i.path.length ? i.path.join('.') : 'input';
      return `${field}: ${i.message}`;
    })
    .join('; ');
}

export async function dispatch(
  engine: Engine,
  name: unknown,
  input: unknown,
  ctx: CallContext = {},
): Promise<Result<unknown>> {
  if (!isCallName(name)) {
    return {
      ok: false,
      error: {
        code: 'invalid_input',
        message: `Unknown call ${callName(name)}.`,
        hint: 'See `lifeboat help` for the calls.',
      },
    };
  }
  const spec = contract[name];
  try {
    // Inside the try too: an input no schema expected (a getter that throws) must not escape.
    const parsed = spec.input.safeParse(input ?? {});
    if (!parsed.success) {
      const path = parsed.error.issues[0]?.path ?? [];
      const field = path.length ? path.join('.') : undefined;
      const hint = `Check the input of \`lifeboat ${spec.cli.command}\`.`;
      return {
        ok: false,
        error: { code: 'invalid_input', message: describeIssues(parsed.error), hint, ...(field ? { field } : {}) },
      };
    }
    const handler = handlers[name] as (engine: Engine, input: unknown, ctx: CallContext) => unknown;
    const value = await handler(engine, parsed.data, ctx);
    return { ok: true, value };
  } catch (err) {
    const info = toErrorInfo(err, { dataDir: engine.dataDir });
    if (!(err instanceof LifeboatError))
      engine.log.error('call failed', { call: name, error: info, stack: (err as Error)?.stack });
    return { ok: false, error: engine.log.explain(info) };
  }
}

/** An unknown call's name as the error shows it: quoted when it is a string, cut short, never throwing. */
function callName(name: unknown): string {
  if (name === undefined) return '(no call named)';
  if (typeof name !== 'string') return `(${name === null ? 'null' : typeof name}, not a name)`;
  return JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name);
}
