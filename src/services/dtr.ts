import type { Bundle, FhirResource } from 'fhir/r4';
import { parseOrderSignRequest } from '../cds/parse';
import { populatedResponse } from '../dtr/populate';
import { gather, resolve, select, type CallContext, type OrderSignDeps } from './order-sign';

/**
 * The forms opened on a record (the demo's pre-population, what a DTR app does with the
 * Libraries): for an order-sign request, one in-progress QuestionnaireResponse per draft order
 * and policy with a form, its answers the pre-population library's values on the same record
 * (parse → resolve → select → gather, then the form's library instead of the policy's).
 */
export async function populateForms(
  deps: OrderSignDeps,
  body: unknown,
  ctx: CallContext,
): Promise<Bundle> {
  const request = parseOrderSignRequest(body, deps.service, deps.limits);
  const resolved = await resolve(deps, request, ctx);
  const now = deps.now();
  const { orders, matches } = select(request, deps.policies, resolved.medications, now);
  const bundle: Bundle = { resourceType: 'Bundle', type: 'collection', entry: [] };
  const withForms = matches.filter((m) => deps.documentation?.formOf(m.policy));
  if (withForms.length === 0) return bundle;
  const data = await gather(deps, request, withForms, ctx, resolved);
  const evaluate = deps.evaluator();
  for (const m of withForms) {
    const form = deps.documentation!.formOf(m.policy)!;
    const values = await evaluate(
      form.program,
      {
        patientId: request.context.patientId,
        bundle: data.bundle,
        now,
        draftOrder: m.order,
        otherDraftOrders: orders.filter((o) => o !== m.order),
      },
      [...new Set(form.initial.values())],
    );
    const response = populatedResponse(form, values, {
      patientId: request.context.patientId,
      ...(m.order.id ? { order: `MedicationRequest/${m.order.id}` } : {}),
      ...(data.coverage?.id ? { coverage: `Coverage/${data.coverage.id}` } : {}),
      authored: now.toISOString(),
    });
    bundle.entry!.push({ resource: response as FhirResource });
  }
  return bundle;
}
