/**
 * A periodic tick for the schedules (backups, replication): once at start, then every `ms`. A tick that throws is
 * reported to `failed` and the next one comes as usual; the timer never keeps the process alive.
 */
export class Ticker {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ms: number,
    private readonly tick: () => void,
    private readonly failed: (err: Error) => void,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tickSafely(), this.ms);
    this.timer.unref();
    this.tickSafely();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private tickSafely(): void {
    try {
      this.tick();
    } catch (err) {
      this.failed(err as Error);
    }
  }
}
