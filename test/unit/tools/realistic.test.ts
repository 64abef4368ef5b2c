import fs from 'node:fs';
import path from 'node:path';
import type {
  Bundle,
  CarePlan,
  Condition,
  FhirResource,
  MedicationAdministration,
  MedicationRequest,
  Observation,
  Patient,
} from 'fhir/r4';
import { statusAs } from '../../../src/policy/formula';
import { REALISTIC_SIZES, realisticRequest } from '../../../tools/bench/realistic';
import { content, evaluateInProcess, PATIENTS, ROOT } from '../../support';

/*
 * Benchmark requests shaped like EHR records (issue 12): the size, determinism, the outcome the
 * service's own pipeline reaches, and the shape of the record the issue promises.
 */
const NOW = new Date('2026-06-15T12:00:00.000Z');
const DAY = 86400e3;
const RX = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const LOINC = 'http://loinc.org';

type Prefetch = Record<string, FhirResource | Bundle>;

function prefetchOf(policy: string, size: number): Prefetch {
  return realisticRequest(policy, size, NOW).request.prefetch as Prefetch;
}

/** The resources of one prefetch key (a Bundle's entries, or the resource itself). */
function resources(prefetch: Prefetch, key: string): FhirResource[] {
  const v = prefetch[key];
  if (!v) return [];
  return v.resourceType === 'Bundle'
    ? (v.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []))
    : [v];
}

/** Counted as syntheticRequest counts: Bundle entries, or 1 for a resource. */
function entryCount(prefetch: Prefetch): number {
  return Object.values(prefetch).reduce(
    (n, v) => n + (v.resourceType === 'Bundle' ? (v.entry?.length ?? 0) : 1),
    0,
  );
}

function valueSetCodes(...ids: string[]): Set<string> {
  const out = new Set<string>();
  for (const id of ids) {
    const vs = JSON.parse(
      fs.readFileSync(path.join(ROOT, 'cql/valuesets', `${id}.json`), 'utf8'),
    ) as {
      expansion?: { contains?: { system: string; code: string }[] };
    };
    for (const c of vs.expansion?.contains ?? []) out.add(`${c.system}|${c.code}`);
  }
  return out;
}

function codesOf(r: MedicationRequest | MedicationAdministration): string[] {
  return (r.medicationCodeableConcept?.coding ?? []).map((c) => `${c.system}|${c.code}`);
}

/** Every system|code of a JSON value (any object with string system and code). */
function allCodings(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) allCodings(v, out);
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.system === 'string' && typeof o.code === 'string')
      out.add(`${o.system}|${o.code}`);
    for (const v of Object.values(o)) allCodings(v, out);
  }
  return out;
}

/** The codes a record may use: value sets, test patients, synthetic.ts lists, FHIR's own code systems. */
function allowedCodes(): { codes: Set<string>; systems: Set<string> } {
  const codes = new Set<string>();
  for (const f of fs.readdirSync(path.join(ROOT, 'cql/valuesets')))
    allCodings(JSON.parse(fs.readFileSync(path.join(ROOT, 'cql/valuesets', f), 'utf8')), codes);
  const walk = (dir: string) => {
    for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, d.name);
      if (d.isDirectory()) walk(p);
      else if (d.name.endsWith('.json')) allCodings(JSON.parse(fs.readFileSync(p, 'utf8')), codes);
    }
  };
  walk(PATIENTS);
  const synthetic = fs.readFileSync(path.join(ROOT, 'tools/bench/synthetic.ts'), 'utf8');
  const list = (name: string, system: string) => {
    const body = new RegExp(`const ${name} = \\[([^\\]]*)\\]`).exec(synthetic)?.[1] ?? '';
    for (const m of body.matchAll(/'([^']+)'/g)) codes.add(`${system}|${m[1]}`);
  };
  list('LOINC_LABS', LOINC);
  list('SUPPORTIVE_RX', RX);
  list('ICD', 'http://hl7.org/fhir/sid/icd-10-cm');
  // FHIR's own code systems (statuses, categories, result flags) and UCUM units.
  const systems = new Set([
    'http://terminology.hl7.org/CodeSystem/condition-clinical',
    'http://terminology.hl7.org/CodeSystem/condition-ver-status',
    'http://terminology.hl7.org/CodeSystem/condition-category',
    'http://terminology.hl7.org/CodeSystem/observation-category',
    'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
    'http://unitsofmeasure.org',
  ]);
  return { codes, systems };
}

const MYELOMA_AGENTS = valueSetCodes(
  'bortezomib',
  'lenalidomide',
  'carfilzomib',
  'daratumumab',
  'pomalidomide',
);
const ALLOWED = allowedCodes();

const CASES = (['CC-0248', 'CC-0126'] as const).flatMap((policy) =>
  REALISTIC_SIZES.map((size) => [policy, size] as const),
);

describe.each(CASES)('realisticRequest(%s, %d)', (policy, size) => {
  const built = realisticRequest(policy, size, NOW);
  const prefetch = built.request.prefetch as Prefetch;

  it('holds about `size` resources (±5 %), counted as syntheticRequest counts', () => {
    expect(built.resources).toBe(entryCount(prefetch));
    expect(Math.abs(built.resources - size)).toBeLessThanOrEqual(size * 0.05);
  });

  it('is deterministic', () => {
    expect(realisticRequest(policy, size, NOW)).toEqual(built);
  });

  it('is an order-sign request with every prefetch key of the service as a searchset', () => {
    const service = JSON.parse(fs.readFileSync(path.join(ROOT, 'cards/service.json'), 'utf8')) as {
      prefetch: Record<string, string>;
    };
    expect(Object.keys(prefetch).sort()).toEqual(Object.keys(service.prefetch).sort());
    expect(built.request.hook).toBe('order-sign');
    expect(built.request.context.patientId).toBe('pt-1');
    expect(built.request.context.userId).toBeDefined();
    expect(prefetch.patient?.resourceType).toBe('Patient');
    for (const [key, v] of Object.entries(prefetch))
      if (key !== 'patient')
        expect([key, v.resourceType, (v as Bundle).type]).toEqual([key, 'Bundle', 'searchset']);
    const coverage = resources(prefetch, 'coverage');
    expect(coverage).toEqual([
      expect.objectContaining({ resourceType: 'Coverage', status: 'active' }),
    ]);
  });

  it('uses only codes of the value sets, the test patients and synthetic.ts', () => {
    const invented = [...allCodings(built.request)].filter(
      (c) => !ALLOWED.codes.has(c) && !ALLOWED.systems.has(c.slice(0, c.lastIndexOf('|'))),
    );
    expect(invented).toEqual([]);
  });

  it('dates everything relative to now, nothing after it', () => {
    const text = JSON.stringify(built.request);
    const instants = [...text.matchAll(/"(\d{4}-\d{2}-\d{2}T[\d:.]+Z)"/g)].map((m) =>
      Date.parse(m[1]!),
    );
    expect(instants.length).toBeGreaterThan(size / 2);
    expect(Math.max(...instants)).toBeLessThanOrEqual(NOW.getTime());
    const later = realisticRequest(policy, size, new Date(NOW.getTime() + 10 * DAY));
    expect(JSON.stringify(later.request)).not.toEqual(text);
  });

  it(`concludes ${'criteria-met'} in the service's own pipeline, with the expected statuses`, async () => {
    const results = await evaluateInProcess(built.request, NOW);
    const result = results.find((r) => r.policy === policy);
    expect(result).toBeDefined();
    const { formula } = content().policies.find((p) => p.definition.id === policy)!;
    const statuses = Object.fromEntries(
      result!.criteria.map((c) => [c.id, statusAs(formula.roles[c.id]!, c.status)]),
    );
    expect(built.expected.outcome).toBe('criteria-met');
    expect(statuses).toEqual(built.expected.criteria);
    expect(result!.outcome).toBe('criteria-met');
    const evidence = (id: string) => result!.criteria.find((c) => c.id === id)?.evidence ?? [];
    if (policy === 'CC-0248') {
      expect(evidence('II')).toContain('Condition/mm-1');
      expect(evidence('IV')).toEqual(['Observation/ecog-1']);
      expect(evidence('III').length).toBeGreaterThan(30);
    } else {
      expect(evidence('I')).toContain('Observation/immuno-d29');
      expect(evidence('IV')).toContain('CarePlan/cp-maint');
    }
    if (policy === 'CC-0248')
      expect(result!.criteria.find((c) => c.id === 'III')?.detail).toMatch(/^5 prior lines/);
  });

  it('has laboratory results: twelve LOINC tests per draw date, UCUM quantities, ranges and flags', () => {
    const labs = (resources(prefetch, 'labObservations') as Observation[]).filter((o) =>
      o.id?.startsWith('lab-'),
    );
    expect(labs.length).toBeGreaterThanOrEqual(size === 200 ? 90 : 550);
    expect(new Set(labs.map((o) => o.code.coding?.[0]?.code)).size).toBe(12);
    for (const o of labs) {
      expect(o.category?.[0]?.coding?.[0]?.code).toBe('laboratory');
      expect(o.valueQuantity?.system).toBe('http://unitsofmeasure.org');
    }
    const perDay = new Map<string, number>();
    for (const o of labs)
      perDay.set(
        o.effectiveDateTime!.slice(0, 10),
        (perDay.get(o.effectiveDateTime!.slice(0, 10)) ?? 0) + 1,
      );
    expect(Math.max(...perDay.values())).toBe(12);
    expect(perDay.size).toBeGreaterThanOrEqual(size === 200 ? 8 : 45);
    const ranged = labs.filter((o) => o.referenceRange);
    const flagged = labs.filter((o) => o.interpretation);
    expect(ranged.length).toBeGreaterThan(0);
    expect(ranged.length).toBeLessThan(labs.length);
    expect(flagged.length).toBeGreaterThan(0);
    expect(flagged.length).toBeLessThan(labs.length);
  });

  it('has comorbidities among its conditions: repeated codes, some resolved, refuted or in error', () => {
    const conditions = resources(prefetch, 'conditions') as Condition[];
    if (size === 200) expect(conditions.length).toBeGreaterThanOrEqual(18);
    if (size === 200) expect(conditions.length).toBeLessThanOrEqual(22);
    if (size === 1000) expect(conditions.length).toBeGreaterThanOrEqual(40);
    const status = (c: Condition) => c.clinicalStatus?.coding?.[0]?.code;
    const verification = (c: Condition) => c.verificationStatus?.coding?.[0]?.code;
    expect(conditions.some((c) => status(c) === 'resolved')).toBe(true);
    expect(conditions.some((c) => verification(c) === 'refuted')).toBe(true);
    expect(conditions.some((c) => verification(c) === 'entered-in-error')).toBe(true);
    expect(new Set(conditions.map((c) => c.onsetDateTime)).size).toBeGreaterThan(
      conditions.length / 2,
    );
  });
});

describe('realisticRequest(CC-0248): relapsed myeloma after five regimens', () => {
  it.each(REALISTIC_SIZES)('size %d: the promised shape', (size) => {
    const prefetch = prefetchOf('CC-0248', size);
    const patient = prefetch.patient as Patient;
    const age = (NOW.getTime() - Date.parse(patient.birthDate!)) / (365.25 * DAY);
    expect(Math.floor(age)).toBe(64);

    const conditions = resources(prefetch, 'conditions') as Condition[];
    const mm = conditions.find((c) => c.id === 'mm-1')!;
    expect(mm.code?.coding?.[0]?.code).toBe('C90.02');
    expect(mm.clinicalStatus?.coding?.[0]?.code).toBe('relapse');

    const orders = resources(prefetch, 'medicationRequests').filter(
      (r): r is MedicationRequest => r.resourceType === 'MedicationRequest',
    );
    const antiMyeloma = orders.filter((o) => codesOf(o).some((c) => MYELOMA_AGENTS.has(c)));
    if (size === 200) {
      expect(antiMyeloma.length).toBeGreaterThanOrEqual(30);
      expect(antiMyeloma.length).toBeLessThanOrEqual(40);
    } else expect(antiMyeloma.length).toBeGreaterThan(80);
    const regimens = new Set(antiMyeloma.map((o) => o.id!.split('-c')[0]));
    expect([...regimens].sort()).toEqual(['dpd', 'dvd', 'kd', 'kpd', 'r-maint', 'vrd']);
    const grouped = antiMyeloma.filter((o) => o.groupIdentifier);
    expect(grouped.length).toBeGreaterThan(0);
    expect(grouped.length).toBeLessThan(antiMyeloma.length);
    // Ingredient and product codes; code with display; code alone plus text.
    const used = new Set(antiMyeloma.flatMap(codesOf));
    expect(used.has(`${RX}|358258`) || used.has(`${RX}|342369`)).toBe(true);
    expect(used.has(`${RX}|402243`)).toBe(true);
    expect(
      antiMyeloma.some(
        (o) =>
          o.medicationCodeableConcept?.coding?.[0]?.display && !o.medicationCodeableConcept.text,
      ),
    ).toBe(true);
    expect(
      antiMyeloma.some(
        (o) =>
          !o.medicationCodeableConcept?.coding?.[0]?.display && o.medicationCodeableConcept?.text,
      ),
    ).toBe(true);
    expect(new Set(antiMyeloma.map((o) => o.status))).toEqual(
      new Set(['completed', 'stopped', 'active']),
    );
    const starts = antiMyeloma.map((o) => Date.parse(o.authoredOn!));
    expect((NOW.getTime() - Math.min(...starts)) / DAY).toBeGreaterThan(6 * 365 - 10);
    // Dexamethasone has no code in the repository: ordered by text alone.
    expect(
      orders.some(
        (o) =>
          /dexamethasone/.test(o.medicationCodeableConcept?.text ?? '') &&
          !o.medicationCodeableConcept?.coding,
      ),
    ).toBe(true);
    expect(orders.some((o) => o.id?.startsWith('sup-'))).toBe(true);

    const administrations = resources(
      prefetch,
      'medicationAdministrations',
    ) as MedicationAdministration[];
    expect(administrations.some((a) => codesOf(a).some((c) => MYELOMA_AGENTS.has(c)))).toBe(true);
    const infusions = administrations.filter((a) => codesOf(a).some((c) => MYELOMA_AGENTS.has(c)));
    expect(infusions.every((a) => a.request?.reference?.startsWith('MedicationRequest/'))).toBe(
      true,
    );

    const ecog = (resources(prefetch, 'observations') as Observation[]).filter(
      (o) => o.code.coding?.[0]?.code === '89247-1',
    );
    expect(ecog).toHaveLength(size === 200 ? 24 : 72);
    const latest = [...ecog].sort((a, b) =>
      b.effectiveDateTime!.localeCompare(a.effectiveDateTime!),
    )[0]!;
    expect((NOW.getTime() - Date.parse(latest.effectiveDateTime!)) / DAY).toBeLessThanOrEqual(30);
    expect(latest.valueInteger).toBeLessThanOrEqual(2);
    const answers = valueSetCodes('ecog-answers');
    expect(
      ecog.some((o) => answers.has(`${LOINC}|${o.valueCodeableConcept?.coding?.[0]?.code}`)),
    ).toBe(true);
    const scores = ecog.map(
      (o) => o.valueInteger ?? Number(o.valueCodeableConcept?.text?.slice(-1)),
    );
    expect(scores.filter((s) => s === 1).length).toBeGreaterThan(ecog.length / 2);
  });
});

describe('realisticRequest(CC-0126): B-ALL in remission on POMP maintenance', () => {
  it.each(REALISTIC_SIZES)('size %d: the promised shape', (size) => {
    const built = realisticRequest('CC-0126', size, NOW);
    const prefetch = built.request.prefetch as Prefetch;
    const draft = built.request.context.draftOrders.entry?.[0]?.resource as MedicationRequest;
    expect(draft.basedOn).toEqual([{ reference: 'CarePlan/cp-maint' }]);

    const conditions = resources(prefetch, 'conditions') as Condition[];
    const all = valueSetCodes('acute-lymphoblastic-leukemia');
    expect(
      conditions.filter((c) =>
        (c.code?.coding ?? []).some((x) => all.has(`${x.system}|${x.code}`)),
      ),
    ).toHaveLength(2);

    const labs = resources(prefetch, 'labObservations') as Observation[];
    const immuno = labs.filter((o) => o.code.coding?.[0]?.code === '101119-6');
    expect(immuno.length).toBeGreaterThanOrEqual(3);
    expect(
      immuno.some(
        (o) => /CD19/.test(o.valueString ?? '') && /Negative for CD3/.test(o.valueString ?? ''),
      ),
    ).toBe(true);
    // The observations query (its code list includes 101119-6) returns the same reports again.
    const observed = resources(prefetch, 'observations').map((o) => o.id);
    for (const o of immuno) expect(observed).toContain(o.id);
    const mrd = labs.filter((o) => /MRD/.test(o.code.text ?? ''));
    expect(mrd.length).toBeGreaterThanOrEqual(size === 200 ? 5 : 10);
    expect(
      mrd.some((o) => o.valueQuantity?.code === '%' && o.valueQuantity.comparator === '<'),
    ).toBe(true);
    expect(mrd.some((o) => o.valueQuantity?.code === '%' && !o.valueQuantity.comparator)).toBe(
      true,
    );

    const plans = resources(prefetch, 'carePlans') as CarePlan[];
    expect(plans.length).toBeGreaterThanOrEqual(3);
    expect(plans.every((p) => p.status === 'active')).toBe(true);
    const maint = plans.find((p) => p.id === 'cp-maint')!;
    const pomp = ['8640', '11202', '6851', '103'];
    expect(maint.activity?.map((a) => a.detail?.productCodeableConcept?.coding?.[0]?.code)).toEqual(
      expect.arrayContaining(pomp),
    );

    const orders = resources(prefetch, 'medicationRequests') as MedicationRequest[];
    const chemo = orders.filter((o) =>
      codesOf(o).some((c) => [...pomp, '3002'].includes(c.split('|')[1]!)),
    );
    expect(chemo.length).toBeGreaterThanOrEqual(size === 200 ? 25 : 70);
    for (const code of [...pomp, '3002'])
      expect(
        chemo.some((o) => o.status === 'completed' && codesOf(o).includes(`${RX}|${code}`)),
      ).toBe(true);
    expect(chemo.some((o) => o.groupIdentifier)).toBe(true);
    expect(chemo.some((o) => !o.groupIdentifier)).toBe(true);
    expect(orders.some((o) => o.id?.startsWith('sup-'))).toBe(true);
    expect(resources(prefetch, 'medicationAdministrations').length).toBeGreaterThan(5);
  });
});
