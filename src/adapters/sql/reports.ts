import type { FeedbackRecord } from '../../cds/types';
import type { Decision, PolicyReport, Reports } from '../../ports';
import type { SqlDb } from './db';
import type { SqlDecisionLog } from './decision-log';

/** The reports as SQL over `decisions` and `feedback` (the latest feedback per card counts). */
export class SqlReports implements Reports {
  constructor(
    private readonly db: SqlDb,
    private readonly decisions: SqlDecisionLog,
  ) {}

  async byPolicy(from: Date, to: Date): Promise<PolicyReport[]> {
    const { rows } = await this.db.query<Record<string, unknown>>(
      `with d as (
         select card_uuid, policy, outcome, latency_ms from decisions
         where decided_at >= $1 and decided_at < $2
       ), latest as (
         select distinct on (f.card_uuid) f.card_uuid, f.outcome,
           f.record->'overrideReason'->'reason'->>'code' as reason
         from feedback f join d on d.card_uuid = f.card_uuid
         order by f.card_uuid, f.outcome_timestamp desc, f.id desc
       )
       select d.policy,
         count(*)::int as decisions,
         count(*) filter (where d.outcome = 'criteria-met')::int as met,
         count(*) filter (where d.outcome = 'criteria-not-met')::int as not_met,
         count(*) filter (where d.outcome = 'documentation-needed')::int as documentation,
         count(*) filter (where d.outcome = 'error')::int as error,
         avg(case when d.latency_ms < 5000 then 1.0 else 0.0 end)::float as under5s,
         count(l.card_uuid)::int as with_feedback,
         count(*) filter (where l.outcome = 'accepted')::int as accepted,
         count(*) filter (where l.outcome = 'overridden')::int as overridden,
         coalesce(jsonb_agg(l.reason) filter (where l.outcome = 'overridden' and l.reason is not null), '[]'::jsonb) as reasons
       from d left join latest l on l.card_uuid = d.card_uuid
       group by d.policy
       order by d.policy`,
      [from.toISOString(), to.toISOString()],
    );
    return rows.map((r) => {
      const counts = new Map<string, number>();
      for (const code of r.reasons as string[]) counts.set(code, (counts.get(code) ?? 0) + 1);
      return {
        policy: r.policy as string,
        decisions: Number(r.decisions),
        outcomes: {
          'criteria-met': Number(r.met),
          'criteria-not-met': Number(r.not_met),
          'documentation-needed': Number(r.documentation),
          error: Number(r.error),
        },
        under5s: Number(r.under5s),
        withFeedback: Number(r.with_feedback),
        accepted: Number(r.accepted),
        overridden: Number(r.overridden),
        overrideReasons: [...counts]
          .map(([code, count]) => ({ code, count }))
          .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)),
      };
    });
  }

  async trail(q: {
    order?: string;
    coverageAssertionId?: string;
  }): Promise<(Decision & { feedback: FeedbackRecord[] })[]> {
    const decisions = await this.decisions.trail(q);
    if (decisions.length === 0) return [];
    const { rows } = await this.db.query<{ card_uuid: string; record: FeedbackRecord }>(
      'select card_uuid, record from feedback where card_uuid = any($1::text[]) order by id',
      [decisions.map((d) => d.card)],
    );
    return decisions.map((d) => ({
      ...d,
      feedback: rows.filter((r) => r.card_uuid === d.card).map((r) => r.record),
    }));
  }
}
