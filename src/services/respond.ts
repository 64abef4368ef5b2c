import type { Coverage, Extension, MedicationRequest } from 'fhir/r4';
import { coverageInformationWanted } from '../cds/parse';
import type { Card, CdsResponse } from '../cds/types';
import { renderCard, renderErrorCard } from '../render/cards';
import { assertionId, coverageAction, coverageInformation } from '../render/crd-coverage';
import type { Policy } from '../policy/load';
import type { PolicyResult } from '../policy/result';
import { defaultWording, type Wording } from '../render/wording';
import type { CallContext, OrderSignDeps, OrderSignRun } from './types';

/** The CRD system actions: each annotated order with one coverage-information per policy. */
function annotate(
  decided: Map<MedicationRequest, { policy: Policy; result: PolicyResult }[]>,
  coverage: Coverage,
  patientId: string,
  today: string,
  wording: Wording,
) {
  return [...decided].map(([order, results]) => {
    // One assertion id for every repetition on this order and coverage.
    const id = assertionId({
      patientId,
      orderId: order.id as string,
      coverage,
      decisions: results.map(
        ({ policy, result }) =>
          `${policy.definition.id}@${policy.definition.library.version}:${result.outcome}`,
      ),
    });
    const exts: Extension[] = results.map(({ policy, result }) =>
      coverageInformation(policy, result, coverage, today, wording, id),
    );
    return coverageAction(order, exts, wording);
  });
}

/**
 * respond: a card per evaluation, the CRD annotation per order, one log line for the request.
 * The words are the loaded Content's wording when deps carries it, else the default content's.
 */
export function respond(
  deps: Pick<OrderSignDeps, 'log' | 'metrics'> & { wording?: Wording },
  run: OrderSignRun,
  ctx: CallContext,
): CdsResponse {
  const { request, data } = run;
  const wording = deps.wording ?? defaultWording();
  const coverage = data?.coverage && coverageInformationWanted(request) ? data.coverage : undefined;
  const today = run.now.toISOString().slice(0, 10);
  const cards: Card[] = [];
  const decided = new Map<MedicationRequest, { policy: Policy; result: PolicyResult }[]>();
  const outcomes: Record<string, number> = {};
  for (const { match, fields, result, error } of run.evaluations) {
    const id = match.policy.definition.id;
    const outcome = result?.outcome ?? 'error';
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    deps.metrics?.outcomes.inc({ policy: id, outcome });
    if (!result) {
      deps.log.error('policy-evaluation-failed', {
        hookInstance: request.hookInstance,
        policy: id,
        error: error?.message,
      });
      cards.push(renderErrorCard(match.policy, fields, ctx, wording));
      continue;
    }
    cards.push(renderCard(match.policy, result, fields, match.matchedBy, ctx, wording));
    // CRD annotates the draft order by id: an order without one cannot be matched by the EHR.
    if (coverage && match.order.id)
      decided.set(match.order, [
        ...(decided.get(match.order) ?? []),
        { policy: match.policy, result },
      ]);
  }
  const systemActions = coverage
    ? annotate(decided, coverage, request.context.patientId, today, wording)
    : [];
  if (data && data.dropped.otherPatient + data.dropped.wrongType > 0) {
    deps.log.warn('fhir-resources-dropped', {
      hookInstance: request.hookInstance,
      ...data.dropped,
    });
  }
  deps.log.info('order-sign', {
    hookInstance: request.hookInstance,
    ...(ctx.client ? { client: ctx.client.iss } : {}),
    policies: run.evaluations.map(
      (e) => `${e.match.policy.definition.id}:${e.result?.outcome ?? 'error'}`,
    ),
    outcomes,
    fetched: data?.fetched ?? [],
    cards: cards.length,
    systemActions: systemActions.length,
    ms: Date.now() - run.started,
  });
  return { cards, systemActions };
}
