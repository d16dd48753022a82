/** Validates input against the contract, runs the handler, and returns a Result: never throws, never crashes. */
import type { z } from 'zod';
import type { Engine } from '../engine';
import { LifeboatError, toErrorInfo, type Result } from '../errors';
import { contract, isCallName } from './contract';
import { handlers } from './handlers';

export interface CallContext {
  /** Aborted when the client goes away (for calls that wait). */
  signal?: AbortSignal;
}

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const field = i.path.length ? i.path.join('.') : 'input';
      return `${field}: ${i.message}`;
    })
    .join('; ');
}

export async function dispatch(engine: Engine, name: unknown, input: unknown, ctx: CallContext = {}): Promise<Result<unknown>> {
  if (!isCallName(name)) return { ok: false, error: { code: 'invalid_input', message: `Unknown call ${JSON.stringify(name)}.`, hint: 'See `lifeboat help` for the calls.' } };
  const spec = contract[name];
  const parsed = spec.input.safeParse(input ?? {});
  if (!parsed.success) return { ok: false, error: { code: 'invalid_input', message: describeIssues(parsed.error), hint: `Check the input of ${spec.cli.command}.` } };
  try {
    const handler = handlers[name] as (engine: Engine, input: unknown, ctx: CallContext) => unknown;
    const value = await handler(engine, parsed.data, ctx);
    return { ok: true, value };
  } catch (err) {
    const info = toErrorInfo(err);
    if (!(err instanceof LifeboatError)) engine.log.error('call failed', { call: name, error: info, stack: (err as Error)?.stack });
    return { ok: false, error: info };
  }
}
