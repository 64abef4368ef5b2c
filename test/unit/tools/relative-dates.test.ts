import { resolveRelativeDate, resolveRelativeDates } from '../../../tools/relative-dates';

const NOW = new Date('2026-03-31T10:20:30.000Z');

describe('relative dates in scenario files', () => {
  it.each([
    ['$date(-18y)', '2008-03-31'],
    ['$date(-1m)', '2026-03-03'], // 31 Feb rolls over, as Date does
    ['$date(+1d)', '2026-04-01'],
    ['$date(-4y+5d)', '2022-04-05'],
    ['$datetime(-30d)', '2026-03-01T10:20:30.000Z'],
    ['$date()', '2026-03-31'],
    ['$year(-10y)', '2016'],
    ['$date(-5d)T09:00:00Z', '2026-03-26T09:00:00Z'],
    ['$date(-5d)T09:00:00-05:00', '2026-03-26T09:00:00-05:00'],
    ['$month(-10y-2m)', '2016-01'],
  ])('%s -> %s', (input, out) => expect(resolveRelativeDate(input, NOW)).toBe(out));

  it('leaves other strings alone and resolves deep inside objects and arrays', () => {
    expect(resolveRelativeDate('2020-01-01', NOW)).toBeNull();
    expect(resolveRelativeDate('$date(-3w)', NOW)).toBeNull();
    expect(resolveRelativeDate('$datetime(-3d)T09:00:00Z', NOW)).toBeNull();
    expect(
      resolveRelativeDates({ a: ['$date(-1y)', { b: '$datetime(+0d)' }], c: 3, d: null }, NOW),
    ).toEqual({
      a: ['2025-03-31', { b: '2026-03-31T10:20:30.000Z' }],
      c: 3,
      d: null,
    });
  });
});
