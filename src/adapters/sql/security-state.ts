import type { RateStore, ReplayCache } from '../../ports';
import type { SqlDb } from './db';

/** JWT ids claimed in PostgreSQL: a token used at one replica is refused at every other. */
export class SqlReplayCache implements ReplayCache {
  private lastSweep = 0;

  constructor(private readonly db: SqlDb) {}

  async claim(key: string, expiresAt: number): Promise<boolean> {
    const now = Date.now();
    // Expired jtis are dropped now and then (a minute apart at most per replica).
    if (now - this.lastSweep > 60_000) {
      this.lastSweep = now;
      await this.db.query('delete from replay_jti where expires_at < now()');
    }
    const { rows } = await this.db.query(
      'insert into replay_jti (key, expires_at) values ($1, $2) on conflict (key) do nothing returning key',
      [key, new Date(expiresAt).toISOString()],
    );
    return rows.length === 1;
  }
}

/** Request counts per client and minute in PostgreSQL: the rate limit holds across replicas. */
export class SqlRateStore implements RateStore {
  private lastSweep = 0;

  constructor(private readonly db: SqlDb) {}

  async hit(key: string, windowStart: number): Promise<number> {
    if (windowStart !== this.lastSweep) {
      this.lastSweep = windowStart;
      await this.db.query('delete from rate_windows where window_start < $1', [
        new Date(windowStart).toISOString(),
      ]);
    }
    const { rows } = await this.db.query<{ count: number }>(
      'insert into rate_windows (key, window_start, count) values ($1, $2, 1) on conflict (key, window_start) do update set count = rate_windows.count + 1 returning count',
      [key, new Date(windowStart).toISOString()],
    );
    return Number(rows[0]?.count ?? 0);
  }
}
