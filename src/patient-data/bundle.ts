import type { Bundle, FhirResource, Resource } from 'fhir/r4';

/**
 * One collection Bundle of the resources found in prefetch-style values: a Bundle contributes
 * its entries, a single resource itself; null, missing and OperationOutcome values contribute
 * nothing. Duplicates (same type and id) are kept once, the first seen.
 */
export function collectResources(values: unknown[]): Bundle {
  const seen = new Set<string>();
  const entry: Bundle['entry'] = [];
  forEachResource(values, (r) => {
    const k = `${r.resourceType}/${r.id ?? ''}`;
    if (r.id && seen.has(k)) return;
    seen.add(k);
    entry.push({ fullUrl: r.id ? k : undefined, resource: r as FhirResource });
  });
  return { resourceType: 'Bundle', type: 'collection', entry };
}

/** Calls `each` with every resource the values hold (Bundles opened, OperationOutcomes skipped). */
export function forEachResource(values: unknown[], each: (r: Resource) => void): void {
  const visit = (r: Resource | undefined) => {
    if (!r || typeof r !== 'object' || typeof r.resourceType !== 'string') return;
    if (r.resourceType === 'OperationOutcome') return;
    if (r.resourceType === 'Bundle') {
      for (const e of (r as Bundle).entry ?? []) visit(e?.resource);
      return;
    }
    each(r);
  };
  for (const v of values) visit(v as Resource | undefined);
}

const SUBJECT_FIELDS = ['subject', 'patient', 'beneficiary'] as const;

/** The Patient id a resource says it is about, if it names one. */
export function subjectId(r: Resource): string | undefined {
  for (const f of SUBJECT_FIELDS) {
    const ref = (r as unknown as Record<string, { reference?: unknown } | undefined>)[f]?.reference;
    if (typeof ref === 'string') {
      const m = /(?:^|\/)Patient\/([^/]+)$/.exec(ref);
      if (m) return m[1];
    }
  }
  return undefined;
}
