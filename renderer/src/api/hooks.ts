/** React access to the store, the connection state and raw engine events. */
import { createContext, useContext, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { getBridge } from './client';
import type { LifeboatState, LifeboatStore } from './store';
import type { ConnectionState, EngineEvent } from './types';

export const StoreContext = createContext<LifeboatStore | null>(null);

export function useStore(): LifeboatStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useStore needs a StoreContext provider.');
  return store;
}

export function useLifeboat(): LifeboatState {
  const store = useStore();
  return useSyncExternalStore(store.subscribe, store.getState);
}

export function useConnection(): ConnectionState {
  const bridge = getBridge();
  return useSyncExternalStore(
    (notify) => bridge.onConnection(notify),
    () => bridge.connection(),
  );
}

/** Calls `listener` for every engine event while mounted; the latest listener is used without resubscribing. */
export function useEngineEvent(listener: (event: EngineEvent) => void): void {
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => getBridge().onEvent((e) => latest.current(e)), []);
}

/** A clock that ticks every `ms` while `active`, for live durations. */
export function useNow(active: boolean, ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [active, ms]);
  return now;
}
