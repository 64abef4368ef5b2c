import type {
  Bundle,
  CarePlan,
  CodeableConcept,
  MedicationRequest,
  Observation,
  Quantity,
  Resource,
} from 'fhir/r4';
import {
  namesMarkerAlone,
  readMarker,
  readMrd,
  readRegimen,
  readResult,
  type MarkerSpec,
  type MrdReading,
  type TextReading,
} from '../reading/text';
import type { Reading, ReadingTopic } from './types';

/*
 * Data rules v2 for text (rules 5 and 6; cql/README.md "How text is read"): which Observations
 * speak about a topic, and what they state. A test dedicated to the topic (coded in its value
 * sets, a gene-studied component naming it, or code text naming it and no other marker) is a
 * result whatever it says: unreadable gives "ambiguous". A report (e.g. immunophenotyping) is a
 * result only when its text states something about the topic. When the value and the note
 * disagree the result is ambiguous. The CQL decides which result is the latest and what it means.
 */

/** A topic compiled once per policy: its marker spec and the codes of its dedicated tests. */
export interface CompiledTopic {
  name: string;
  topic: ReadingTopic;
  marker: MarkerSpec;
  tests: Set<string>;
  reports: Set<string>;
  /**
   * Whether a test code (its codings and its words) is dedicated to the topic, kept across
   * evaluations: a record repeats a dozen lab codes hundreds of times. Bounded.
   */
  dedicatedCodes: Map<string, boolean>;
}

/** The most test codes a topic remembers before it starts afresh. */
const MAX_REMEMBERED_CODES = 5_000;

export function compileTopic(
  name: string,
  topic: ReadingTopic,
  codesOf: (valueSet: string) => string[],
): CompiledTopic {
  return {
    name,
    topic,
    marker: { name, aliases: topic.aliases, kind: topic.kind === 'mrd' ? 'antigen' : topic.kind },
    tests: new Set((topic.tests ?? []).flatMap(codesOf)),
    reports: new Set(topic.reports ?? []),
    dedicatedCodes: new Map(),
  };
}

const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');

function keys(c: CodeableConcept | undefined): string[] {
  return (Array.isArray(c?.coding) ? c.coding : []).flatMap((x) =>
    x && typeof x.system === 'string' && typeof x.code === 'string'
      ? [`${x.system}|${x.code}`]
      : [],
  );
}

function words(c: CodeableConcept | undefined): string {
  if (!c) return '';
  const parts = [
    text(c.text),
    ...(Array.isArray(c.coding) ? c.coding : []).map((x) => text(x?.display)),
  ];
  return [...new Set(parts.filter((p) => p !== ''))].join('; ');
}

/** The instant a result applies to; a date alone is that day's start (UTC). */
export function instantOf(value: string | undefined): string | null {
  if (typeof value !== 'string') return null;
  if (/^\d{4}(-\d{2}){0,2}$/.test(value)) {
    const [y, m = '01', d = '01'] = value.split('-');
    return `${y}-${m}-${d}T00:00:00.000Z`;
  }
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

function whenOf(o: Observation): string | null {
  return instantOf(
    o.effectiveDateTime ?? o.effectivePeriod?.start ?? o.effectiveInstant ?? o.issued,
  );
}

/** The result text of an Observation: its value (string or concept), interpretation and component values. */
function valueText(o: Observation, skip: string | undefined): string {
  const parts = [
    text(o.valueString),
    words(o.valueCodeableConcept),
    ...(Array.isArray(o.interpretation) ? o.interpretation : []).map(words),
    ...(Array.isArray(o.component) ? o.component : [])
      .filter((k) => !skip || !keys(k.code).includes(skip))
      .flatMap((k) => [text(k.valueString), words(k.valueCodeableConcept)]),
  ];
  return parts.filter((p) => p !== '').join('\n');
}

function noteText(o: Observation): string {
  return (Array.isArray(o.note) ? o.note : [])
    .map((n) => text(n?.text))
    .filter(Boolean)
    .join('\n');
}

/** An Observation's code, read once for every topic. */
interface CodeOf {
  keys: string[];
  words: string;
  /** keys and words as one string, to remember decisions by. */
  id: string;
}

/** Codes read before, by their JSON: a record repeats a dozen lab codes hundreds of times. */
const readCodes = new Map<string, CodeOf>();

/** Only codes this short are remembered (a test code is a few hundred characters at most). */
const MAX_REMEMBERED_CODE_LENGTH = 2_000;

function codeOf(o: Observation): CodeOf {
  const json = JSON.stringify(o.code ?? null);
  let code = readCodes.get(json);
  if (!code) {
    const k = keys(o.code);
    const w = words(o.code);
    code = { keys: k, words: w, id: `${k.join('\u0001')}\u0000${w}` };
    // Bounded in count and in size: a record's odd, long code text is read, never kept.
    if (json.length <= MAX_REMEMBERED_CODE_LENGTH) {
      if (readCodes.size >= MAX_REMEMBERED_CODES) readCodes.clear();
      readCodes.set(json, code);
    }
  }
  return code;
}

/** Whether a test's code alone makes it dedicated to the topic (remembered per code). */
function dedicatedByCode(code: CodeOf, t: CompiledTopic): boolean {
  let v = t.dedicatedCodes.get(code.id);
  if (v === undefined) {
    v = code.keys.some((k) => t.tests.has(k))
      ? true
      : // An MRD test is one whose code names MRD (its name often lists the genes it sequences).
        t.topic.kind === 'mrd'
        ? readMrdMention(code.words, t.topic.aliases)
        : namesMarkerAlone(code.words, t.marker);
    if (code.id.length <= MAX_REMEMBERED_CODE_LENGTH) {
      if (t.dedicatedCodes.size >= MAX_REMEMBERED_CODES) t.dedicatedCodes.clear();
      t.dedicatedCodes.set(code.id, v);
    }
  }
  return v;
}

function isDedicated(o: Observation, code: CodeOf, t: CompiledTopic): boolean {
  if (code.keys.some((k) => t.tests.has(k))) return true;
  const gene = t.topic.geneStudied;
  if (gene && Array.isArray(o.component))
    for (const k of o.component)
      if (keys(k.code).includes(gene)) {
        const named = `${words(k.valueCodeableConcept)}\n${text(k.valueString)}`;
        if (readMarker(named, t.marker) !== undefined || namesMarkerAlone(named, t.marker))
          return true;
      }
  return dedicatedByCode(code, t);
}

const mentions = new Map<string, RegExp>();

/** Whether the text names one of the aliases as a word (case-insensitive). */
function readMrdMention(body: string, aliases: string[]): boolean {
  const key = aliases.join('\u0000');
  let re = mentions.get(key);
  if (!re) {
    const alt = aliases.map((a) => a.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
    re = new RegExp(`(?:^|[^a-z0-9])(?:${alt})(?![a-z0-9])`, 'i');
    mentions.set(key, re);
  }
  return re.test(body);
}

const agree = (a: TextReading, b: TextReading) => a.call === b.call;

function combine(a: TextReading | undefined, b: TextReading | undefined): TextReading | undefined {
  if (!a || !b) return a ?? b;
  return agree(a, b) ? a : { call: 'ambiguous', quote: `${a.quote} … ${b.quote}` };
}

function readMarkerObservation(o: Observation, t: CompiledTopic, dedicated: boolean) {
  const value = valueText(o, t.topic.geneStudied);
  const fromValue =
    readMarker(value, t.marker) ??
    (dedicated && value !== '' ? readResult(value, t.marker.kind) : undefined);
  const found = combine(fromValue, readMarker(noteText(o), t.marker));
  if (found) return found;
  return dedicated ? { call: 'ambiguous' as const, quote: value } : undefined;
}

function quantityReading(q: Quantity): MrdReading {
  const unit = q.code ?? q.unit;
  const ucum = q.system === undefined || q.system === 'http://unitsofmeasure.org';
  const quote = `${q.comparator ?? ''}${String(q.value ?? '')} ${q.unit ?? q.code ?? ''}`.trim();
  if (typeof q.value !== 'number' || unit !== '%' || !ucum) return { call: 'unreadable', quote };
  return {
    call: 'percent',
    value: q.value,
    ...(q.comparator ? { comparator: q.comparator } : {}),
    quote,
  };
}

function sameMrd(a: MrdReading, b: MrdReading): boolean {
  if (a.call === 'percent' && b.call === 'percent')
    return a.value === b.value && a.comparator === b.comparator;
  if (a.call === 'negative' && b.call === 'percent')
    return b.comparator === '<' || b.comparator === '<=';
  if (b.call === 'negative' && a.call === 'percent') return sameMrd(b, a);
  return a.call === b.call && a.call !== 'unreadable';
}

function readMrdObservation(o: Observation, dedicated: boolean): MrdReading | undefined {
  const fromValue = o.valueQuantity
    ? dedicated
      ? quantityReading(o.valueQuantity)
      : undefined
    : readMrd(valueText(o, undefined), !dedicated);
  const fromNote = readMrd(noteText(o), true);
  if (fromValue && fromNote && !sameMrd(fromValue, fromNote))
    return { call: 'unreadable', quote: `${fromValue.quote} … ${fromNote.quote}` };
  const found =
    fromValue && fromNote && fromNote.call === 'percent' ? fromNote : (fromValue ?? fromNote);
  if (found) return found;
  return dedicated ? { call: 'unreadable', quote: valueText(o, undefined) } : undefined;
}

function observationReadings(o: Observation, topics: CompiledTopic[]): Reading[] {
  const out: Reading[] = [];
  const code = codeOf(o);
  for (const t of topics) {
    const dedicated = isDedicated(o, code, t);
    if (!dedicated && !code.keys.some((k) => t.reports.has(k))) continue;
    const base = {
      topic: t.name,
      source: `Observation/${o.id ?? ''}`,
      status: text(o.status),
      at: whenOf(o),
    };
    if (t.topic.kind === 'mrd') {
      const r = readMrdObservation(o, dedicated);
      if (!r) continue;
      out.push(
        r.call === 'percent'
          ? {
              ...base,
              call: 'percent',
              percent: r.value,
              ...(r.comparator ? { comparator: r.comparator } : {}),
              quote: r.quote,
            }
          : { ...base, call: r.call === 'negative' ? 'negative' : 'ambiguous', quote: r.quote },
      );
    } else {
      const r = readMarkerObservation(o, t, dedicated);
      if (r) out.push({ ...base, call: r.call, quote: r.quote });
    }
  }
  return out;
}

/** The text of an order where a regimen may be named: reasons, categories, notes, dosage text, extensions. */
function orderText(o: MedicationRequest): string {
  const ext = (Array.isArray(o.extension) ? o.extension : []).flatMap((e) => [
    text(e.valueString),
    words(e.valueCodeableConcept),
  ]);
  return [
    ...(o.reasonCode ?? []).map(words),
    ...(o.category ?? []).map(words),
    ...(o.note ?? []).map((n) => text(n?.text)),
    ...(o.dosageInstruction ?? []).map((d) => text(d?.text)),
    ...ext,
  ]
    .filter(Boolean)
    .join('\n');
}

function carePlanText(p: CarePlan): string {
  return [
    text(p.title),
    text(p.description),
    ...(p.category ?? []).map(words),
    ...(p.note ?? []).map((n) => text(n?.text)),
    ...(p.activity ?? []).map((a) => text(a?.detail?.description)),
  ]
    .filter(Boolean)
    .join('\n');
}

function regimenReadings(
  source: string,
  body: string,
  regimens: Record<string, { names: string[] }>,
): Reading[] {
  return Object.entries(regimens).flatMap(([topic, { names }]) => {
    const r = readRegimen(body, names);
    return r ? [{ topic, source, status: 'final', at: null, call: r.call, quote: r.quote }] : [];
  });
}

/** Every reading of the record and the draft order for the policy's topics. */
export function readingsOf(
  bundle: Bundle,
  draftOrder: MedicationRequest,
  topics: CompiledTopic[],
  regimens: Record<string, { names: string[] }> | undefined,
): Reading[] {
  const out: Reading[] = [];
  for (const e of bundle.entry ?? []) {
    const r = e.resource as Resource | undefined;
    if (r?.resourceType === 'Observation' && topics.length > 0)
      out.push(...observationReadings(r as Observation, topics));
    else if (r?.resourceType === 'CarePlan' && regimens)
      out.push(...regimenReadings(`CarePlan/${r.id ?? ''}`, carePlanText(r as CarePlan), regimens));
  }
  if (regimens) {
    const contained = (draftOrder.contained ?? []).filter(
      (c): c is CarePlan => c?.resourceType === 'CarePlan',
    );
    const body = [orderText(draftOrder), ...contained.map(carePlanText)].join('\n');
    out.push(...regimenReadings('Draft Order', body, regimens));
  }
  return out;
}
