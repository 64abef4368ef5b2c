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
