/**
 * Relative dates in scenario and demo files, so test data never goes stale:
 *   "$date(-18y)"        the calendar date 18 years before the evaluation day (YYYY-MM-DD)
 *   "$datetime(-30d)"    the instant 30 days before the evaluation time (ISO 8601, UTC)
 *   "$date(-1y+2m-3d)"   offsets combine; units are y (years), m (months), d (days)
 *   "$date(-5d)T09:00:00Z" a time of day on that date (only after $date)
 *   "$year(-10y)"        the year alone (YYYY), "$month(-10y)" the year and month (YYYY-MM):
 *                        partial dates, as a birthDate may be recorded
 */
const RELATIVE =
  /^\$(date|datetime|year|month)\(((?:[+-]\d+[ymd])*)\)(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

export function resolveRelativeDate(value: string, now: Date): string | null {
  const m = RELATIVE.exec(value);
  if (!m || (m[3] && m[1] !== 'date')) return null;
  const d = new Date(now.getTime());
  for (const [, sign, n, unit] of (m[2] ?? '').matchAll(/([+-])(\d+)([ymd])/g)) {
    const k = (sign === '-' ? -1 : 1) * Number(n);
    if (unit === 'y') d.setUTCFullYear(d.getUTCFullYear() + k);
    else if (unit === 'm') d.setUTCMonth(d.getUTCMonth() + k);
    else d.setUTCDate(d.getUTCDate() + k);
  }
  const iso = d.toISOString();
  const cut = { date: 10, year: 4, month: 7 }[m[1] as 'date' | 'year' | 'month'];
  return cut === undefined ? iso : iso.slice(0, cut) + (m[3] ?? '');
}

/** A deep copy of a JSON value with every relative date resolved against now. */
export function resolveRelativeDates<T>(value: T, now: Date): T {
  if (typeof value === 'string') return (resolveRelativeDate(value, now) ?? value) as T;
  if (Array.isArray(value)) return value.map((v) => resolveRelativeDates(v, now)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, resolveRelativeDates(v, now)]),
    ) as T;
  }
  return value;
}
