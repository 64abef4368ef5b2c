import type { Decision, DecisionLog } from '../../ports';
import type { SqlDb } from './db';

const COLUMNS = [
  'card_uuid',
  'decided_at',
  'hook_instance',
  'hook',
  'service',
  'client',
  'policy',
  'policy_version',
  'outcome',
  'criteria',
  'order_ref',
  'patient',
  'coverage_assertion_id',
  'satisfied_pa_id',
  'latency_ms',
  'data_source',
  'override_reasons',
] as const;

function row(d: Decision): unknown[] {
  return [
    d.card,
    d.decidedAt,
    d.hookInstance,
    d.hook ?? null,
    d.service,
    d.client ?? null,
    d.policy,
    d.policyVersion ?? null,
    d.outcome,
    d.criteria ? JSON.stringify(d.criteria) : null,
    d.order ?? null,
    d.patient ?? null,
    d.coverageAssertionId ?? null,
    d.satisfiedPaId ?? null,
    d.latencyMs ?? null,
    d.dataSource ?? null,
    d.overrideReasons,
  ];
}

type Row = Record<string, unknown>;

function decisionOf(r: Row): Decision {
  const opt = <K extends keyof Decision>(key: K, v: unknown) =>
    v === null || v === undefined ? {} : ({ [key]: v } as Pick<Decision, K>);
  return {
    card: r.card_uuid as string,
    service: r.service as string,
    policy: r.policy as string,
    outcome: r.outcome as string,
    hookInstance: r.hook_instance as string,
    decidedAt: new Date(r.decided_at as string).toISOString(),
    overrideReasons: (r.override_reasons as string[]) ?? [],
    ...opt('hook', r.hook),
    ...opt('client', r.client),
    ...opt('policyVersion', r.policy_version),
    ...opt('criteria', r.criteria),
    ...opt('order', r.order_ref),
    ...opt('patient', r.patient),
    ...opt('coverageAssertionId', r.coverage_assertion_id),
    ...opt('satisfiedPaId', r.satisfied_pa_id),
    ...opt('latencyMs', r.latency_ms === null ? null : Number(r.latency_ms)),
    ...opt('dataSource', r.data_source),
  };
}

/**
 * Decisions in PostgreSQL (or PGlite). `record` resolves once the rows are committed: the service
 * answers only after that. Concurrent calls are committed together (group commit: one
 * multi-row insert per batch), so durability costs one round trip per batch, not per call.
 */
export class SqlDecisionLog implements DecisionLog {
  private queue: { rows: Decision[]; committed: () => void; failed: (e: unknown) => void }[] = [];
  private writing?: Promise<void>;

  constructor(private readonly db: SqlDb) {}

  record(decisions: Decision[]): Promise<void> {
    if (decisions.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queue.push({ rows: decisions, committed: resolve, failed: reject });
      this.writing ??= this.drain();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      const rows = batch.flatMap((b) => b.rows);
      try {
        await this.insert(rows);
        for (const b of batch) b.committed();
      } catch (e) {
        // Whatever was thrown (even nothing), these rows are not committed.
        for (const b of batch) b.failed(e ?? new Error('the decision insert failed'));
      }
    }
    this.writing = undefined;
  }

  private async insert(rows: Decision[]): Promise<void> {
    const params: unknown[] = [];
    const values = rows.map((d) => {
      const r = row(d);
      const at = params.length;
      params.push(...r);
      return `(${r.map((_, i) => `$${at + i + 1}`).join(', ')})`;
    });
    await this.db.query(
      `insert into decisions (${COLUMNS.join(', ')}) values ${values.join(', ')} on conflict (card_uuid) do nothing`,
      params,
    );
  }

  async find(cardUuids: string[]): Promise<Map<string, Decision>> {
    const found = new Map<string, Decision>();
    if (cardUuids.length === 0) return found;
    const { rows } = await this.db.query<Row>(
      'select * from decisions where card_uuid = any($1::text[])',
      [cardUuids],
    );
    for (const r of rows) found.set(r.card_uuid as string, decisionOf(r));
    return found;
  }

  /** The decisions on an order or under a coverage-assertion-id, oldest first (the trail). */
  async trail(q: { order?: string; coverageAssertionId?: string }): Promise<Decision[]> {
    const { rows } = await this.db.query<Row>(
      'select * from decisions where ($1::text is null or order_ref = $1) and ($2::text is null or coverage_assertion_id = $2) and ($1::text is not null or $2::text is not null) order by decided_at, id',
      [q.order ?? null, q.coverageAssertionId ?? null],
    );
    return rows.map(decisionOf);
  }

  async flush(): Promise<void> {
    await this.writing;
  }
}
