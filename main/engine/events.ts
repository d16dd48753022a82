/** The engine's one event channel. Listeners are disposables so transports unsubscribe when a client goes away. */
import type { EngineEvent } from '../shared/schemas';

export type EventListener = (event: EngineEvent) => void;

export class EventBus {
  private listeners = new Set<EventListener>();
  on(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(event: EngineEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // A failing listener (a closed socket) must not stop the others.
      }
    }
  }
}
