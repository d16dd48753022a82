/** The typed API: `call('jobs.cancel', { id })` is checked against the contract's input and output schemas. */
import { selectBridge } from './bridge';
import type { AppBridge, CallInput, CallName, CallOptions, CallOutput, Result } from './types';

let bridge: AppBridge | null = null;

export function getBridge(): AppBridge {
  bridge ??= selectBridge();
  return bridge;
}

export function call<N extends CallName>(name: N, input: CallInput<N>, opts?: CallOptions): Promise<Result<CallOutput<N>>> {
  return getBridge().call(name, input, opts) as Promise<Result<CallOutput<N>>>;
}
