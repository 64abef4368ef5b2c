import type {
  Bundle,
  Coverage,
  MedicationRequest,
  OperationOutcome,
  Parameters,
  ParametersParameter,
} from 'fhir/r4';
import { BadRequestError } from '../platform/errors';
import { orderDate, versionFor, type Policy } from '../policy/load';
import { selectPolicies } from '../policy/select';
import type { DtrCatalog } from './catalog';
import { populatedResponse } from './populate';
import type { DocumentationForm } from './questionnaire';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function outcome(severity: 'warning' | 'information', text: string): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [
      { severity, code: severity === 'warning' ? 'not-found' : 'informational', diagnostics: text },
    ],
  };
}

/** The input of $questionnaire-package, checked: a 400 names what is wrong. */
function readInput(body: unknown) {
  if (!isObject(body) || body.resourceType !== 'Parameters')
    throw new BadRequestError('the body must be a FHIR Parameters resource');
  const params = body.parameter;
  if (!Array.isArray(params)) throw new BadRequestError('Parameters.parameter must be an array');
  const named = (name: string) => (params as ParametersParameter[]).filter((p) => p?.name === name);
  const coverages = named('coverage');
  if (coverages.length !== 1 || coverages[0]!.resource?.resourceType !== 'Coverage')
    throw new BadRequestError('parameter "coverage" is required: one Coverage resource');
  const orders = named('order').map((p, i) => {
    if (!isObject(p.resource) || typeof p.resource.resourceType !== 'string')
      throw new BadRequestError(`parameter "order" [${i}] must carry a resource`);
    return p.resource as { resourceType: string };
  });
  const questionnaires = named('questionnaire').map((p, i) => {
    if (typeof p.valueCanonical !== 'string' || p.valueCanonical === '')
      throw new BadRequestError(`parameter "questionnaire" [${i}] must be a valueCanonical`);
    return p.valueCanonical;
  });
  const context = named('context')[0]?.valueString;
  if (orders.length === 0 && questionnaires.length === 0 && context === undefined)
    throw new BadRequestError(
      'send at least one "order", "questionnaire" or "context" (DTR dtr-1)',
    );
  return { coverage: coverages[0]!.resource as Coverage, orders, questionnaires, context };
}

/** The package of one form: the Questionnaire first, an initial response, its Libraries and ValueSets. */
function bundleOf(
  catalog: DtrCatalog,
  form: DocumentationForm,
  coverage: Coverage,
  order: MedicationRequest | undefined,
  now: Date,
): Bundle {
  const subject =
    order?.subject?.reference ?? coverage.beneficiary?.reference ?? coverage.subscriber?.reference;
  const patientId = (subject ?? '').replace(/^.*Patient\//, '');
  const response = populatedResponse(
    form,
    {},
    {
      patientId,
      ...(order?.id ? { order: `MedicationRequest/${order.id}` } : {}),
      ...(coverage.id ? { coverage: `Coverage/${coverage.id}` } : {}),
      authored: now.toISOString(),
    },
  );
  return {
    resourceType: 'Bundle',
    type: 'collection',
    timestamp: now.toISOString(),
    entry: [
      { resource: form.questionnaire },
      { resource: response },
      ...catalog.librariesOf(form).map((resource) => ({ resource })),
      ...catalog.valueSetsOf(form).map((resource) => ({ resource })),
    ],
  };
}

/**
 * DTR $questionnaire-package: for the questionnaires named, and the forms of the policies the
 * orders trigger (each in the version in force on the order's date), one package Bundle each.
 * A questionnaire this service does not have is a warning in `outcome` (oper-9). `context` (a
 * CRD coverage-assertion-id) alone cannot be resolved: this service keeps no assertions yet.
 */
export function questionnairePackage(
  catalog: DtrCatalog,
  policies: Policy[],
  body: unknown,
  now: Date,
): Parameters {
  const input = readInput(body);
  const chosen = new Map<DocumentationForm, MedicationRequest | undefined>();
  const warnings: string[] = [];
  for (const canonical of input.questionnaires) {
    const form = catalog.index.get(canonical);
    if (form) chosen.set(form, chosen.get(form));
    else warnings.push(`no questionnaire ${canonical} here`);
  }
  const orders = input.orders.filter(
    (o) => o.resourceType === 'MedicationRequest',
  ) as MedicationRequest[];
  const versions = policies.flatMap((p) => (p.versions.length > 0 ? p.versions : [p]));
  for (const m of selectPolicies(orders, versions, new Map())) {
    if (versionFor(m.policy, orderDate(m.order, now)) !== m.policy) continue;
    const form = catalog.formOf(m.policy);
    if (form) chosen.set(form, m.order);
  }
  if (input.orders.length > 0 && chosen.size === 0 && input.questionnaires.length === 0)
    warnings.push('no order sent is one whose policy needs documentation here');
  if (chosen.size === 0 && warnings.length === 0)
    throw new BadRequestError(
      `context "${String(input.context).slice(0, 100)}" is not known here: this service keeps no coverage assertions; send the order or the questionnaire`,
    );
  const parameter: ParametersParameter[] = [...chosen].map(([form, order]) => ({
    name: 'packagebundle',
    resource: bundleOf(catalog, form, input.coverage, order, now),
  }));
  if (warnings.length > 0)
    parameter.push({ name: 'outcome', resource: outcome('warning', warnings.join('; ')) });
  return { resourceType: 'Parameters', parameter };
}
