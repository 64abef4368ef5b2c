import { createHash } from 'node:crypto';
import type { Bundle, MedicationRequest } from 'fhir/r4';
import type { PolicyMatch } from '../policy/select';
import type { PolicyResult } from '../policy/result';

/** How long an order-select result serves the order-sign that follows, and how many are kept. */
export const SELECT_CACHE_TTL_MS = 10 * 60 * 1000;
export const SELECT_CACHE_MAX = 2000;

interface Entry {
  result: PolicyResult;
  expires: number;
}

/**
 * order-select results kept so the order-sign that follows for the same orders answers without
 * evaluating again when nothing it reads has changed. The key is a digest of everything an
 * evaluation reads: the policy version, the order, the other draft orders, the gathered record and
 * the evaluation day; any change is another key. Nothing is looked up for a patient no
 * order-select was seen for (the digest is not computed). In memory, per replica: a sign that
 * lands on another replica is simply evaluated.
 */
export class EvaluationCache {
  private readonly entries = new Map<string, Entry>();
  /** Patients with live entries (so order-sign skips the digest for everyone else). */
  private readonly patients = new Map<string, number>();

  constructor(
    private readonly ttlMs = SELECT_CACHE_TTL_MS,
    private readonly max = SELECT_CACHE_MAX,
  ) {}

  /** The digest of what evaluating `match` over `scope` reads. */
  key(
    match: PolicyMatch,
    orders: MedicationRequest[],
    scope: { now: Date; bundle: Bundle },
  ): string {
    const p = match.policy;
    return createHash('sha256')
      .update(`${p.definition.id}@${p.version}/${p.definition.library.version}\n`)
      .update(scope.now.toISOString().slice(0, 10))
      .update(JSON.stringify(match.order))
      .update(JSON.stringify(orders.filter((o) => o !== match.order)))
      .update(JSON.stringify(scope.bundle))
      .digest('hex');
  }

  /** Whether an order-select for this patient left entries that may still serve. */
  has(patientId: string, now: number): boolean {
    const until = this.patients.get(patientId);
    return until !== undefined && until > now;
  }

  get(key: string, now: number): PolicyResult | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return e.result;
  }

  set(key: string, patientId: string, result: PolicyResult, now: number): void {
    const expires = now + this.ttlMs;
    this.entries.delete(key);
    this.entries.set(key, { result, expires });
    this.patients.set(patientId, expires);
    // Oldest first: Map keeps insertion order.
    for (const k of this.entries.keys()) {
      if (this.entries.size <= this.max) break;
      this.entries.delete(k);
    }
    if (this.patients.size > this.max)
      for (const [id, until] of this.patients) if (until <= now) this.patients.delete(id);
  }
}
