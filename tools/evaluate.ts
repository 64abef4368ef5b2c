/**
 * For policy authors: evaluate the policies on a file and print every criterion.
 *
 *   npm run evaluate -- <file.json> [--policy <policy-id>] [--now 2026-01-31T12:00:00Z] [--json]
 *
 * The file may be a test scenario (test/patients/...), a whole order-sign request, or a patient
 * Bundle. For a Bundle, the draft order is the MedicationRequest with status "draft" in it (or
 * the one named with --order <id>), and the policies are chosen from its drug codes unless
 * --policy names one. Relative dates ("$date(-30d)") are resolved against the evaluation time.
 */
import type { Bundle, MedicationRequest } from 'fhir/r4';
import { parseOrderSignRequest } from '../src/cds/parse';
import { BadRequestError } from '../src/platform/errors';
import { loadContent, type Content } from '../src/services/content';
import { evaluateMatches, type Evaluation } from '../src/services/evaluate-matches';
import { evaluateOrderSign, gather, select } from '../src/services/order-sign';
import { inProcessDeps, LOCAL_CALL } from './in-process';
import { resolveRelativeDates } from './relative-dates';
import { readInput, type ScenarioRequest } from './scenarios';

interface Args {
  file: string;
  policy?: string;
  order?: string;
  now: Date;
  json: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Partial<Args> = { now: new Date(), json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new BadRequestError(`${a} needs a value`);
      return v;
    };
    if (a === '--policy') args.policy = next();
    else if (a === '--order') args.order = next();
    else if (a === '--now') {
      const d = new Date(next());
      if (Number.isNaN(d.getTime()))
        throw new BadRequestError('--now must be an ISO 8601 date-time');
      args.now = d;
    } else if (a === '--json') args.json = true;
    else if (a && !a.startsWith('--') && !args.file) args.file = a;
    else throw new BadRequestError(`unknown argument ${a}`);
  }
  if (!args.file)
    throw new BadRequestError(
      'usage: npm run evaluate -- <file.json> [--policy ID] [--order ID] [--now ISO] [--json]',
    );
  return args as Args;
}

/** The file as an order-sign request with everything in prefetch (a Bundle fills every prefetch key). */
function requestOf(raw: unknown, args: Args, content: Content): ScenarioRequest {
  const obj = raw as Record<string, unknown>;
  const request = (obj?.request ?? (obj?.hook ? obj : undefined)) as ScenarioRequest | undefined;
  if (request) return request;
  if (obj?.resourceType !== 'Bundle')
    throw new BadRequestError(
      'the file is neither a scenario, an order-sign request nor a FHIR Bundle',
    );
  const bundle = obj as unknown as Bundle;
  const resources = (bundle.entry ?? []).map((e) => e.resource);
  const requests = resources.filter(
    (r): r is MedicationRequest => r?.resourceType === 'MedicationRequest',
  );
  const draft = args.order
    ? requests.find((r) => r.id === args.order)
    : requests.find((r) => r.status === 'draft');
  if (!draft)
    throw new BadRequestError(
      args.order
        ? `no MedicationRequest ${args.order} in the Bundle`
        : 'no draft MedicationRequest in the Bundle; name one with --order <id>',
    );
  const patientId = resources.find((r) => r?.resourceType === 'Patient')?.id;
  if (!patientId) throw new BadRequestError('the Bundle holds no Patient with an id');
  const prefetch = Object.fromEntries(
    Object.keys(content.service.prefetch).map((key) => [key, bundle]),
  );
  return {
    hook: 'order-sign',
    hookInstance: 'evaluate-cli',
    context: {
      userId: 'Practitioner/evaluate-cli',
      patientId,
      draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: draft }] },
    },
    prefetch,
  };
}

/** The service's own steps; --policy evaluates every draft order against that policy, whatever its codes. */
async function evaluations(
  content: Content,
  request: ScenarioRequest,
  args: Args,
): Promise<Evaluation[]> {
  const deps = inProcessDeps(content, args.now);
  if (!args.policy) return (await evaluateOrderSign(deps, request, LOCAL_CALL)).evaluations;
  const policy = content.policies.find((p) => p.definition.id === args.policy);
  if (!policy)
    throw new BadRequestError(
      `no policy ${args.policy}; known: ${content.policies.map((p) => p.definition.id).join(', ')}`,
    );
  const parsed = parseOrderSignRequest(request, content.service, deps.limits);
  const { orders } = select(parsed, []);
  const matches = orders.map((order) => ({ policy, order, matchedBy: 'code' as const }));
  const data = await gather(deps, parsed, matches, LOCAL_CALL);
  return evaluateMatches(deps.evaluator(), matches, orders, {
    patientId: parsed.context.patientId,
    bundle: data.bundle,
    now: args.now,
  });
}

/** The status words (cards/wording/wording.json, evaluateTool): exclusions apply or do not. */
type Marks = Content['wording']['evaluateTool'];

function print(e: Evaluation, marks: Marks): void {
  const { order, matchedBy } = e.match;
  const drug =
    order.medicationCodeableConcept?.text ??
    order.medicationCodeableConcept?.coding?.[0]?.display ??
    order.medicationReference?.reference ??
    '';
  console.log(
    `\n${e.match.policy.definition.id} for MedicationRequest/${order.id ?? '?'} ${drug}${matchedBy === 'name' ? ' (matched by drug name)' : ''}`,
  );
  if (!e.result) {
    console.log(`  could not be evaluated: ${e.error?.message ?? 'unknown error'}`);
    return;
  }
  const { roles } = e.match.policy.formula;
  for (const c of e.result.criteria) {
    const words = roles[c.id] === 'exclusion' ? marks.exclusionStatus : marks.status;
    console.log(`  ${c.id.padEnd(5)} ${words[c.status].padEnd(14)} ${c.text}`);
    if (c.detail) console.log(`        ${c.detail}`);
    if (c.evidence.length > 0) console.log(`        evidence: ${c.evidence.join(', ')}`);
  }
  console.log(`  outcome: ${e.result.outcome}`);
  const x = e.result.explanation;
  if (x.approvingBranch) console.log(`  approving branch: ${x.approvingBranch.join(', ')}`);
  if (x.blockingCriteria) console.log(`  blocking: ${x.blockingCriteria.join(', ')}`);
  if (x.missingSets)
    console.log(
      `  to document (any one set): ${x.missingSets.map((s) => s.join(' + ')).join(' | ')}`,
    );
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const raw = resolveRelativeDates(readInput(args.file), args.now);
  const content = loadContent();
  const results = await evaluations(content, requestOf(raw, args, content), args);
  if (args.json) {
    const rows = results.map((e) => ({
      order: `MedicationRequest/${e.match.order.id}`,
      matchedBy: e.match.matchedBy,
      ...(e.result ?? { policy: e.match.policy.definition.id, error: e.error?.message }),
    }));
    console.log(JSON.stringify(rows, null, 2));
  } else if (results.length === 0) {
    console.log('No policy applies to the draft order(s): no trigger code or drug name matched.');
  } else {
    console.log(`Evaluated at ${args.now.toISOString()}`);
    results.forEach((e) => print(e, content.wording.evaluateTool));
  }
}

main().catch((e: unknown) => {
  console.error(`evaluate: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(e instanceof BadRequestError ? 2 : 1);
});
