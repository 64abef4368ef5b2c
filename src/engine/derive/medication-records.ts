import type {
  Bundle,
  CodeableConcept,
  Medication,
  MedicationAdministration,
  MedicationRequest,
  MedicationStatement,
  Reference,
  Resource,
} from 'fhir/r4';
import type { MedicationRecord } from './types';

/*
 * Data rules v2, medication records (cql/README.md, "Medication history"):
 *  - a MedicationRequest with doNotPerform true, or status draft, cancelled or entered-in-error,
 *    is never history or an active order; a MedicationStatement not-taken or entered-in-error and a
 *    MedicationAdministration not-done or entered-in-error are never history;
 *  - history = records that started on or before the evaluation day (start: a request's
 *    dispenseRequest.validityPeriod.start, else authoredOn; otherwise effective[x] start);
 *    undated records cannot be shown to be prior and are left out;
 *  - the order being signed is never history: it is excluded by id when it has one (a draft
 *    without id changes nothing), and draft requests are never history;
 *  - the other draft orders of the request are co-ordered (active unless doNotPerform).
 */

type MedicationRecordResource = MedicationRequest | MedicationStatement | MedicationAdministration;

const KINDS = new Set(['MedicationRequest', 'MedicationStatement', 'MedicationAdministration']);
const NEVER_REQUEST = new Set(['draft', 'cancelled', 'entered-in-error']);
const NEVER_EVENT = new Set(['entered-in-error', 'not-taken', 'not-done']);
const UNUSABLE_ORDER = new Set(['draft', 'cancelled', 'entered-in-error', 'stopped']);

function codings(c: CodeableConcept | undefined): string[] {
  if (!c || !Array.isArray(c.coding)) return [];
  return c.coding.flatMap((x) =>
    x && typeof x.code === 'string' && typeof x.system === 'string'
      ? [`${x.system}|${x.code}`]
      : [],
  );
}

function conceptText(c: CodeableConcept | undefined): string {
  if (!c) return '';
  if (typeof c.text === 'string' && c.text.trim() !== '') return c.text.trim();
  const d = Array.isArray(c.coding) ? c.coding.find((x) => typeof x?.display === 'string') : null;
  return d?.display?.trim() ?? '';
}

/** Medications of the record, by every way a reference may name them. */
export function medicationIndex(bundle: Bundle): Map<string, Medication> {
  const out = new Map<string, Medication>();
  for (const e of bundle.entry ?? []) {
    const r = e.resource as Resource | undefined;
    if (r?.resourceType !== 'Medication') continue;
    if (typeof r.id === 'string') out.set(`Medication/${r.id}`, r as Medication);
    if (typeof e.fullUrl === 'string') out.set(e.fullUrl, r as Medication);
  }
  return out;
}

function resolve(
  ref: Reference | undefined,
  owner: { contained?: Resource[] },
  meds: Map<string, Medication>,
): Medication | undefined {
  const target = ref?.reference;
  if (typeof target !== 'string' || target === '') return undefined;
  if (target.startsWith('#'))
    return (Array.isArray(owner.contained) ? owner.contained : []).find(
      (r): r is Medication => r?.resourceType === 'Medication' && `#${r.id}` === target,
    );
  const direct = meds.get(target);
  if (direct) return direct;
  const m = /(?:^|\/)(Medication\/[^/]+)$/.exec(target);
  return m?.[1] ? meds.get(m[1]) : undefined;
}

/** The drug of a record: codes of the inline concept, or of the Medication and its ingredients. */
export function drugOf(
  r: MedicationRecordResource,
  meds: Map<string, Medication>,
): { codes: string[]; display: string } {
  if (r.medicationCodeableConcept)
    return {
      codes: codings(r.medicationCodeableConcept),
      display: conceptText(r.medicationCodeableConcept),
    };
  const med = resolve(r.medicationReference, r, meds);
  const codes = med
    ? [
        ...codings(med.code),
        ...(Array.isArray(med.ingredient) ? med.ingredient : []).flatMap((i) =>
          codings(i?.itemCodeableConcept),
        ),
      ]
    : [];
  const display = conceptText(med?.code) || (r.medicationReference?.display ?? '').trim();
  return { codes: [...new Set(codes)], display };
}

function startOf(r: MedicationRecordResource): string | null {
  if (r.resourceType === 'MedicationRequest')
    return r.dispenseRequest?.validityPeriod?.start ?? r.authoredOn ?? null;
  return (
    (r as MedicationStatement).effectiveDateTime ??
    (r as MedicationStatement).effectivePeriod?.start ??
    null
  );
}

/** The calendar day a FHIR date or dateTime names, as written ("YYYY-MM-DD"), or null. */
export function dayOf(value: string | null | undefined): string | null {
  if (typeof value !== 'string') return null;
  const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?/.exec(value);
  if (!m) return null;
  return `${m[1]}-${m[2] ?? '01'}-${m[3] ?? '01'}`;
}

function groupOf(r: MedicationRecordResource): string | null {
  if (r.resourceType !== 'MedicationRequest' || !r.groupIdentifier) return null;
  const v = r.groupIdentifier.value;
  return typeof v === 'string' && v !== '' ? `${r.groupIdentifier.system ?? ''}|${v}` : null;
}

interface Context {
  draftId: string | undefined;
  today: string;
  meds: Map<string, Medication>;
  keep: ((codes: string[]) => boolean) | undefined;
}

function recordOf(
  r: MedicationRecordResource,
  ctx: Context,
  coOrdered: boolean,
): MedicationRecord | null {
  const drug = drugOf(r, ctx.meds);
  if (ctx.keep && !ctx.keep(drug.codes)) return null;
  const status = typeof r.status === 'string' ? r.status : '';
  const start = startOf(r);
  const day = dayOf(start);
  const isRequest = r.resourceType === 'MedicationRequest';
  const refused = isRequest && (r as MedicationRequest).doNotPerform === true;
  const isDraftOrder = isRequest && ctx.draftId !== undefined && r.id === ctx.draftId;
  const counts = isRequest ? !refused && !NEVER_REQUEST.has(status) : !NEVER_EVENT.has(status);
  const history = !coOrdered && !isDraftOrder && counts && day !== null && day <= ctx.today;
  const activeOrder =
    isRequest &&
    !refused &&
    !isDraftOrder &&
    (coOrdered || status === 'active' || status === 'on-hold');
  return {
    ref: typeof r.id === 'string' && r.id !== '' ? `${r.resourceType}/${r.id}` : null,
    kind: r.resourceType,
    codes: drug.codes,
    display: drug.display,
    start,
    groupId: groupOf(r),
    status,
    history,
    activeOrder,
    coOrdered,
    usableOrder: isRequest && !refused && !isDraftOrder && !UNUSABLE_ORDER.has(status),
  };
}

/**
 * Every medication record of the bundle, and the other draft orders, with the modifiers
 * applied. `keep` (when given) leaves out records whose codes cannot matter to the policy.
 */
export function medicationRecords(
  bundle: Bundle,
  draftOrder: MedicationRequest,
  otherDraftOrders: MedicationRequest[],
  now: Date,
  keep?: (codes: string[]) => boolean,
): MedicationRecord[] {
  const meds = medicationIndex(bundle);
  const ctx: Context = {
    draftId: typeof draftOrder.id === 'string' && draftOrder.id !== '' ? draftOrder.id : undefined,
    today: now.toISOString().slice(0, 10),
    meds,
    keep,
  };
  const out: MedicationRecord[] = [];
  for (const e of bundle.entry ?? []) {
    const r = e.resource as Resource | undefined;
    if (!r || !KINDS.has(r.resourceType)) continue;
    const rec = recordOf(r as MedicationRecordResource, ctx, false);
    if (rec) out.push(rec);
  }
  for (const o of otherDraftOrders) {
    if (o === draftOrder) continue;
    const rec = recordOf(o, ctx, true);
    if (rec) out.push(rec);
  }
  return out;
}
