import type { Decision, DecisionLog } from '../../ports';
import { JsonLinesFile, type JsonLinesOps } from './json-lines';

/**
 * How many decisions the in-memory index keeps: the most recent 200 000, about 55 MB of heap
 * (measured with 4 offered reasons each, repeated strings shared). Feedback on an older card is
 * still stored, as for an unknown card (policy null). The file keeps every decision.
 */
export const DECISION_INDEX_LIMIT = 200_000;

function isDecision(value: unknown): value is Decision {
  const d = value as Partial<Decision> | null;
  return (
    typeof d?.card === 'string' &&
    (['service', 'policy', 'outcome', 'hookInstance', 'decidedAt'] as const).every(
      (k) => typeof d[k] === 'string',
    ) &&
    Array.isArray(d.overrideReasons)
  );
}

/**
 * Decisions in an append-only JSON-lines file, found by card uuid through an in-memory index of
 * the most recent ones, loaded from the file on the first lookup (so a restart still finds them).
 */
export class FileDecisionLog implements DecisionLog {
  private readonly lines: JsonLinesFile;
  private index?: Map<string, Decision>;
  /** One copy of each repeated value (service, policy, outcome, set of offered reasons). */
  private readonly shared = new Map<string, string | readonly string[]>();

  constructor(
    file: string,
    private readonly limit = DECISION_INDEX_LIMIT,
  ) {
    this.lines = new JsonLinesFile(file).ensureFolder();
  }

  flush(): Promise<void> {
    return this.lines.idle();
  }

  record(decisions: Decision[]): Promise<void> {
    // The append and the index update are one step, so a lookup never misses a written decision.
    return this.lines.exclusive(async (file) => {
      await file.append(decisions);
      if (this.index) for (const d of decisions) this.remember(this.index, d);
    });
  }

  /** Looks up after every decision recorded before (a card answered just now is found). */
  find(cardUuids: string[]): Promise<Map<string, Decision>> {
    return this.lines.exclusive(async (file) => {
      const index = this.index ?? (await this.load(file));
      const found = new Map<string, Decision>();
      for (const uuid of cardUuids) {
        const d = index.get(uuid);
        if (d) found.set(uuid, d);
      }
      return found;
    });
  }

  /** Reads the file into the index: the first lookup after a start finds what was recorded before. */
  private async load(file: JsonLinesOps): Promise<Map<string, Decision>> {
    const index = new Map<string, Decision>();
    await file.read((value) => {
      if (isDecision(value)) this.remember(index, value);
    });
    this.index = index;
    return index;
  }

  /** Adds a decision as the most recent, dropping the oldest beyond the limit. */
  private remember(index: Map<string, Decision>, d: Decision): void {
    index.delete(d.card);
    index.set(d.card, this.compact(d));
    if (index.size > this.limit) index.delete(index.keys().next().value!);
  }

  /** The decision with its repeated values shared between decisions (halves the index's memory). */
  private compact(d: Decision): Decision {
    const one = <T extends string | readonly string[]>(key: string, value: T): T => {
      const seen = this.shared.get(key);
      if (seen !== undefined) return seen as T;
      this.shared.set(key, value);
      return value;
    };
    const text = (s: string) => one(`s:${s}`, s);
    const reasons = d.overrideReasons.map(String);
    return {
      card: d.card,
      service: text(d.service),
      policy: text(d.policy),
      outcome: text(d.outcome),
      hookInstance: d.hookInstance,
      decidedAt: d.decidedAt,
      overrideReasons: one(
        `r:${JSON.stringify(reasons)}`,
        Object.freeze(reasons.map(text)),
      ) as string[],
    };
  }
}
