import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4';

/**
 * The checks a CRD server's responses must pass, written for this project from the Inferno Da
 * Vinci CRD test kit's server suite (its internal checks: response, card, action, coverage-info
 * action and assertion-id grouping; "only the extension changed") and from the IG's
 * coverage-information StructureDefinitions (slices, cardinalities, value types, required
 * bindings and the crd-ci invariants) for CRD 2.0.1 and 2.2.1, which the kit enforces through the
 * HL7 validator. CI has no network: nothing here calls a validator.
 */
export type CrdVersion = '2.0' | '2.2';

const CI = 'http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information';
const ORDER_TYPES = [
  'Appointment',
  'CommunicationRequest',
  'DeviceRequest',
  'Encounter',
  'MedicationRequest',
  'NutritionOrder',
  'ServiceRequest',
  'VisionPrescription',
];

/** The invariants of the coverage-information extension, as published, per version. */
const INVARIANTS: Record<CrdVersion, Record<string, string>> = {
  '2.0': {
    'crd-ci-q1':
      "extension.where(url='questionnaire' or url='response').exists() implies (extension.where(url = 'doc-needed').exists() and extension.where(url = 'doc-needed').all(value != 'no-doc'))",
    'crd-ci-q2':
      "extension.where(url = 'covered' and value != 'not-covered') implies extension.where(url = 'pa-needed').exists()",
    'crd-ci-q3':
      "extension.where(url = 'info-needed').exists() implies extension.where((url = 'covered' or url = 'pa-needed' or url = 'doc-needed') and value = 'conditional').count() >= 1",
    'crd-ci-q4':
      "extension.where(url = 'pa-needed' and value = 'satisfied') and extension.where(url = 'doc-purpose').exists() implies extension.where(url = 'doc-purpose').all(value != 'PA')",
    'crd-ci-q5':
      "extension.where(url = 'pa-needed' and value = 'satisfied').exists() = extension.where(url = 'satisfied-pa-id').exists()",
  },
  '2.2': {
    'crd-ci-q1':
      "extension.where(url='questionnaire').exists() implies extension.where(url = 'doc-needed').exists()",
    'crd-ci-q2':
      "extension.where(url = 'covered' and value = 'not-covered').exists() implies extension.where(url = 'pa-needed').exists().not()",
    'crd-ci-q3':
      "extension.where((url = 'covered' or url = 'pa-needed' or url = 'doc-needed') and value = 'conditional').count() >= 1 implies extension.where(url = 'info-needed').exists()",
    'crd-ci-q4':
      "extension.where(url = 'pa-needed' and (value = 'satisfied' or value = 'noauth' or value = 'not-covered')) and extension.where(url = 'doc-purpose').exists() implies extension.where(url = 'doc-purpose').all(value != 'withpa')",
    'crd-ci-q5':
      "extension.where(url = 'pa-needed' and value = 'satisfied').exists() = extension.where(url = 'satisfied-pa-id').exists()",
    'crd-ci-q6':
      "extension.where(url = 'info-needed' and value = 'OTH').exists() implies extension.where(url = 'reason').exists()",
    // q7's memberOf needs a terminology server; its offline equivalent is checked in code below.
    'crd-ci-q8':
      "extension.where(url = 'doc-purpose' and value != 'conditional').exists() implies extension.where(url = 'reason').exists()",
    // q9 (2.2.1; resp-43): an indeterminate assertion says why.
    'crd-ci-q9':
      "extension.where((url = 'covered' or url = 'pa-needed' or url = 'doc-needed') and value = 'indeterminate').exists() implies extension.where(url = 'reason').exists()",
  },
};

/** Required bindings of the coded sub-extensions, per version. */
const CODES: Record<CrdVersion, Record<string, string[]>> = {
  '2.0': {
    covered: ['covered', 'not-covered', 'conditional'],
    'pa-needed': ['no-auth', 'auth-needed', 'satisfied', 'performpa', 'conditional'],
    'doc-needed': ['no-doc', 'clinical', 'admin', 'both', 'conditional'],
    'doc-purpose': ['withpa', 'withclaim', 'withorder', 'retain-doc', 'OTH'],
    'info-needed': ['performer', 'location', 'timeframe', 'OTH'],
  },
  '2.2': {
    covered: ['covered', 'not-covered', 'conditional', 'indeterminate'],
    'pa-needed': [
      'no-auth',
      'auth-needed',
      'satisfied',
      'performpa',
      'conditional',
      'indeterminate',
    ],
    'doc-needed': ['clinical', 'admin', 'patient', 'conditional', 'indeterminate'],
    'doc-purpose': ['withpa', 'withclaim', 'withorder', 'retain-doc', 'OTH'],
    'info-needed': ['performer', 'location', 'timeframe', 'contract-window', 'detail-code', 'OTH'],
  },
};

const REASONS_22 = [
  'gold-card',
  'no-member-found',
  'no-active-coverage',
  'coverage-not-found',
  'auth-out-network',
  'technical',
];

/** Sub-extensions: [min, max, value type] per version (undefined: not in that version). */
const SLICES: Record<string, { v20?: [number, number]; v22?: [number, number]; value: string }> = {
  coverage: { v20: [1, 1], v22: [1, 1], value: 'valueReference' },
  covered: { v20: [1, 1], v22: [1, 1], value: 'valueCode' },
  'pa-needed': { v20: [0, 1], v22: [0, 1], value: 'valueCode' },
  'doc-needed': { v20: [0, 1], v22: [0, Infinity], value: 'valueCode' },
  'doc-purpose': { v20: [0, Infinity], v22: [0, Infinity], value: 'valueCode' },
  'info-needed': { v20: [0, Infinity], v22: [0, Infinity], value: 'valueCode' },
  billingCode: { v20: [0, Infinity], v22: [0, Infinity], value: 'valueCoding' },
  reason: { v20: [0, Infinity], v22: [0, Infinity], value: 'valueCodeableConcept' },
  detail: { v20: [0, Infinity], v22: [0, Infinity], value: 'extension' },
  dependency: { v20: [0, Infinity], v22: [0, Infinity], value: 'valueReference' },
  questionnaire: { v20: [0, Infinity], v22: [0, Infinity], value: 'valueCanonical' },
  response: { v20: [0, Infinity], value: 'valueReference' },
  date: { v20: [1, 1], v22: [1, 1], value: 'valueDate' },
  'coverage-assertion-id': { v20: [1, 1], v22: [1, 1], value: 'valueString' },
  'satisfied-pa-id': { v20: [0, 1], v22: [0, 1], value: 'valueString' },
  contact: { v20: [0, Infinity], v22: [0, Infinity], value: 'valueContactPoint' },
  'expiry-date': { v22: [0, 1], value: 'valueDate' },
};

type Json = Record<string, any>;

/** What is wrong with one coverage-information extension under a CRD version ([] when nothing). */
export function coverageInformationViolations(ext: Json, version: CrdVersion): string[] {
  const out: string[] = [];
  const subs: Json[] = Array.isArray(ext.extension) ? ext.extension : [];
  if (ext.url !== CI) out.push(`url is ${ext.url}`);
  for (const [name, slice] of Object.entries(SLICES)) {
    const card = version === '2.0' ? slice.v20 : slice.v22;
    const found = subs.filter((s) => s.url === name);
    if (!card) {
      if (found.length > 0) out.push(`${name} is not in CRD ${version}`);
      continue;
    }
    if (found.length < card[0]) out.push(`${name}: required (${card[0]}..)`);
    if (found.length > card[1]) out.push(`${name}: at most ${card[1]}, found ${found.length}`);
    for (const f of found) {
      const keys = Object.keys(f).filter((k) => k !== 'url');
      if (keys.length !== 1 || keys[0] !== slice.value)
        out.push(`${name}: must carry ${slice.value} only, has ${keys.join(', ')}`);
      const codes = CODES[version][name];
      if (codes && !codes.includes(f.valueCode))
        out.push(`${name}: ${f.valueCode} is not in the required value set`);
      if (slice.value === 'valueDate' && !/^\d{4}(-\d{2}(-\d{2})?)?$/.test(f.valueDate ?? ''))
        out.push(`${name}: ${f.valueDate} is not a FHIR date`);
      if (
        slice.value === 'valueString' &&
        !(typeof f.valueString === 'string' && f.valueString.trim())
      )
        out.push(`${name}: empty string`);
    }
  }
  const coverage = subs.find((s) => s.url === 'coverage')?.valueReference?.reference;
  if (coverage !== undefined && !/^Coverage\/[A-Za-z0-9\-.]{1,64}$/.test(coverage))
    out.push(`coverage: ${coverage} is not a reference to a Coverage`);
  for (const r of subs.filter((s) => s.url === 'reason')) {
    const cc = r.valueCodeableConcept ?? {};
    const coded = (cc.coding ?? []).every(
      (c: Json) =>
        c.system === 'http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp' &&
        REASONS_22.includes(c.code),
    );
    // crd-ci-q7 (2.2): a reason is from the value set, or has text.
    if (version === '2.2' && !(cc.text || ((cc.coding ?? []).length > 0 && coded)))
      out.push('crd-ci-q7: reason is neither from the value set nor has text');
  }
  if (version === '2.2') {
    for (const d of subs.filter((s) => s.url === 'detail')) {
      const parts: Json[] = d.extension ?? [];
      for (const [name, min] of [
        ['category', 1],
        ['code', 1],
        ['value', 1],
      ] as const)
        if (parts.filter((p) => p.url === name).length !== min) out.push(`detail.${name}: 1..1`);
      const category = parts.find((p) => p.url === 'category')?.valueCode;
      if (!['cat-limitation', 'cat-decisional', 'cat-other'].includes(category))
        out.push(`detail.category: ${category} is not in the required value set`);
      const value = parts.find((p) => p.url === 'value') ?? {};
      const types = Object.keys(value).filter((k) => k !== 'url');
      if (
        types.length !== 1 ||
        !['valueBoolean', 'valueString', 'valueUrl', 'valueQuantity', 'valuePeriod'].includes(
          types[0]!,
        )
      )
        out.push(`detail.value: ${types.join(', ')} is not an allowed type`);
    }
  }
  for (const [id, expression] of Object.entries(INVARIANTS[version])) {
    const result = fhirpath.evaluate(
      ext,
      { base: 'Extension', expression },
      undefined,
      r4 as never,
    ) as unknown[];
    if (result.length === 1 && result[0] === false) out.push(`${id} fails`);
  }
  return out;
}

/** Where a resource the service annotated came from: the draft orders, else the prefetch. */
function originalOf(request: Json, type: string, id: string): Json | undefined {
  const pools: unknown[] = [request.context?.draftOrders, ...Object.values(request.prefetch ?? {})];
  for (const pool of pools) {
    const p = pool as Json | null;
    const resources =
      p?.resourceType === 'Bundle' ? (p.entry ?? []).map((e: Json) => e.resource) : [p];
    const hit = resources.find((r: Json | undefined) => r?.resourceType === type && r?.id === id);
    if (hit) return hit;
  }
  return undefined;
}

function withoutCoverageInformation(resource: Json): Json {
  const copy = structuredClone(resource);
  copy.extension = (copy.extension ?? []).filter((e: Json) => e.url !== CI);
  if (copy.extension.length === 0) delete copy.extension;
  return copy;
}

/** The coverage-information system actions of a response. */
export function coverageInformationActions(response: Json): Json[] {
  return (response.systemActions ?? []).filter(
    (a: Json) =>
      ORDER_TYPES.includes(a.resource?.resourceType) &&
      (a.resource.extension ?? []).some((e: Json) => e.url === CI),
  );
}

/**
 * What is wrong with a CRD hook response for `request` (Inferno's server checks and the IG's
 * extension rules for `version`); [] when nothing.
 */
export function crdResponseViolations(
  request: Json,
  response: Json,
  version: CrdVersion,
): string[] {
  const out: string[] = [];
  const hook: string = request.hook;
  if (!Array.isArray(response.cards)) out.push('cards: not an array');
  if (
    ['order-sign', 'order-dispatch', 'appointment-book'].includes(hook) &&
    !Array.isArray(response.systemActions)
  )
    out.push(`systemActions: required for ${hook}`);
  (response.cards ?? []).forEach((card: Json, i: number) => {
    const at = `cards[${i}]`;
    for (const f of ['uuid', 'summary', 'indicator'])
      if (typeof card[f] !== 'string' || card[f].trim() === '') out.push(`${at}.${f}: required`);
    if ((card.summary ?? '').length > 139) out.push(`${at}.summary: over 139 characters`);
    if (!['info', 'warning', 'critical'].includes(card.indicator))
      out.push(`${at}.indicator: ${card.indicator}`);
    if (typeof card.source?.label !== 'string' || !card.source.label)
      out.push(`${at}.source.label: required`);
    if (!card.source?.topic?.system || !card.source?.topic?.code)
      out.push(`${at}.source.topic: system and code required`);
    for (const r of card.overrideReasons ?? [])
      if (!r.code || !r.system || !r.display)
        out.push(`${at}.overrideReasons: code, system and display required`);
    const links: Json[] = card.links ?? [];
    for (const l of links) {
      if (!l.label || !l.type || !l.url) out.push(`${at}.links: label, type and url required`);
      if (!/^https?:\/\/[^/]+/.test(l.url ?? ''))
        out.push(`${at}.links: ${l.url} is not an http(s) URL`);
      if (l.type === 'absolute' && l.appContext !== undefined)
        out.push(`${at}.links: absolute link with appContext`);
    }
    const types = new Set(links.map((l) => l.type));
    if (types.size > 1) out.push(`${at}.links: absolute and smart links mixed`);
    if (types.has('absolute') && (card.suggestions ?? []).length > 0)
      out.push(`${at}: absolute links with suggestions`);
    for (const s of card.suggestions ?? []) {
      if (!s.label || !s.uuid) out.push(`${at}.suggestions: label and uuid required`);
      for (const a of s.actions ?? [])
        if (a.type === 'update' && (a.resource?.extension ?? []).some((e: Json) => e.url === CI))
          out.push(`${at}: coverage information must be a system action, not a card`);
    }
  });
  (response.systemActions ?? []).forEach((a: Json, i: number) => {
    const at = `systemActions[${i}]`;
    if (typeof a.description !== 'string' || !a.description.trim())
      out.push(`${at}.description: required`);
    if (!['create', 'update', 'delete'].includes(a.type)) out.push(`${at}.type: ${a.type}`);
    if (a.type !== 'delete' && typeof a.resource?.resourceType !== 'string')
      out.push(`${at}.resource: not a FHIR resource`);
  });
  // Per order: within one coverage one assertion id and at most one satisfied-pa-id; across
  // coverages distinct ones (CRD resp-32, resp-33; Inferno's grouping check).
  for (const action of coverageInformationActions(response)) {
    const r = action.resource;
    const at = `${r.resourceType}/${r.id}`;
    if (action.type !== 'update')
      out.push(`${at}: a coverage-information action must be an update`);
    const original = originalOf(request, r.resourceType, r.id);
    if (!original) out.push(`${at}: not an order of the request`);
    else if (
      JSON.stringify(sorted(withoutCoverageInformation(original))) !==
      JSON.stringify(sorted(withoutCoverageInformation(r)))
    )
      out.push(`${at}: resource content changed outside the coverage-information extension`);
    const ids = new Map<string, Set<string>>();
    const paIds = new Map<string, Set<string>>();
    for (const ext of (r.extension ?? []).filter((e: Json) => e.url === CI)) {
      for (const v of coverageInformationViolations(ext, version)) out.push(`${at}: ${v}`);
      const value = (u: string) => ext.extension?.find((e: Json) => e.url === u);
      const cov: string = value('coverage')?.valueReference?.reference ?? '';
      const id = value('coverage-assertion-id')?.valueString;
      const pa = value('satisfied-pa-id')?.valueString;
      ids.set(cov, new Set([...(ids.get(cov) ?? []), id]));
      if (pa !== undefined) paIds.set(cov, new Set([...(paIds.get(cov) ?? []), pa]));
    }
    for (const [cov, set] of ids)
      if (set.size > 1)
        out.push(`${at}: repetitions for ${cov} with different coverage-assertion-ids`);
    for (const [cov, set] of paIds)
      if (set.size > 1) out.push(`${at}: repetitions for ${cov} with different satisfied-pa-ids`);
    const all = [...ids.values()].flatMap((v) => [...v]);
    if (new Set(all).size !== all.length)
      out.push(`${at}: differing coverages share a coverage-assertion-id`);
  }
  return out;
}

/** A copy with object keys sorted (arrays keep their order), to compare resources. */
function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v as Json)
        .sort()
        .map((k) => [k, sorted((v as Json)[k])]),
    );
  return v;
}
