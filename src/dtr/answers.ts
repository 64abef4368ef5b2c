import { createHash } from 'node:crypto';
import type {
  QuestionnaireItem,
  QuestionnaireResponse,
  QuestionnaireResponseItem,
  Resource,
} from 'fhir/r4';
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4';
import { BadRequestError } from '../platform/errors';
import { TEMPLATE_EXTRACT_VALUE, type DocumentationForm } from './questionnaire';

/** The documentation forms by canonical: `url|version`, and `url` alone for the newest version. */
export type FormIndex = ReadonlyMap<string, DocumentationForm>;

/** What completed forms add to the record, and where each piece came from. */
export interface Answered {
  /** Resources made from the answers (template extraction), each with an id of its own. */
  resources: Resource[];
  /** Each of their references → the QuestionnaireResponse it came from, for the evidence. */
  sources: Map<string, string>;
}

type Json = Record<string, unknown>;

/** DTR information-origin: answers the payer's or the EHR's logic filled in from the record. */
const ORIGIN = 'http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/information-origin';
const AUTOMATIC = new Set(['auto', 'auto-client', 'auto-server']);

/** Whether an answer was filled in from the record and left as it was (not the clinician's). */
function automatic(answer: { extension?: { url: string; extension?: Json[] }[] }): boolean {
  const origin = answer.extension?.find((e) => e.url === ORIGIN);
  const source = origin?.extension?.find((e) => e.url === 'source')?.valueCode;
  return typeof source === 'string' && AUTOMATIC.has(source);
}

/** A group the clinician documented: some answer in it is theirs (entered or overridden). */
function documentedGroup(group: QuestionnaireResponseItem): boolean {
  return (group.item ?? []).some((c) => (c.answer ?? []).some((a) => !automatic(a as never)));
}

/** Completed and amended responses are documentation; drafts are not (yet). */
const DOCUMENTED = new Set(['completed', 'amended']);

function isValidDay(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** Checks one answer against its item; a message naming what is wrong, or undefined. */
function answerProblem(item: QuestionnaireItem, answer: Json, today: string): string | undefined {
  const keys = Object.keys(answer).filter((k) => k.startsWith('value'));
  if (keys.length !== 1) return 'an answer needs exactly one value';
  const value = answer[keys[0]!];
  switch (item.type) {
    case 'choice': {
      const coding = answer.valueCoding as Json | undefined;
      const ok = item.answerOption?.some((o) =>
        o.valueCoding
          ? coding?.code === o.valueCoding.code && coding?.system === o.valueCoding.system
          : answer.valueString === o.valueString,
      );
      return ok ? undefined : `${JSON.stringify(value)} is not one of the item's options`;
    }
    case 'date':
      if (typeof answer.valueDate !== 'string' || !isValidDay(answer.valueDate))
        return 'must be a valueDate YYYY-MM-DD';
      return answer.valueDate > today ? `${answer.valueDate} is in the future` : undefined;
    case 'decimal':
      return typeof answer.valueDecimal === 'number' &&
        Number.isFinite(answer.valueDecimal) &&
        answer.valueDecimal >= 0
        ? undefined
        : 'must be a valueDecimal of 0 or more';
    case 'integer':
      return Number.isInteger(answer.valueInteger) ? undefined : 'must be a valueInteger';
    case 'string':
      return typeof answer.valueString === 'string' ? undefined : 'must be a valueString';
    default:
      return `a ${item.type} item takes no answer`;
  }
}

/** Checks a response's items against the form; the first problem is a 400 naming the item. */
function check(
  items: QuestionnaireResponseItem[] | undefined,
  form: DocumentationForm,
  at: string,
  today: string,
): void {
  for (const qi of items ?? []) {
    const item = form.items.get(qi.linkId);
    const name = `${at} item "${qi.linkId}"`;
    if (!item) throw new BadRequestError(`${name} is not in ${form.canonical}`);
    const answers = (qi.answer ?? []) as Json[];
    if (answers.length > 1 && !item.repeats)
      throw new BadRequestError(`${name} has ${answers.length} answers; it takes one`);
    for (const a of answers) {
      const problem = answerProblem(item, a, today);
      if (problem) throw new BadRequestError(`${name}: ${problem}`);
    }
    if (item.type === 'group') {
      // What is wrong inside first: the item named is the one to fix.
      check(qi.item, form, at, today);
      const given = new Set((qi.item ?? []).filter((c) => c.answer?.length).map((c) => c.linkId));
      const missing = (item.item ?? []).find(
        (c) => c.required && !c.readOnly && !given.has(c.linkId),
      );
      if (documentedGroup(qi) && missing)
        throw new BadRequestError(
          `${at} item "${missing.linkId}" is required with the rest of "${qi.linkId}"`,
        );
    }
  }
}

/** The template filled from one answered group: every templateExtractValue evaluated on it. */
function fill(node: unknown, group: QuestionnaireResponseItem, qr: QuestionnaireResponse): unknown {
  if (Array.isArray(node)) {
    const out = node.map((n) => fill(n, group, qr)).filter((n) => n !== undefined);
    return out.length > 0 ? out : undefined;
  }
  if (typeof node !== 'object' || node === null) return node;
  const obj = node as Json;
  const value = (ext: unknown): unknown[] | undefined => {
    const e = (ext as Json[] | undefined)?.find((x) => x.url === TEMPLATE_EXTRACT_VALUE);
    if (!e) return undefined;
    return fhirpath.evaluate(
      group,
      { base: 'QuestionnaireResponse.item', expression: e.valueString as string },
      { resource: qr } as never,
      r4 as never,
    ) as unknown[];
  };
  const own = value(obj.extension);
  if (own) return own.length > 0 ? structuredClone(own[0]) : undefined;
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k.startsWith('_')) {
      const found = value((v as Json | undefined)?.extension);
      if (found) {
        if (found.length > 0) out[k.slice(1)] = found[0];
        continue;
      }
    }
    const filled = fill(v, group, qr);
    if (filled !== undefined) out[k] = filled;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function groups(
  items: QuestionnaireResponseItem[] | undefined,
  visit: (i: QuestionnaireResponseItem, path: string) => void,
  path = '',
): void {
  (items ?? []).forEach((i, n) => {
    const at = `${path}/${i.linkId}[${n}]`;
    visit(i, at);
    groups(i.item, visit, at);
  });
}

/** The forms' QuestionnaireResponses among resources: those naming one of the forms. */
function formFor(qr: QuestionnaireResponse, forms: FormIndex): DocumentationForm | undefined {
  return qr.questionnaire ? forms.get(qr.questionnaire) : undefined;
}

/**
 * What the completed forms among `resources` document: each answered group with a template
 * becomes a resource of the record (an Observation, a Condition, a MedicationStatement...), for
 * the patient, cited as its QuestionnaireResponse. The data rules then apply to them as to any
 * record data. A response about another patient, without an id, or with an answer the form does
 * not allow is a 400 naming the item; drafts (in-progress) and other forms' responses are left out.
 */
export function answersIn(
  resources: unknown[],
  forms: FormIndex,
  patientId: string,
  today: string,
): Answered {
  const answered: Answered = { resources: [], sources: new Map() };
  for (const r of resources) {
    const qr = r as QuestionnaireResponse;
    if (qr?.resourceType !== 'QuestionnaireResponse') continue;
    const form = formFor(qr, forms);
    if (!form || !DOCUMENTED.has(qr.status)) continue;
    const at = `QuestionnaireResponse/${qr.id ?? ''}`;
    if (!qr.id)
      throw new BadRequestError(
        'a completed QuestionnaireResponse needs an id (the evidence cites it)',
      );
    const subject = qr.subject?.reference;
    if (
      subject !== undefined &&
      subject.replace(/^.*\/(Patient\/)/, '$1') !== `Patient/${patientId}`
    )
      throw new BadRequestError(
        `${at}: its subject is "${subject.slice(0, 200)}", not Patient/${patientId}`,
      );
    check(qr.item, form, at, today);
    groups(qr.item, (group, path) => {
      const template = form.templates.get(group.linkId);
      // Only what the clinician documented: a group left as the record filled it adds nothing.
      if (!template || !documentedGroup(group)) return;
      const made = fill(template, group, qr) as Json | undefined;
      if (!made) return;
      const id = `dtr-${createHash('sha256').update(`${qr.id}|${path}`).digest('hex').slice(0, 24)}`;
      const resource = {
        ...made,
        id,
        subject: { reference: `Patient/${patientId}` },
      } as unknown as Resource;
      answered.resources.push(resource);
      answered.sources.set(`${resource.resourceType}/${id}`, at);
    });
  }
  return answered;
}
