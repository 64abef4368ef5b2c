import type { Bundle, MedicationRequest } from 'fhir/r4';
import { BadRequestError } from './errors';
import type { PolicyResult } from './evaluate';
import { collectResources } from './patient-data';
import type { Runtime } from './runtime';
import { draftMedicationRequests } from './hooks';
import type { ScenarioRequest } from './scenarios';
import { selectPolicies } from './select-policies';

export interface OrderResult {
  order: MedicationRequest;
  matchedBy: 'code' | 'name';
  result: PolicyResult;
}

/** The patient Bundle for an order-sign request whose prefetch holds all the data. */
export function patientBundleFromPrefetch(request: ScenarioRequest): Bundle {
  const prefetch = request.prefetch ?? {};
  const drafts = request.context?.draftOrders;
  // Medications an order references may travel in draftOrders; the CQL resolves them there.
  const draftMedications = (drafts?.entry ?? []).map((e) => e.resource).filter((r) => r?.resourceType === 'Medication');
  return collectResources([...Object.values(prefetch), ...draftMedications]);
}

/**
 * Selects the policies for each draft MedicationRequest and evaluates them over one patient
 * Bundle. The order-sign HTTP pipeline adds data gathering and rendering around the same steps.
 */
export async function evaluateOrders(runtime: Runtime, draftOrders: Bundle, bundle: Bundle, now: Date): Promise<OrderResult[]> {
  const orders = draftMedicationRequests(draftOrders);
  if (orders.length === 0) throw new BadRequestError('draftOrders holds no MedicationRequest');
  const matches = selectPolicies(orders, runtime.policies, [draftOrders, bundle]);
  const out: OrderResult[] = [];
  for (const m of matches) {
    const others = orders.filter((o) => o !== m.order);
    const result = await runtime.evaluator.evaluate(m.policy, { bundle, draftOrder: m.order, otherDraftOrders: others, now });
    out.push({ order: m.order, matchedBy: m.matchedBy, result });
  }
  return out;
}
