/**
 * For policy authors: evaluate the policies on a file and print every criterion.
 *
 *   npm run evaluate -- <file.json> [--policy CC-0248] [--now 2026-01-31T12:00:00Z] [--json]
 *
 * The file may be a test scenario (test/patients/...), a whole order-sign request, or a patient
 * Bundle. For a Bundle, the draft order is the MedicationRequest with status "draft" in it (or
 * the one named with --order <id>), and the policies are chosen from its drug codes unless
 * --policy names one. Relative dates ("$date(-30d)") are resolved against the evaluation time.
 */
import type { Bundle, MedicationRequest } from 'fhir/r4';
import { BadRequestError } from '../errors';
import type { PolicyResult } from '../evaluate';
import { evaluateOrders, patientBundleFromPrefetch, type OrderResult } from '../evaluate-request';
import { loadRuntime } from '../runtime';
import { readJsonFile, resolveRelativeDates, type ScenarioRequest } from '../scenarios';

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
      if (Number.isNaN(d.getTime())) throw new BadRequestError('--now must be an ISO 8601 date-time');
      args.now = d;
    } else if (a === '--json') args.json = true;
    else if (a && !a.startsWith('--') && !args.file) args.file = a;
    else throw new BadRequestError(`unknown argument ${a}`);
  }
  if (!args.file) throw new BadRequestError('usage: npm run evaluate -- <file.json> [--policy ID] [--order ID] [--now ISO] [--json]');
  return args as Args;
}

function inputsOf(raw: unknown, args: Args): { draftOrders: Bundle; bundle: Bundle } {
  const obj = raw as Record<string, unknown>;
  const request = (obj?.request ?? (obj?.hook ? obj : undefined)) as ScenarioRequest | undefined;
  if (request) {
    if (!request.context?.draftOrders) throw new BadRequestError('the request has no context.draftOrders');
    return { draftOrders: request.context.draftOrders, bundle: patientBundleFromPrefetch(request) };
  }
  if (obj?.resourceType === 'Bundle') {
    const bundle = obj as unknown as Bundle;
    const requests = (bundle.entry ?? []).map((e) => e.resource).filter((r): r is MedicationRequest => r?.resourceType === 'MedicationRequest');
    const draft = args.order ? requests.find((r) => r.id === args.order) : requests.find((r) => r.status === 'draft');
    if (!draft) throw new BadRequestError(args.order ? `no MedicationRequest ${args.order} in the Bundle` : 'no draft MedicationRequest in the Bundle; name one with --order <id>');
    return { draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: draft }] }, bundle };
  }
  throw new BadRequestError('the file is neither a scenario, an order-sign request nor a FHIR Bundle');
}

const MARK: Record<string, string> = { met: 'MET', 'not-met': 'NOT MET', unknown: 'UNKNOWN' };

function print(r: OrderResult): void {
  const res: PolicyResult = r.result;
  const drug = r.order.medicationCodeableConcept?.text ?? r.order.medicationCodeableConcept?.coding?.[0]?.display ?? r.order.medicationReference?.reference ?? '';
  console.log(`\n${res.policy} for MedicationRequest/${r.order.id ?? '?'} ${drug}${r.matchedBy === 'name' ? ' (matched by drug name)' : ''}`);
  for (const c of res.criteria) {
    console.log(`  ${c.id.padEnd(5)} ${MARK[c.status]?.padEnd(8)} ${c.text}`);
    if (c.detail) console.log(`        ${c.detail}`);
    if (c.evidence.length > 0) console.log(`        evidence: ${c.evidence.join(', ')}`);
  }
  console.log(`  outcome: ${res.outcome}`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const raw = resolveRelativeDates(readJsonFile(args.file), args.now);
  const runtime = loadRuntime();
  if (args.policy && !runtime.policies.some((p) => p.definition.id === args.policy)) {
    throw new BadRequestError(`no policy ${args.policy}; known: ${runtime.policies.map((p) => p.definition.id).join(', ')}`);
  }
  const { draftOrders, bundle } = inputsOf(raw, args);
  let results: OrderResult[];
  if (args.policy) {
    const policy = runtime.policies.find((p) => p.definition.id === args.policy)!;
    const orders = (draftOrders.entry ?? []).map((e) => e.resource).filter((r): r is MedicationRequest => r?.resourceType === 'MedicationRequest');
    results = [];
    for (const order of orders) {
      const result = await runtime.evaluator.evaluate(policy, { bundle, draftOrder: order, otherDraftOrders: orders.filter((o) => o !== order), now: args.now });
      results.push({ order, matchedBy: 'code', result });
    }
  } else {
    results = await evaluateOrders(runtime, draftOrders, bundle, args.now);
  }
  if (args.json) {
    console.log(JSON.stringify(results.map((r) => ({ order: `MedicationRequest/${r.order.id}`, matchedBy: r.matchedBy, ...r.result })), null, 2));
  } else if (results.length === 0) {
    console.log('No policy applies to the draft order(s): no trigger code or drug name matched.');
  } else {
    console.log(`Evaluated at ${args.now.toISOString()}`);
    results.forEach(print);
  }
}

main().catch((e: unknown) => {
  console.error(`evaluate: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(e instanceof BadRequestError ? 2 : 1);
});
