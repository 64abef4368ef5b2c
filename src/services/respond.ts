import type { Coverage, Extension, MedicationRequest } from 'fhir/r4';
import { crdConfiguration, crdShape } from '../cds/parse';
import type { Card, CdsResponse } from '../cds/types';
import { policyPageUrl, renderCard, renderErrorCard } from '../render/cards';
import {
  assertionId,
  coverageAction,
  coverageInformation,
  type AnnotationOptions,
} from '../render/crd-coverage';
import type { Policy } from '../policy/load';
import type { PolicyResult } from '../policy/result';
import { defaultWording, type Wording } from '../render/wording';
import type { IdSource } from '../ports';
import { recordFacts, type AnnotatedIds, type AnnotationIds } from './decision-facts';
import type { CallContext, OrderSignDeps, OrderSignRun } from './types';

/** One policy's decision on an order (no result: its evaluation failed). */
interface Decided {
  policy: Policy;
  result?: PolicyResult;
}

/**
 * The CRD system actions: each annotated order with one coverage-information per policy. `ids`
 * receives each (order, policy)'s assertion and satisfied-PA ids, for the decision record.
 */
function annotate(
  decided: Map<MedicationRequest, Decided[]>,
  coverage: Coverage,
  patientId: string,
  today: string,
  wording: Wording,
  options: (policy: Policy) => AnnotationOptions,
  ids: AnnotatedIds,
  count?: (policy: string, ext: Extension) => void,
) {
  return [...decided].map(([order, results]) => {
    // One assertion id for every repetition on this order and coverage.
    const id = assertionId({
      patientId,
      orderId: order.id as string,
      coverage,
      decisions: results.map(
        ({ policy, result }) =>
          `${policy.definition.id}@${policy.version}/${policy.definition.library.version}:${result?.outcome ?? 'error'}`,
      ),
    });
    const exts: Extension[] = results.map(({ policy, result }) => {
      const ext = coverageInformation(
        policy,
        result,
        coverage,
        today,
        wording,
        id,
        options(policy),
      );
      count?.(policy.definition.id, ext);
      const value = (url: string) => ext.extension?.find((e) => e.url === url)?.valueString;
      const satisfied = value('satisfied-pa-id');
      const byPolicy = ids.get(order) ?? new Map<string, AnnotationIds>();
      ids.set(order, byPolicy);
      byPolicy.set(policy.definition.id, {
        assertion: id,
        ...(satisfied ? { satisfied } : {}),
      });
      return ext;
    });
    return coverageAction(order, exts, wording);
  });
}

/** What each policy's annotation says besides the decision: shape, real-time switch, links, form. */
function annotationOptions(
  deps: Pick<OrderSignDeps, 'realtimeDetermination' | 'documentation'>,
  ctx: CallContext,
  shape: AnnotationOptions['shape'],
) {
  return (policy: Policy): AnnotationOptions => {
    const form = deps.documentation?.formOf(policy);
    return {
      shape,
      realtime: deps.realtimeDetermination === true,
      policyLink: policyPageUrl(policy, ctx),
      ...(form ? { questionnaire: form.canonical } : {}),
    };
  };
}

/**
 * respond: a card per evaluation, the CRD annotation per order, one log line for the request.
 * The words are the loaded Content's wording when deps carries it, else the default content's.
 */
export function respond(
  deps: Pick<OrderSignDeps, 'log' | 'metrics' | 'realtimeDetermination' | 'documentation'> & {
    wording?: Wording;
    newId?: IdSource;
  },
  run: OrderSignRun,
  ctx: CallContext,
): CdsResponse {
  const { request, data } = run;
  const wording = deps.wording ?? defaultWording();
  const render = { baseUrl: ctx.baseUrl, ...(deps.newId ? { newId: deps.newId } : {}) };
  const config = crdConfiguration(request);
  // order-select answers with cards only: the order is annotated when it is signed.
  const coverage =
    data?.coverage && config.coverageInfo && config.annotate && request.hook !== 'order-select'
      ? data.coverage
      : undefined;
  const today = run.now.toISOString().slice(0, 10);
  const cards: Card[] = [];
  const decided = new Map<MedicationRequest, Decided[]>();
  // CRD annotates the draft order by id: an order without one cannot be matched by the EHR.
  const decide = (order: MedicationRequest, d: Decided) => {
    if (coverage && order.id) decided.set(order, [...(decided.get(order) ?? []), d]);
  };
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
      cards.push(renderErrorCard(match.policy, fields, render, wording));
      decide(match.order, { policy: match.policy });
      continue;
    }
    cards.push(renderCard(match.policy, result, fields, match.matchedBy, render, wording));
    decide(match.order, { policy: match.policy, result });
  }
  const count = assertionCounter(deps, request.hook);
  const options = annotationOptions(deps, ctx, crdShape(request));
  const ids: AnnotatedIds = new Map();
  const systemActions = coverage
    ? annotate(decided, coverage, request.context.patientId, today, wording, options, ids, count)
    : [];
  const shown = chosenCards(cards, config);
  logRun(deps, run, ctx, {
    cards: shown.length,
    systemActions: systemActions.length,
    outcomes,
    ignored: config.ignored,
  });
  return recordFacts({ cards: shown, systemActions }, run, cards, ids);
}

/** One log line per request (no patient data), and what was dropped or ignored on the way. */
function logRun(
  deps: Pick<OrderSignDeps, 'log'>,
  run: OrderSignRun,
  ctx: CallContext,
  counts: {
    cards: number;
    systemActions: number;
    outcomes: Record<string, number>;
    ignored: string[];
  },
): void {
  const { request, data } = run;
  if (data && data.dropped.otherPatient + data.dropped.wrongType > 0) {
    deps.log.warn('fhir-resources-dropped', {
      hookInstance: request.hookInstance,
      ...data.dropped,
    });
  }
  if (counts.ignored.length > 0)
    deps.log.warn('crd-configuration-ignored', {
      hookInstance: request.hookInstance,
      options: counts.ignored,
    });
  deps.log.info(request.hook, {
    hookInstance: request.hookInstance,
    ...(ctx.client ? { client: ctx.client.iss } : {}),
    policies: run.evaluations.map(
      (e) => `${e.match.policy.definition.id}:${e.result?.outcome ?? 'error'}`,
    ),
    outcomes: counts.outcomes,
    fetched: data?.fetched ?? [],
    cards: counts.cards,
    systemActions: counts.systemActions,
    ms: Date.now() - run.started,
  });
}

/** Counts each coverage assertion in the CRD metrics, by what it says. */
function assertionCounter(deps: Pick<OrderSignDeps, 'metrics'>, hook: string) {
  return (policy: string, ext: Extension) => {
    const value = (url: string) => ext.extension?.find((e) => e.url === url)?.valueCode ?? 'none';
    deps.metrics?.coverageAssertions.inc({
      hook,
      policy,
      covered: value('covered'),
      pa_needed: value('pa-needed'),
      questionnaire: ext.extension?.some((e) => e.url === 'questionnaire') ? 'yes' : 'no',
    });
  };
}

const SEVERITY: Record<Card['indicator'], number> = { critical: 0, warning: 1, info: 2 };

/** The cards the configuration lets through: none of type coverage-info when it is off; at most max-cards, the most severe first. */
function chosenCards(cards: Card[], config: ReturnType<typeof crdConfiguration>): Card[] {
  const shown = config.coverageInfo
    ? cards
    : cards.filter((c) => c.source.topic?.code !== 'coverage-info');
  if (shown.length <= config.maxCards) return shown;
  const kept = new Set(
    [...shown]
      .sort((a, b) => SEVERITY[a.indicator] - SEVERITY[b.indicator])
      .slice(0, config.maxCards),
  );
  return shown.filter((c) => kept.has(c));
}
