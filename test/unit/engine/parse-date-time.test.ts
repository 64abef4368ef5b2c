import { DateTime, parseDateTime } from '../../../src/engine/cql-engine';

/**
 * parseDateTime must give exactly what cql-execution's DateTime.parse gives (it only skips the
 * slow format check): the same fields, offset and precision, and null where DateTime.parse refuses.
 */
const same = (text: string) =>
  expect(JSON.stringify(parseDateTime(text))).toBe(JSON.stringify(DateTime.parse(text)));

describe('parseDateTime', () => {
  it.each([
    '2026',
    '2026-05',
    '2026-05-06',
    '2026-05-06T09:00',
    '2026-05-06T09:00:00',
    '2026-05-06T09:00:00Z',
    '2026-05-06T09:00:00.5+02:00',
    '2026-05-06T09:00:00.123456-05:30',
    '2026-05-06T09:00:00.000Z',
    '0000-01-01T10:00:00+00:00',
    '2024-02-29',
    // What DateTime.parse refuses or reads differently: decided by it.
    '2026-02-29',
    '2026-04-31',
    '2026-13-01',
    '2026-05-06T24:00:00Z',
    '2026-05-06T09:00:60Z',
    '2026-05-06T09',
    '2026-05-06T09:00:00+0530',
    '2026-05-06T09:00:00+15:00',
    'x2026',
    '',
  ])('%j as DateTime.parse reads it', (text) => same(text));

  it('agrees on 30,000 generated date-times (a fixed sequence)', () => {
    let seed = 12345;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const p2 = (x: number) => String(x).padStart(2, '0');
    for (let i = 0; i < 10_000; i++) {
      const date = `${1900 + next(200)}-${p2(1 + next(12))}-${p2(1 + next(31))}`;
      const time = `T${p2(next(24))}:${p2(next(60))}:${p2(next(60))}`;
      const offset = `${next(2) ? '+' : '-'}${p2(next(14))}:${next(2) ? '00' : '30'}`;
      for (const text of [date, `${date}${time}Z`, `${date}${time}.${next(1000)}${offset}`])
        same(text);
    }
  });
});
