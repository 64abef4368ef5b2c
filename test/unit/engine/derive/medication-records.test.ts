import type { Bundle, FhirResource, MedicationRequest, Resource } from 'fhir/r4';
import { medicationRecords } from '../../../../src/engine/derive/medication-records';

/** Data rule v2 (2, 3): which medication records are history, active orders or usable, and why. */
const RX = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const NOW = new Date('2026-06-15T12:00:00Z');
const drug = (code: string) => ({ coding: [{ system: RX, code }], text: `drug ${code}` });

function bundle(...resources: Resource[]): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: resources.map((resource) => ({ resource: resource as FhirResource })),
  };
}

function request(
  id: string | undefined,
  extra: Partial<MedicationRequest> = {},
): MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    ...(id ? { id } : {}),
    status: 'completed',
    intent: 'order',
    subject: { reference: 'Patient/p' },
    medicationCodeableConcept: drug('475342'),
    authoredOn: '2026-01-10',
    ...extra,
  };
}

const DRAFT = request('draft-1', { status: 'draft', authoredOn: '2026-06-15' });

function byRef(
  resources: Resource[],
  draft: MedicationRequest = DRAFT,
  others: MedicationRequest[] = [],
) {
  return Object.fromEntries(
    medicationRecords(bundle(...resources), draft, others, NOW).map((r) => [r.ref ?? '(no id)', r]),
  );
}

describe('medication records (data rule v2)', () => {
  it('a doNotPerform request is never history, an active order or usable', () => {
    const r = byRef([request('dnp', { status: 'active', doNotPerform: true })])[
      'MedicationRequest/dnp'
    ];
    expect(r).toMatchObject({ history: false, activeOrder: false, usableOrder: false });
  });

  it.each([
    ['MedicationStatement', 'not-taken', false],
    ['MedicationStatement', 'entered-in-error', false],
    ['MedicationStatement', 'completed', true],
    ['MedicationAdministration', 'not-done', false],
    ['MedicationAdministration', 'entered-in-error', false],
    ['MedicationAdministration', 'completed', true],
  ] as const)('a %s with status %s is history: %s', (resourceType, status, history) => {
    const rec = byRef([
      {
        resourceType,
        id: 'x',
        status,
        subject: { reference: 'Patient/p' },
        medicationCodeableConcept: drug('103'),
        effectiveDateTime: '2026-02-01',
      } as Resource,
    ])[`${resourceType}/x`];
    expect(rec?.history).toBe(history);
  });

  it.each(['draft', 'cancelled', 'entered-in-error'] as const)(
    'a request with status %s is never history',
    (status) => {
      expect(byRef([request('r', { status })])['MedicationRequest/r']?.history).toBe(false);
    },
  );

  it('history is what started on or before the evaluation day; undated records are left out', () => {
    const recs = byRef([
      request('today', { authoredOn: '2026-06-15T23:00:00Z' }),
      request('tomorrow', { authoredOn: '2026-06-16' }),
      request('undated', { authoredOn: undefined }),
      request('validity', {
        authoredOn: '2026-07-01',
        dispenseRequest: { validityPeriod: { start: '2026-06-01' } },
      }),
    ]);
    expect(recs['MedicationRequest/today']?.history).toBe(true);
    expect(recs['MedicationRequest/tomorrow']?.history).toBe(false);
    expect(recs['MedicationRequest/undated']?.history).toBe(false);
    expect(recs['MedicationRequest/validity']?.history).toBe(true);
  });

  it('the order being signed is excluded by its id; a draft without id excludes nothing', () => {
    const same = request('draft-1', { status: 'active' });
    expect(byRef([same, request('old')])['MedicationRequest/draft-1']?.history).toBe(false);
    const noId = request(undefined, { status: 'draft' });
    const recs = byRef([request('old'), request('older', { authoredOn: '2025-01-01' })], noId);
    expect(Object.values(recs).filter((r) => r.history)).toHaveLength(2);
  });

  it('other draft orders are co-ordered active orders unless doNotPerform', () => {
    const tki = request('tki', { status: 'draft' });
    const refused = request('refused', { status: 'draft', doNotPerform: true });
    const recs = byRef([], DRAFT, [tki, refused]);
    expect(recs['MedicationRequest/tki']).toMatchObject({
      coOrdered: true,
      activeOrder: true,
      history: false,
    });
    expect(recs['MedicationRequest/refused']).toMatchObject({
      coOrdered: true,
      activeOrder: false,
    });
  });

  it('active and on-hold requests are active orders; stopped ones are not usable', () => {
    const recs = byRef([
      request('a', { status: 'active' }),
      request('h', { status: 'on-hold' }),
      request('s', { status: 'stopped' }),
    ]);
    expect(recs['MedicationRequest/a']).toMatchObject({ activeOrder: true, usableOrder: true });
    expect(recs['MedicationRequest/h']).toMatchObject({ activeOrder: true, usableOrder: true });
    expect(recs['MedicationRequest/s']).toMatchObject({ activeOrder: false, usableOrder: false });
  });

  it('reads drug codes from a contained or referenced Medication and its ingredients', () => {
    const med = {
      resourceType: 'Medication',
      id: 'm1',
      code: { text: 'VRd kit' },
      ingredient: [
        { itemCodeableConcept: drug('358258') },
        { itemCodeableConcept: drug('342369') },
      ],
    } as Resource;
    const referenced = request('ref', {
      medicationCodeableConcept: undefined,
      medicationReference: { reference: 'https://ehr.example/fhir/Medication/m1' },
    });
    const contained = request('cont', {
      medicationCodeableConcept: undefined,
      medicationReference: { reference: '#c' },
      contained: [{ resourceType: 'Medication', id: 'c', code: drug('1302966') }],
    });
    const recs = byRef([med, referenced, contained]);
    expect(recs['MedicationRequest/ref']?.codes).toEqual([`${RX}|358258`, `${RX}|342369`]);
    expect(recs['MedicationRequest/cont']?.codes).toEqual([`${RX}|1302966`]);
  });

  it('keeps only records whose codes can matter when a filter is given', () => {
    const recs = medicationRecords(
      bundle(request('a'), request('b', { medicationCodeableConcept: drug('1') })),
      DRAFT,
      [],
      NOW,
      (cs) => cs.includes(`${RX}|1`),
    );
    expect(recs.map((r) => r.ref)).toEqual(['MedicationRequest/b']);
  });
});
