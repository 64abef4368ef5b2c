/**
 * Benchmark requests shaped like the records EHRs send (issue 12): instead of padding a test
 * patient with look-alike resources (synthetic.ts), a whole treatment history, deterministic and
 * dated relative to `now`.
 *
 *   myeloma  a 64-year-old with myeloma in relapse after six years and five regimens (VRd then
 *            lenalidomide maintenance, Kd, DPd, KPd, DVd), years of labs, monthly ECOG.
 *   b-all    a 34-year-old with B-ALL in first remission on POMP maintenance, the Blincyto order
 *            based on the maintenance CarePlan; immunophenotyping reports (CD19 positive), MRD
 *            results over time (the latest below 0.1 %), prior chemotherapy, supportive CarePlans.
 *
 * Each prefetch key holds what its query in cards/service.json returns: ECOG and
 * immunophenotyping in `observations` (its code list), every laboratory result (immunophenotyping
 * again, as an EHR sends it) in `labObservations`, active CarePlans only. Codes come only from
 * cql/valuesets (their displays too), test/patients and synthetic.ts; drugs with no code there
 * (dexamethasone, daunorubicin, …) are ordered by text alone, as EHRs sometimes do. Laboratory
 * results fill the record up to `size` resources, counted as syntheticRequest counts them: the
 * clinical history alone is about 100 resources (250 to 370 from size 600 on, where every cycle
 * is ordered), so sizes below about 150 come out larger than asked.
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as F from 'fhir/r4';
import { REPO_ROOT } from '../../src/platform/paths';
import { readInput, readScenario, type Scenario, type ScenarioRequest } from '../scenarios';
import { BASE_SCENARIOS } from './synthetic';

/** The record sizes the benchmark runs realistic requests at. */
export const REALISTIC_SIZES = [200, 1000] as const;

type Res = F.FhirResource;
type CC = F.CodeableConcept;
type Obs = F.Observation;
type MR = F.MedicationRequest;
type Rec = { [key in 'cond' | 'mr' | 'ms' | 'ma' | 'obs' | 'lab' | 'plan']: Res[] };
const SUBJECT = { reference: 'Patient/pt-1' };
const DOCTOR = { reference: 'Practitioner/example', display: 'Dr. A. Okafor (oncology)' };
const BASE = 'https://fhir.example-hospital.org/R4/';
const HL7 = 'http://terminology.hl7.org/CodeSystem/';
const RX = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const LOINC = 'http://loinc.org';
const ICD = 'http://hl7.org/fhir/sid/icd-10-cm';
const SCT = 'http://snomed.info/sct';
const UCUM = 'http://unitsofmeasure.org';
const PERCENT = { unit: '%', system: UCUM, code: '%' };
const NOT_DETECTED = { valueString: 'MRD not detected' };
const LOCAL = 'http://lab.example-hospital.org/CodeSystem/local-test-codes';
const ORDER_SET = 'http://ehr.example-hospital.org/order-set';

/** Rows of `field|field…`, separated by ";". */
const rows = (table: string) => table.split(';').map((row) => row.split('|'));

/** The prefetch keys of cards/service.json, by the short names used here. */
const KEYS = rows(
  'cond|conditions;mr|medicationRequests;ms|medicationStatements;ma|medicationAdministrations;obs|observations;lab|labObservations;plan|carePlans',
);

/** Displays of the codes of cql/valuesets, by system|code. */
const DISPLAY = new Map<string, string>();
for (const f of fs.readdirSync(path.join(REPO_ROOT, 'cql/valuesets'))) {
  const vs = readInput(path.join(REPO_ROOT, 'cql/valuesets', f)) as F.ValueSet;
  for (const c of vs.expansion?.contains ?? []) DISPLAY.set(`${c.system}|${c.code}`, c.display!);
}

// Common labs (the LOINC codes of synthetic.ts): code|display|UCUM unit|low|high|mean|decimals.
const LABS = rows(
  '718-7|Hemoglobin [Mass/volume] in Blood|g/dL|12|15.5|11|1;6690-2|Leukocytes [#/volume] in Blood by Automated count|10*3/uL|4|11|4.6|1;777-3|Platelets [#/volume] in Blood by Automated count|10*3/uL|150|400|170|0;' +
    '2160-0|Creatinine [Mass/volume] in Serum or Plasma|mg/dL|0.5|1.1|1.05|2;1742-6|Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma|U/L|7|35|26|0;2951-2|Sodium [Moles/volume] in Serum or Plasma|mmol/L|136|145|139|0;' +
    '2823-3|Potassium [Moles/volume] in Serum or Plasma|mmol/L|3.5|5.1|4.2|1;17861-6|Calcium [Mass/volume] in Serum or Plasma|mg/dL|8.6|10.3|9.5|1;1975-2|Bilirubin.total [Mass/volume] in Serum or Plasma|mg/dL|0.1|1.2|0.6|1;' +
    '6768-6|Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma|U/L|40|129|90|0;2885-2|Protein [Mass/volume] in Serum or Plasma|g/dL|6|8.3|7.6|1;1751-7|Albumin [Mass/volume] in Serum or Plasma|g/dL|3.5|5|3.7|1',
);
/** Supportive-care drugs: the RxNorm codes of synthetic.ts, named only generically. */
const SUPPORT = '197591 313782 198211 310965 1049221 617312 349094 197361 866924 308136';
// Comorbidities (the ICD-10-CM codes of synthetic.ts); the last seven are the B-ALL patient's.
const COMORBIDITIES = rows(
  'E11.9|Type 2 diabetes mellitus without complications;N18.3|Chronic kidney disease, stage 3;M81.0|Age-related osteoporosis without current pathological fracture;I10|Essential (primary) hypertension;D64.9|Anemia, unspecified;' +
    'E78.5|Hyperlipidemia, unspecified;K21.9|Gastro-esophageal reflux disease without esophagitis;G62.9|Polyneuropathy, unspecified;F41.1|Generalized anxiety disorder;R53.83|Other fatigue',
);

/** A deterministic spread 0..n-1 of index i (Knuth's multiplicative hash). */
const spread = (i: number, n: number, salt = 0) =>
  (Math.imul(i * 31 + salt * 7919 + 17, 2654435761) >>> 0) % n;
const pick = <T>(list: readonly T[], i: number): T => list[i % list.length] as T;
const support = (i: number) => pick(SUPPORT.split(' '), i);
/** The instant `days` (≥ 1) days before now's UTC day at a fixed UTC time of day. */
const at = (now: Date, days: number, hour = 9, min = 0) =>
  new Date((Math.floor(+now / 864e5) - days) * 864e5 + (hour * 60 + min) * 6e4).toISOString();
const day = (now: Date, days: number) => at(now, days).slice(0, 10);
const coding = (system: string, code: string, display = DISPLAY.get(`${system}|${code}`)) =>
  display ? { system, code, display } : { system, code };
const cc = (system: string, code: string, text?: string): CC =>
  text ? { coding: [coding(system, code)], text } : { coding: [coding(system, code)] };
const rx = (code: string, text?: string) => cc(RX, code, text);
const bare = (code: string, text: string) => ({ coding: [{ system: RX, code }], text });
const dose = (text: string) => ({ dosageInstruction: [{ text }] });
const LAB = [cc(`${HL7}observation-category`, 'laboratory', 'Laboratory')];
const FLAGS = `${HL7}v3-ObservationInterpretation`;

type Options = { status?: string; ver?: string; onset: number; abated?: number; text?: string };
function condition(now: Date, id: string, coding: F.Coding[], o: Options): Res {
  const clinical = o.status ? { clinicalStatus: cc(`${HL7}condition-clinical`, o.status) } : {};
  const verificationStatus = cc(`${HL7}condition-ver-status`, o.ver ?? 'confirmed');
  const category = [cc(`${HL7}condition-category`, 'problem-list-item', 'Problem List Item')];
  const dates = { onsetDateTime: at(now, o.onset, 10), recordedDate: at(now, o.onset - 2, 14) };
  const abated = o.abated ? { abatementDateTime: at(now, o.abated, 10) } : {};
  const head = { resourceType: 'Condition' as const, id, subject: SUBJECT, ...clinical };
  const code = { coding, text: o.text ?? coding[0]?.display ?? '' };
  return { ...head, verificationStatus, category, code, ...dates, ...abated, recorder: DOCTOR };
}

/** Comorbidities: codes repeated over the years, some resolved, one refuted, one in error. */
function comorbidities(now: Date, count: number, codes: string[][], span: number): Res[] {
  return Array.from({ length: count }, (_, i) => {
    const [code = '', display] = pick(codes, i);
    const onset = 60 + spread(i, span - 60, 1);
    const abated = i % 4 === 3 ? Math.max(1, onset - 30 - spread(i, 200, 2)) : 0;
    const ver = i % 11 === 7 ? 'refuted' : i % 13 === 9 ? 'entered-in-error' : 'confirmed';
    const status = ver === 'entered-in-error' ? '' : abated ? 'resolved' : 'active';
    const icd = [coding(ICD, code, display)];
    return condition(now, `cond-${i + 1}`, icd, { status, ver, onset, abated });
  });
}

const OBS = { resourceType: 'Observation', status: 'final', subject: SUBJECT } as const;
const obs = (id: string, code: CC, rest: Partial<Obs>, category = LAB): Obs => {
  return { ...OBS, id, category, code, ...rest };
};

/** `count` lab results, twelve tests a draw date (one specimen for the CBC, one for chemistry). */
function labs(now: Date, count: number, every: number): Obs[] {
  return Array.from({ length: count }, (_, i) => {
    const [code = '', display = '', unit = '', ...range] = LABS[i % 12]!;
    const [low = 0, high = 0, mean = 0, dp = 0] = range.map(Number);
    const [draw, days] = [Math.floor(i / 12), 3 + Math.floor(i / 12) * every];
    const value = Number((mean * (1 + (spread(i, 41, 3) - 20) / 67)).toFixed(dp));
    const q = (value: number) => ({ value, unit, system: UCUM, code: unit });
    const flag = value < low ? 'L' : value > high ? 'H' : '';
    const flagged = flag ? { interpretation: [cc(FLAGS, flag)] } : {};
    const ranged = dp > 0 || draw % 2 ? { referenceRange: [{ low: q(low), high: q(high) }] } : {};
    const test = { coding: [coding(LOINC, code, display)], text: display.split(' [')[0] };
    const drawn = at(now, days, 7, i % 12 < 3 ? 5 : 20);
    const rest = { effectiveDateTime: drawn, issued: at(now, days), valueQuantity: q(value) };
    return obs(`lab-${days}d-${code}`, test, { ...rest, ...flagged, ...ranged });
  });
}

/** Monthly ECOG, the latest `first` days ago scored 1; mostly 1, some 0 and 2. */
function ecogs(now: Date, months: number, first: number): Obs[] {
  const survey = [cc(`${HL7}observation-category`, 'survey', 'Survey')];
  return Array.from({ length: months }, (_, m) => {
    const score = m === 0 ? 1 : [2, 2, 0, 0, 1, 1, 1, 1, 1, 1][spread(m, 10, 4)]!;
    const answer = cc(LOINC, ['LA9622-7', 'LA9623-5', 'LA9624-3'][score]!, `ECOG ${score}`);
    const value = m % 3 === 2 ? { valueCodeableConcept: answer } : { valueInteger: score };
    const when = { effectiveDateTime: at(now, first + m * 30, 10, 30), performer: [DOCTOR] };
    return obs(`ecog-${m + 1}`, cc(LOINC, '89247-1'), { ...when, ...value }, survey);
  });
}

const ORDER = { resourceType: 'MedicationRequest', intent: 'order', subject: SUBJECT } as const;
function order(now: Date, id: string, days: number, drug: CC, extra: Partial<MR> = {}): MR {
  const when = { authoredOn: at(now, days, 14, 45), requester: DOCTOR };
  return { ...ORDER, id, status: 'completed', medicationCodeableConcept: drug, ...when, ...extra };
}

/** The administration of an order (an infusion day), `days` days ago. */
function given(now: Date, mr: string, days: number, drug: CC, text: string, suffix = ''): Res {
  const effectivePeriod = { start: at(now, days, 10), end: at(now, days, 11, 30) };
  const refs = { subject: SUBJECT, request: { reference: `MedicationRequest/${mr}` } };
  const dosage = { text, route: { text: / SC /.test(text) ? 'subcutaneous' : 'intravenous' } };
  const given = { status: 'completed', medicationCodeableConcept: drug, effectivePeriod, dosage };
  const id = `ma-${mr}${suffix}`;
  return { resourceType: 'MedicationAdministration', id, ...refs, ...given } as Res;
}

/** Supportive-care orders over `span` days. */
function supportive(now: Date, rec: Rec, orders: number, span: number) {
  for (let i = 0; i < orders; i++) {
    const days = 2 + spread(i, span, 5);
    const status = days < 120 && i % 3 === 0 ? 'active' : i % 7 === 5 ? 'stopped' : 'completed';
    rec.mr.push(order(now, `sup-${i + 1}`, days, rx(support(i), 'supportive care'), { status }));
  }
}

const MATCH = { mode: 'match' } as const;
function searchset(resources: Res[]): F.Bundle {
  const entry = resources.map((resource) => {
    return { fullUrl: `${BASE}${resource.resourceType}/${resource.id}`, resource, search: MATCH };
  });
  return { resourceType: 'Bundle', type: 'searchset', total: entry.length, entry };
}

// ---------- myeloma: relapsed after five regimens (the Elrexfio policy) ----------

// key|agent|order text|RxNorm codes (ingredient or product: the orders cycle through them)|dosage
const AGENTS = rows(
  'V|bortezomib|bortezomib 3.5 mg vial|402243,358258,402244|1.3 mg/m2 SC days 1, 8, 15, 22;R|lenalidomide|lenalidomide 25 mg capsule|643720,337535,342369|25 mg PO days 1-21;Rm|lenalidomide|lenalidomide 10 mg capsule|602910,337535|10 mg PO days 1-21 (maintenance);' +
    'K|carfilzomib|carfilzomib 60 mg vial|1806940,1302966,1302971|56 mg/m2 IV days 1, 8, 15;D|daratumumab|daratumumab 400 mg/20 mL vial|1726439,1721947,1721951|16 mg/kg IV days 1, 15;Dsc|daratumumab|daratumumab-hyaluronidase 1,800 mg/15 mL|2375136|1,800 mg SC days 1, 15;' +
    'P|pomalidomide|pomalidomide 4 mg capsule|1369718,1369713|4 mg PO days 1-21',
);
// key|agents|start (days ago)|cycles|re-ordered every … days (84: three cycles an order)|cycles
// ordered as an order set|the last order's status; "small,large" where the sizes differ.
const REGIMENS = rows(
  'VRd|V,R|2190|3,4|28|0,1|completed;R-maint|Rm|2078|6,19|84,28||stopped;Kd|K|1480|4,6|28|1,3,5|stopped;' +
    'DPd|D,P|1250|3,10|84,28|0,2,4,6,8|stopped;KPd|K,P|900|3,8|84,28|0,1,2,3,4,5,6,7|stopped;DVd|Dsc,V|216,300|3,10|84,28|0|active',
);

/** Orders per cycle (some in order sets), infusion-day administrations, dexamethasone by text. */
function myelomaHistory(now: Date, rec: Rec, large: boolean): void {
  const n = (field = '') => Number(field.split(',')[large ? 1 : 0] ?? field);
  let v = 0;
  for (const [key = '', agents = '', start, cycles, every, sets = '', last] of REGIMENS) {
    for (let c = 0; c < n(cycles); c++) {
      const [days, prefix] = [n(start) - c * n(every), `${key.toLowerCase()}-c${c + 1}`];
      const status = (c === n(cycles) - 1 ? last : 'completed') as MR['status'];
      const set = { system: ORDER_SET, value: `OS-${key}-C${c + 1}-${4100 + spread(c, 900)}` };
      const grouped = sets.split(',').includes(`${c}`);
      const reasonReference = [{ reference: `Condition/${days > 1490 ? 'mm-dx' : 'mm-1'}` }];
      const extra = { status, reasonReference, ...(grouped ? { groupIdentifier: set } : {}) };
      for (const agent of agents.split(',').map((a) => AGENTS.find(([k]) => k === a)!)) {
        const [, name = '', label = '', codes = '', text = ''] = agent;
        // Ingredient or product codes in three shapes: code; code and text; code without display.
        const code = pick(codes.split(','), v);
        const shapes = [cc(RX, code), rx(code, label), bare(code, label)];
        const [id, cycle] = [`${prefix}-${name}`, dose(`${name} ${text} (${key} C${c + 1})`)];
        rec.mr.push(order(now, id, days, pick(shapes, v++), { ...extra, ...cycle }));
        // Infusion day 1 (and 15) of a cycle; bortezomib and carfilzomib only in a large record.
        if (/ PO /.test(text) || !(large || name === 'daratumumab')) continue;
        for (const d of large ? [0, 14] : [0])
          if (days > d) rec.ma.push(given(now, id, days - d, cc(RX, code), text, `-d${d + 1}`));
      }
      // Dexamethasone has no code in the value sets: ordered by text alone, with the order sets.
      const dex = { text: 'dexamethasone 40 mg PO weekly' };
      if (grouped) rec.mr.push(order(now, `${prefix}-dexamethasone`, days, dex, extra));
    }
  }
}

const empty = (): Rec => ({ cond: [], mr: [], ms: [], ma: [], obs: [], lab: [], plan: [] });

function elrexfioRecord(now: Date, large: boolean): Rec {
  const rec = empty();
  const mm = (code: string) => [coding(ICD, code), coding(SCT, '109989006')];
  const dx = { status: 'resolved', onset: 2200, abated: 2000, text: 'IgG kappa myeloma' };
  rec.cond.push(condition(now, 'mm-dx', mm('C90.00'), dx));
  rec.cond.push(condition(now, 'mm-cr', mm('C90.01'), { ...dx, onset: 2000, abated: 1490 }));
  rec.cond.push(condition(now, 'mm-1', mm('C90.02'), { status: 'relapse', onset: 1490 }));
  rec.cond.push(...comorbidities(now, large ? 42 : 17, COMORBIDITIES, 2400));
  myelomaHistory(now, rec, large);
  supportive(now, rec, large ? 45 : 4, 2100);
  rec.obs.push(...ecogs(now, large ? 72 : 24, 6));
  return rec;
}

// ---------- b-all: in first remission on POMP maintenance (the Blincyto policy) ----------

// phase|days ago|RxNorm code (none: ordered by text alone)|order text
const PRIOR_CHEMOTHERAPY = rows(
  'ind|760|11202|vinCRIStine 1.4 mg/m2 IV days 1, 8, 15, 22;ind|760|8640|predniSONE 60 mg/m2 PO;ind|760||DAUNOrubicin 25 mg/m2 IV days 1, 8, 15, 22;ind|760||pegaspargase 2,500 IU/m2 IV;ind|760|6851|methotrexate 15 mg intrathecal;cons|700|3002|cyclophosphamide 1,000 mg/m2 IV;' +
    'cons|700||cytarabine 75 mg/m2 IV days 1-4, 8-11;cons|700|103|mercaptopurine 60 mg/m2 PO;cons|700|11202|vinCRIStine 1.5 mg/m2 IV days 15, 22;im|600|6851|methotrexate 100 mg/m2 IV;im|600|11202|vinCRIStine 1.5 mg/m2 IV every 10 days;im|600||pegaspargase 2,500 IU/m2 IV;' +
    'di|540||DOXOrubicin 25 mg/m2 IV days 1, 8, 15;di|540||dexamethasone 10 mg/m2 PO days 1-7;di|540|11202|vinCRIStine 1.5 mg/m2 IV days 1, 8, 15;di|540|3002|cyclophosphamide 1,000 mg/m2',
);
// name|RxNorm code|order text: POMP, the maintenance plan's drugs.
const POMP = rows(
  'prednisone|8640|predniSONE 40 mg/m2 PO days 1-5 every 4 weeks;vincristine|11202|vinCRIStine 1.4 mg/m2 (max 2 mg) IV day 1 every 4 weeks;' +
    'methotrexate|6851|methotrexate 20 mg/m2 PO weekly;mercaptopurine|103|mercaptopurine 50 mg/m2 PO',
);

/** Induction to delayed intensification (completed), then POMP cycles since 480 days ago. */
function chemotherapy(now: Date, rec: Rec, large: boolean): void {
  PRIOR_CHEMOTHERAPY.forEach(([phase = '', start = '', code = '', text = ''], i) => {
    const [id, days] = [`${phase}-${i + 1}`, Number(start) - (i % 3) * 7];
    const set = { system: ORDER_SET, value: `OS-ALL-${phase.toUpperCase()}-${start}` };
    const extra = { ...dose(text), ...(i % 5 < 3 ? { groupIdentifier: set } : {}) };
    rec.mr.push(order(now, id, days, code ? rx(code) : { text }, extra));
    if (code === '11202' || code === '3002') rec.ma.push(given(now, id, days, rx(code), text));
  });
  const every = large ? 28 : 84;
  const cycles = Math.floor(460 / every) + 1;
  for (let c = 0; c < cycles; c++) {
    const status: MR['status'] = c === cycles - 1 ? 'active' : 'completed';
    const set = { system: ORDER_SET, value: `POMP-C${c + 1}-${1180 + spread(c, 800)}` };
    for (const [name = '', code = '', text = ''] of POMP) {
      const id = `pomp-c${c + 1}-${name}`;
      const drug = c % 3 === 1 ? bare(code, text) : rx(code, text);
      const grouped = c % 2 === 0 && name !== 'mercaptopurine' ? { groupIdentifier: set } : {};
      rec.mr.push(order(now, id, 480 - c * every, drug, { status, ...dose(text), ...grouped }));
      if (name === 'vincristine') rec.ma.push(given(now, id, 480 - c * every, rx(code), text));
    }
  }
}

// Immunophenotyping reports (LOINC 101119-6): id|days ago|report.
const IMMUNOPHENOTYPING = [
  'dx|760|Diagnostic bone marrow, 10-color flow cytometry: abnormal B-lymphoblasts (82% of total cells) positive for CD19, CD10, CD34, CD22, CD79a, TdT and HLA-DR. Negative for CD3, CD7, CD13, CD33, CD117 and MPO. Immunophenotype consistent with B-lymphoblastic leukemia.',
  'd29|732|Day 29 bone marrow, 8-color flow cytometry (1,000,000 events acquired). Residual abnormal B-lymphoblasts (CD19+, CD10+, CD34+) detected. MRD 0.45% of total leukocytes.',
  'eoc|640|End of consolidation bone marrow, 8-color flow cytometry: no abnormal lymphoblast population identified. MRD negative.',
].map((row) => row.split('|'));

/** Immunophenotyping reports (CD19 positive at diagnosis and on day 29) and MRD results since. */
function leukemiaResults(now: Date, rec: Rec, large: boolean): void {
  const report = (id: string, days: number, code: CC, value: Partial<Obs>, hour = 10) => {
    const when = { effectiveDateTime: at(now, days, hour), issued: at(now, days - 2, 17) };
    return obs(id, code, { ...when, specimen: { display: 'Bone marrow aspirate' }, ...value });
  };
  const immuno = cc(LOINC, '101119-6', 'Flow cytometry immunophenotyping, bone marrow');
  const reports = IMMUNOPHENOTYPING.map(([id, days, valueString]) => {
    return report(`immuno-${id}`, Number(days), immuno, { valueString });
  });
  const flow = cc(LOCAL, 'MRDFC', 'B-ALL MRD by flow cytometry, bone marrow');
  const ngs = cc(LOCAL, 'MRDNGS', 'B-ALL MRD by NGS (IG/TR), bone marrow');
  const percent = (value: number, more = {}) => ({ valueQuantity: { ...more, value, ...PERCENT } });
  const mrd = [report('mrd-d29', 732, flow, percent(0.45), 14)];
  for (let k = 0, days = 600; days >= 20; k++, days -= large ? 45 : 120)
    if (k % 3 === 2) mrd.push(report(`mrd-ngs-${k + 1}`, days, ngs, NOT_DETECTED));
    else mrd.push(report(`mrd-flow-${k + 1}`, days, flow, percent(0.01, { comparator: '<' })));
  rec.lab.push(...reports, ...mrd);
  // The observations query returns immunophenotyping (its code list) too, and ECOG.
  rec.obs.push(...reports, ...ecogs(now, large ? 24 : 8, 12));
}

/** Supportive CarePlans besides the maintenance plan. */
const SUPPORTIVE_PLANS = 'Infection prophylaxis;Transfusion;Survivorship;Bone health;Neuropathy';
const CARE = { text: 'Supportive care' };

function carePlans(now: Date, large: boolean): Res[] {
  const head = { resourceType: 'CarePlan', status: 'active', intent: 'plan', subject: SUBJECT };
  const plan = (id: string, title: string, days: number, kind: CC, activity: object[]) => {
    return { ...head, id, category: [kind], title, period: { start: day(now, days) }, activity };
  };
  const doing = { status: 'in-progress' };
  const does = (code: string) => ({ detail: { ...doing, productCodeableConcept: rx(code) } });
  const maintenance = cc('http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl', 'C15688');
  const blina = { detail: { status: 'scheduled', description: 'Blinatumomab 28 mcg/day x28' } };
  const pomp = [...POMP.map(([, code = '']) => does(code)), blina];
  const title = 'Blinatumomab alternating with POMP maintenance';
  const names = SUPPORTIVE_PLANS.split(';').slice(0, large ? 5 : 2);
  const others = names.map((t, i) => plan(`cp-${i + 1}`, t, 470 - i, CARE, [does(support(i))]));
  return [plan('cp-maint', title, 480, maintenance, pomp), ...others] as Res[];
}

function blincytoRecord(now: Date, large: boolean): Rec {
  const rec = empty();
  const dx = { status: 'resolved', onset: 762, abated: 730, text: 'B-ALL, Ph-negative' };
  const cr1 = { status: 'remission', onset: 730, text: 'B-ALL in first complete remission' };
  rec.cond.push(condition(now, 'all-dx', [coding(ICD, 'C91.00')], dx));
  rec.cond.push(condition(now, 'all-1', [coding(ICD, 'C91.01'), coding(SCT, '277571004')], cr1));
  rec.cond.push(...comorbidities(now, large ? 40 : 18, COMORBIDITIES.slice(3), 800));
  chemotherapy(now, rec, large);
  supportive(now, rec, large ? 60 : 5, 760);
  leukemiaResults(now, rec, large);
  rec.plan.push(...carePlans(now, large));
  return rec;
}

// ---------- the request ----------

type Policy = string;
type Built = { request: ScenarioRequest; expected: Scenario['expected']; resources: number };
/**
 * An order-sign request for a policy (the base scenario's hook and draft order) whose prefetch
 * holds about `size` resources shaped like an EHR's record of that patient: criteria-met.
 */
export function realisticRequest(policy: Policy, size: 200 | 1000 | number, now: Date): Built {
  const base = BASE_SCENARIOS[policy];
  if (!base) throw new Error(`no realistic record for ${policy}`);
  const { scenario: file, expected: statuses } = base;
  const { hook, hookInstance, context } = readScenario(path.join(REPO_ROOT, file), now).request;
  const [large, elrexfio] = [size >= 600, base.record === 'myeloma'];
  const rec = elrexfio ? elrexfioRecord(now, large) : blincytoRecord(now, large);
  const birthDate = day(now, Math.round((elrexfio ? 64 : 34) * 365.25) + 100);
  const patient = { resourceType: 'Patient', id: 'pt-1', gender: 'female', birthDate };
  const insurer = { beneficiary: SUBJECT, payor: [{ display: 'Example Health Plan' }] };
  const coverage = { resourceType: 'Coverage', id: 'cov-1', status: 'active', ...insurer } as Res;
  const count = () => 2 + Object.values(rec).reduce((n, list) => n + list.length, 0);
  // Laboratory results fill the record up to `size`: twelve tests a draw date.
  rec.lab.push(...labs(now, Math.max(48, size - count()), large ? 36 : 28));
  const bundles = KEYS.map(([k = '', key = '']) => [key, searchset(rec[k as keyof Rec])]);
  const prefetch = { patient, ...Object.fromEntries(bundles), coverage: searchset([coverage]) };
  const request = { hook, hookInstance, context: structuredClone(context), prefetch };
  const criteria = Object.fromEntries(rows(statuses)) as Scenario['expected']['criteria'];
  return { request, expected: { policy, outcome: 'criteria-met', criteria }, resources: count() };
}
