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
  constructor(
    private readonly perMinute: number,
    private readonly now: () => number,
    /** The counts: a database shared by replicas, or this process's memory. */
    private readonly store: RateStore,
  ) {}

  /** One request for `key` in this minute's window; over the limit, a 429 until the next one. */
  async hit(key: string, perMinute: number = this.perMinute): Promise<void> {
    if (perMinute <= 0) return;
    const t = this.now();
    const start = t - (t % 60_000);
    if ((await this.store.hit(key, start)) > perMinute)
      throw new TooManyRequestsError((start + 60_000 - t) / 1000);
  }
}
