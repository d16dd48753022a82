/**
 * The types every call handler is written against: what a call's context carries and the shape of a handler map.
 * Each module's handlers.ts and the dispatcher import these from here, not from each other (no import cycle).
 */
import type { CallName, CallOutput, CallParsedInput } from '../../shared/contract';
import type { EngineSurface } from '../engine-surface';

export interface CallContext {
  /** Aborted when the client goes away (for calls that wait). */
  signal?: AbortSignal;
}

export type Handlers = {
  [N in CallName]: (
    engine: EngineSurface,
    input: CallParsedInput<N>,
    ctx: CallContext,
  ) => CallOutput<N> | Promise<CallOutput<N>>;
};
