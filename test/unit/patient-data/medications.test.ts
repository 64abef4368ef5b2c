import type { Medication, MedicationRequest } from 'fhir/r4';
import nock from 'nock';
import { FhirSession } from '../../../src/patient-data/fhir-session';
import {
  findReferencedMedications,
  resolveReferencedMedications,
  serverMedicationId,
} from '../../../src/patient-data/medications';
import { fhirOptionsFor, unmatchedRequests } from '../../support';

/**
 * Rule 10: where a draft order's medicationReference is looked for: the draftOrders Bundle, the
 * prefetch (searchset entries, _include'd ones too), else the request's FHIR server (with the
 * token, only when allowed); a Medication found nowhere is left out.
 */
const FHIR = 'https://ehr.example.org/fhir';
const TOKEN = 'med-token-8c1f';
const OPTIONS = fhirOptionsFor(FHIR);

const order = (reference: string): MedicationRequest => ({
  resourceType: 'MedicationRequest',
  status: 'draft',
  intent: 'order',
  subject: { reference: 'Patient/pt-1' },
  medicationReference: { reference },
});
const med = (id: string, text = id): Medication => ({
  resourceType: 'Medication',
  id,
  code: { text },
});
const bundle = (entry: unknown[]) => ({ resourceType: 'Bundle', type: 'collection', entry });

const unmatched = unmatchedRequests();

describe('findReferencedMedications', () => {
  it('finds a Medication by type and id, by an absolute URL, by fullUrl, and ignores a version', () => {
    const byId = order('Medication/m1');
    const byUrl = order('https://ehr.example.org/fhir/Medication/m2');
    const byFullUrl = order('urn:uuid:5b0e6c1e-0000-4000-8000-000000000003');
    const versioned = order('Medication/m1/_history/4');
    const found = findReferencedMedications(
      [byId, byUrl, byFullUrl, versioned],
      [
        bundle([
          { resource: med('m1') },
          { resource: med('m2') },
          { fullUrl: 'urn:uuid:5b0e6c1e-0000-4000-8000-000000000003', resource: med('m3') },
        ]),
      ],
    );
    expect(found.get(byId)?.id).toBe('m1');
    expect(found.get(byUrl)?.id).toBe('m2');
    expect(found.get(byFullUrl)?.id).toBe('m3');
    expect(found.get(versioned)?.id).toBe('m1');
  });

  it('finds an _include entry of a prefetch searchset and a single prefetch resource', () => {
    const a = order('Medication/inc');
    const b = order('Medication/single');
    const prefetchSearchset = {
      resourceType: 'Bundle',
      type: 'searchset',
      entry: [
        { resource: { resourceType: 'MedicationRequest', id: 'h1' }, search: { mode: 'match' } },
        { resource: med('inc'), search: { mode: 'include' } },
      ],
    };
    const found = findReferencedMedications([a, b], [prefetchSearchset, med('single'), null]);
    expect(found.get(a)?.id).toBe('inc');
    expect(found.get(b)?.id).toBe('single');
  });

  it('takes the draftOrders over the prefetch (the first source wins)', () => {
    const o = order('Medication/m1');
    const found = findReferencedMedications(
      [o],
      [
        bundle([{ resource: med('m1', 'from drafts') }]),
        bundle([{ resource: med('m1', 'later') }]),
      ],
    );
    expect(found.get(o)?.code?.text).toBe('from drafts');
  });

  it('leaves out contained references, other resource types and what is not there', () => {
    const contained = order('#m1');
    const wrongType = order('Substance/m1');
    const absent = order('Medication/nope');
    const found = findReferencedMedications(
      [contained, wrongType, absent],
      [bundle([{ resource: med('m1') }, { resource: { resourceType: 'Substance', id: 'm1' } }])],
    );
    expect(found.size).toBe(0);
  });
});

describe('serverMedicationId', () => {
  it.each([
    ['Medication/m1', 'm1'],
    ['Medication/m1/_history/2', 'm1'],
    [`${FHIR}/Medication/m-2.x`, 'm-2.x'],
    ['https://EHR.example.org:443/fhir/Medication/m3', 'm3'],
  ])('reads %s as Medication/%s', (ref, id) => {
    expect(serverMedicationId(ref, FHIR)).toBe(id);
  });

  it.each([
    [
      'another host that starts with the server host',
      'https://ehr.example.org.evil.net/fhir/Medication/m1',
    ],
    ['another path on the same host', 'https://ehr.example.org/other/Medication/m1'],
    [
      'a path that leaves the server once resolved',
      'https://ehr.example.org/fhir/../x/Medication/m1',
    ],
    ['credentials in the URL', 'https://u:p@ehr.example.org/fhir/Medication/m1'],
    ['a urn', 'urn:uuid:5b0e6c1e-0000-4000-8000-000000000003'],
    ['another type', 'Substance/m1'],
    ['an id that is not a FHIR id', 'Medication/a%2F..%2Fb'],
    ['a query', 'Medication?code=x'],
  ])('reads nothing from %s', (_why, ref) => {
    expect(serverMedicationId(ref, FHIR)).toBeUndefined();
  });
});

describe('resolveReferencedMedications', () => {
  const session = (server = FHIR, options = OPTIONS) => new FhirSession(server, TOKEN, options);

  it('reads a Medication missing from the request off the FHIR server, with the token, once per id', async () => {
    const a = order('Medication/srv-1');
    const b = order(`${FHIR}/Medication/srv-1`);
    const scope = nock(FHIR, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
      .get('/Medication/srv-1')
      .once()
      .reply(200, med('srv-1', 'blinatumomab'));
    const found = await resolveReferencedMedications([a, b], [], session());
    expect(scope.isDone()).toBe(true);
    expect(found.get(a)?.code?.text).toBe('blinatumomab');
    expect(found.get(b)).toBe(found.get(a));
    expect(unmatched).toEqual([]);
  });

  it('asks the server nothing for what the request holds', async () => {
    const o = order('Medication/m1');
    const found = await resolveReferencedMedications(
      [o],
      [bundle([{ resource: med('m1') }])],
      session(),
    );
    expect(found.get(o)?.id).toBe('m1');
    expect(unmatched).toEqual([]);
  });

  it('leaves out a Medication the server does not have (404), or answers with another id', async () => {
    const gone = order('Medication/gone');
    const swapped = order('Medication/asked');
    nock(FHIR)
      .get('/Medication/gone')
      .reply(404, { resourceType: 'OperationOutcome' })
      .get('/Medication/asked')
      .reply(200, med('other'));
    const found = await resolveReferencedMedications([gone, swapped], [], session());
    expect(found.size).toBe(0);
  });

  it('is a 412 when the server fails otherwise', async () => {
    nock(FHIR).get('/Medication/m1').reply(503);
    await expect(
      resolveReferencedMedications([order('Medication/m1')], [], session()),
    ).rejects.toMatchObject({
      status: 412,
      message: expect.stringMatching(/^Medication\/m1: .*503/),
    });
  });

  it('calls no server that configuration does not allow, and no host but the server', async () => {
    const disallowed = new FhirSession('https://ehr.example.org.evil.net/fhir', TOKEN, OPTIONS);
    const found = await resolveReferencedMedications([order('Medication/m1')], [], disallowed);
    expect(found.size).toBe(0);
    const elsewhere = order('https://ehr.example.org.evil.net/fhir/Medication/m1');
    expect((await resolveReferencedMedications([elsewhere], [], session())).size).toBe(0);
    expect(unmatched).toEqual([]);
  });

  it('counts what it reads against FHIR_MAX_RESOURCES', async () => {
    nock(FHIR).get('/Medication/a').reply(200, med('a')).get('/Medication/b').reply(200, med('b'));
    const tight = session(FHIR, { ...OPTIONS, maxResources: 1 });
    await expect(
      resolveReferencedMedications([order('Medication/a'), order('Medication/b')], [], tight),
    ).rejects.toMatchObject({ status: 412, message: expect.stringMatching(/FHIR_MAX_RESOURCES/) });
  });
});
