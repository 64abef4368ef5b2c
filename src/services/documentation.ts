import type { Bundle, FhirResource, Resource } from 'fhir/r4';
import type { OrderSignRequest } from '../cds/types';
import { answersIn, type Answered } from '../dtr/answers';
import type { PatientData } from '../patient-data/gather';
import type { Evaluation } from './evaluate-matches';
import type { OrderSignDeps } from './types';

/** The QuestionnaireResponses a request carries: in its draft orders' Bundle or any prefetch value. */
function carried(request: OrderSignRequest): unknown[] {
  const out: unknown[] = [];
  const take = (r: unknown) => {
    if ((r as Resource | null)?.resourceType === 'QuestionnaireResponse') out.push(r);
  };
  for (const e of request.context.draftOrders.entry ?? []) take(e.resource);
  for (const v of Object.values(request.prefetch)) {
    const b = v as Bundle | null;
    if (b?.resourceType !== 'Bundle') take(v);
    else for (const e of Array.isArray(b.entry) ? b.entry : []) take(e?.resource);
  }
  return out;
}

/** The day after `now` (UTC): an answer dated today anywhere on Earth is not in the future. */
function latestDay(now: Date): string {
  return new Date(now.getTime() + 24 * 3600 * 1000).toISOString().slice(0, 10);
}

/**
 * DTR answers sent with the call: each completed form (a QuestionnaireResponse in the draft
 * orders or the prefetch) becomes record data (src/dtr/answers.ts), added to the gathered record;
 * undefined when the call carries none.
 */
export function documentedAnswers(
  deps: Pick<OrderSignDeps, 'documentation'>,
  request: OrderSignRequest,
  data: PatientData,
  now: Date,
): { data: PatientData; answered: Answered } | undefined {
  const catalog = deps.documentation;
  if (!catalog) return undefined;
  const resources = carried(request);
  if (resources.length === 0) return undefined;
  const answered = answersIn(resources, catalog.index, request.context.patientId, latestDay(now));
  if (answered.resources.length === 0) return undefined;
  const bundle: Bundle = {
    ...data.bundle,
    entry: [
      ...(data.bundle.entry ?? []),
      ...answered.resources.map((resource) => ({ resource: resource as FhirResource })),
    ],
  };
  return { data: { ...data, bundle }, answered };
}

/** The evidence of each result with the answers' resources cited as their QuestionnaireResponse. */
export function citeAnswers(
  evaluations: Evaluation[],
  answered: Answered | undefined,
): Evaluation[] {
  if (!answered) return evaluations;
  const cite = (ref: string) => answered.sources.get(ref) ?? ref;
  return evaluations.map((e) =>
    e.result
      ? {
          ...e,
          result: {
            ...e.result,
            criteria: e.result.criteria.map((c) => ({
              ...c,
              evidence: [...new Set(c.evidence.map(cite))],
            })),
          },
        }
      : e,
  );
}
