import { MemoryRateStore } from '../../../src/adapters/memory/security-state';
import { ConcurrencyGate, RateLimiter } from '../../../src/http/limits';
import { BusyError, TooManyRequestsError } from '../../../src/platform/errors';

/** The front door's numeric limits on both sides of each boundary, with a controlled clock. */
describe('RateLimiter (RATE_LIMIT_PER_MINUTE)', () => {
  const MINUTE = 60_000;
  const T0 = 1_750_000_020_000 - (1_750_000_020_000 % MINUTE); // the start of a minute

  function limiter(perMinute: number, at: { t: number }) {
    return new RateLimiter(perMinute, () => at.t, new MemoryRateStore());
  }
  const taken = async (r: RateLimiter, key: string) => {
    try {
      await r.hit(key);
      return 'ok';
    } catch (e) {
      if (e instanceof TooManyRequestsError) return `429 after ${e.headers['Retry-After']} s`;
      throw e;
    }
  };

  it('lets exactly the limit through in a minute and refuses the next one', async () => {
    const at = { t: T0 + 15_000 };
    const r = limiter(3, at);
    expect([await taken(r, 'a'), await taken(r, 'a'), await taken(r, 'a')]).toEqual([
      'ok',
      'ok',
      'ok',
    ]);
    expect(await taken(r, 'a')).toBe('429 after 45 s');
    // Another client has its own count.
    expect(await taken(r, 'b')).toBe('ok');
  });

  it('counts in whole minutes: the last millisecond of a minute is in it, the next starts afresh', async () => {
    const at = { t: T0 };
    const r = limiter(1, at);
    expect(await taken(r, 'a')).toBe('ok');
    at.t = T0 + MINUTE - 1;
    expect(await taken(r, 'a')).toBe('429 after 1 s');
    at.t = T0 + MINUTE;
    expect(await taken(r, 'a')).toBe('ok');
    expect(await taken(r, 'a')).toBe('429 after 60 s');
  });

  it('a limit of 0 turns it off', async () => {
    const r = limiter(0, { t: T0 });
    for (let i = 0; i < 100; i++) expect(await taken(r, 'a')).toBe('ok');
  });
});

describe('ConcurrencyGate (MAX_CONCURRENT, MAX_QUEUE)', () => {
  /** A task that runs until released. */
  function held() {
    let release: () => void = () => undefined;
    const done = new Promise<void>((r) => (release = r));
    let started = false;
    return {
      task: async () => {
        started = true;
        await done;
        return 'done';
      },
      release: () => release(),
      started: () => started,
    };
  }
  const tick = () => new Promise((r) => setImmediate(r));

  it('runs exactly MAX_CONCURRENT, queues exactly MAX_QUEUE, refuses the next with 503', async () => {
    const gate = new ConcurrencyGate(2, 1);
    const [a, b, c] = [held(), held(), held()];
    const runs = [gate.run(a.task), gate.run(b.task), gate.run(c.task)];
    await tick();
    expect([a.started(), b.started(), c.started()]).toEqual([true, true, false]);
    expect(gate.inFlight).toBe(2);
    await expect(gate.run(async () => 'refused')).rejects.toBeInstanceOf(BusyError);
    // When one finishes, the queued one runs in its place; then there is room for one more.
    a.release();
    await tick();
    expect(c.started()).toBe(true);
    expect(gate.inFlight).toBe(2);
    const d = held();
    const fourth = gate.run(d.task);
    await tick();
    expect(d.started()).toBe(false);
    await expect(gate.run(async () => 'refused')).rejects.toBeInstanceOf(BusyError);
    b.release();
    c.release();
    d.release();
    await expect(Promise.all([...runs, fourth])).resolves.toEqual(['done', 'done', 'done', 'done']);
    expect(gate.inFlight).toBe(0);
  });

  it('with MAX_QUEUE 0, refuses as soon as MAX_CONCURRENT run', async () => {
    const gate = new ConcurrencyGate(1, 0);
    const a = held();
    const run = gate.run(a.task);
    await expect(gate.run(async () => 'refused')).rejects.toBeInstanceOf(BusyError);
    a.release();
    await run;
    await expect(gate.run(async () => 'ok')).resolves.toBe('ok');
  });

  it('frees the slot of a task that fails', async () => {
    const gate = new ConcurrencyGate(1, 0);
    await expect(
      gate.run(async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(gate.inFlight).toBe(0);
    await expect(gate.run(async () => 'ok')).resolves.toBe('ok');
  });
});
