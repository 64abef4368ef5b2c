/**
 * The CQL engine (cql-execution), with one correction applied once for the process.
 *
 * cql-execution makes every query distinct unless its return clause says `all`, including a
 * query with no return clause at all (`[Observation] O where ...`). Distinct compares whole
 * values by deep hashing, and for FHIR resources that walks and wraps every element: it was
 * most of the evaluation time. In CQL only a return clause makes results distinct; a query
 * without one yields its (filtered, sorted) source elements. The patient data holds each
 * resource once, so skipping that pass changes no result and removes the cost.
 */
import { Code, DateTime, Executor, Library, Repository, CodeService } from 'cql-execution';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Query } = require('cql-execution/lib/elm/query') as {
  Query: {
    prototype: { isDistinct(): boolean; returnClause?: unknown; aggregateClause?: unknown } & {
      [k: symbol]: unknown;
    };
  };
};

const PATCHED = Symbol.for('pa-cds.query-distinct');
const proto = Query.prototype;
if (!proto[PATCHED]) {
  const original = proto.isDistinct;
  proto.isDistinct = function isDistinct(this: typeof proto) {
    if (this.returnClause == null && this.aggregateClause == null) return false;
    return original.call(this);
  };
  proto[PATCHED] = true;
}

export { Code, DateTime, Executor, Library, Repository, CodeService };

/** An ISO 8601 date-time as FHIR writes it (date, minutes, seconds, fraction, offset optional). */
const ISO =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * The CQL DateTime of an ISO 8601 string, as `DateTime.parse` makes it, without its luxon format
 * check (a tenth of evaluation time on long records): the fields are checked here. Anything this
 * does not read as a valid date-time (an odd form, February 30th) goes to `DateTime.parse`, which
 * decides.
 */
export function parseDateTime(text: string): DateTime | null {
  const m = ISO.exec(text);
  const [, y, mo, d, h, mi, s, frac, tz] = m ?? [];
  const n = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(n);
  const valid =
    m !== null &&
    (month === undefined || (month >= 1 && month <= 12)) &&
    (day === undefined || (day >= 1 && day <= daysIn(year as number, month as number))) &&
    (hour === undefined || hour <= 23) &&
    (minute === undefined || minute <= 59) &&
    (second === undefined || second <= 59);
  let offset: number | undefined;
  if (valid && tz !== undefined) {
    if (tz === 'Z') offset = 0;
    else {
      const hours = Number(tz.slice(1, 3));
      const minutes = Number(tz.slice(4, 6));
      offset = (tz[0] === '-' ? -1 : 1) * (hours + minutes / 60);
      if (hours > 14 || minutes > 59) return DateTime.parse(text) ?? null;
    }
  }
  if (!valid) return DateTime.parse(text) ?? null;
  const ms = frac === undefined ? undefined : Number(`${frac}00`.slice(0, 3));
  const fields = [year, month, day, hour, minute, second, ms].map((v) => v ?? null);
  // The constructor takes an absent offset as the evaluation's local one, as DateTime.parse does.
  const Ctor = DateTime as unknown as new (...args: unknown[]) => DateTime;
  return offset === undefined ? new Ctor(...fields) : new Ctor(...fields, offset);
}
