/** The typed API: `call('jobs.cancel', { id })` is checked against the contract's input and output schemas. */
import { forScreen } from '../ui/screen-errors';
import { selectBridge } from './bridge';
import type { AppBridge, CallInput, CallName, CallOptions, CallOutput, Result } from './types';

let bridge: AppBridge | null = null;

export function getBridge(): AppBridge {
  bridge ??= selectBridge();
  return bridge;
}

/** A refusal comes back as the app's pages say it (ui/screen-errors.ts); the console calls the bridge and keeps the CLI's words. */
export async function call<N extends CallName>(
  name: N,
  input: CallInput<N>,
  opts?: CallOptions,
): Promise<Result<CallOutput<N>>> {
  const r = (await getBridge().call(name, input, opts)) as Result<CallOutput<N>>;
  return r.ok ? r : { ok: false, error: forScreen(r.error) };
}
