import { UnauthorizedError } from '../../platform/errors';
import type { RateStore, ReplayCache } from '../../ports';

/**
 * JWT ids claimed in this process's memory (one replica; STATE_STORE=files, tests). Bounded: full
 * of live jtis, a new token is refused ("replay cache full") rather than a live jti forgotten.
 */
export class MemoryReplayCache implements ReplayCache {
  /** key → expiry (epoch ms). */
  private readonly seen = new Map<string, number>();

  constructor(private readonly capacity = 100_000) {}

  async claim(key: string, expiresAt: number): Promise<boolean> {
    // Whole seconds, as a token's exp is.
    this.forgetExpired(Math.floor(Date.now() / 1000) * 1000);
    if (this.seen.has(key)) return false;
    if (this.seen.size >= this.capacity) throw new UnauthorizedError('replay cache full');
    this.seen.set(key, expiresAt);
    return true;
  }

  /** Drops jtis whose token has expired, once the cache holds 1000 or is full. */
  private forgetExpired(now: number): void {
    if (this.seen.size < Math.min(1000, this.capacity)) return;
    for (const [k, expiresAt] of this.seen) if (expiresAt < now) this.seen.delete(k);
  }
}

/**
 * Request counts per key and minute window in this process's memory (one replica; PGlite, files,
 * tests). Windows of past minutes are swept once a window, when there are many keys.
 */
export class MemoryRateStore implements RateStore {
  private readonly windows = new Map<string, { start: number; count: number }>();
  /** The window whose stale keys were last swept. */
  private swept = -1;

  async hit(key: string, windowStart: number): Promise<number> {
    let w = this.windows.get(key);
    if (!w || w.start !== windowStart) {
      if (this.windows.size > 10_000 && this.swept !== windowStart) {
        for (const [k, v] of this.windows) if (v.start !== windowStart) this.windows.delete(k);
        this.swept = windowStart;
      }
      w = { start: windowStart, count: 0 };
      this.windows.set(key, w);
    }
    return ++w.count;
  }
}
