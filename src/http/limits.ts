import { BusyError, TooManyRequestsError } from '../platform/errors';
import type { RateStore } from '../ports';

/**
 * At most `max` tasks run at once; up to `queue` more wait their turn; beyond that the caller gets
 * a 503 at once (no unbounded queue).
 */
export class ConcurrencyGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly max: number,
    private readonly queue: number,
  ) {}

  get inFlight(): number {
    return this.active;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) {
      if (this.waiting.length >= this.queue) throw new BusyError(1);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/**
 * Fixed one-minute windows per client key; over the limit → 429 with Retry-After. The limit is
 * the service's default, or the one given for the client (0: no limit).
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  /** The window whose stale keys were last swept (one sweep a window, not one per new key). */
  private swept = -1;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
    /** Counts shared by replicas (a database); default this process's memory. */
    private readonly store?: RateStore,
  ) {}

  /** One request for `key`: counted in the shared store when there is one, else in memory. */
  async hit(key: string, perMinute: number = this.perMinute): Promise<void> {
    if (!this.store) return this.take(key, perMinute);
    if (perMinute <= 0) return;
    const t = this.now();
    const start = t - (t % 60_000);
    if ((await this.store.hit(key, start)) > perMinute)
      throw new TooManyRequestsError((start + 60_000 - t) / 1000);
  }

  take(key: string, perMinute: number = this.perMinute): void {
    if (perMinute <= 0) return;
    const t = this.now();
    const start = t - (t % 60_000);
    let w = this.windows.get(key);
    if (!w || w.start !== start) {
      if (this.windows.size > 10_000 && this.swept !== start) {
        for (const [k, v] of this.windows) if (v.start !== start) this.windows.delete(k);
        this.swept = start;
      }
      w = { start, count: 0 };
      this.windows.set(key, w);
    }
    w.count++;
    if (w.count > perMinute) throw new TooManyRequestsError((start + 60_000 - t) / 1000);
  }
}
