import type { FeedbackRecord } from '../../cds/types';
import type { FeedbackSink } from '../../ports';
import type { SqlDb } from './db';

/**
 * Feedback in PostgreSQL (or PGlite), each item with the decision it was joined to. An item sent
 * twice (a retry, or to two replicas) lands once: (card, outcome, outcomeTimestamp) is unique.
 */
export class SqlFeedbackStore implements FeedbackSink {
  constructor(private readonly db: SqlDb) {}

  async append(records: FeedbackRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.db.transaction(async (tx) => {
      for (const r of records)
        await tx.query(
          'insert into feedback (received_at, service, card_uuid, outcome, outcome_timestamp, record) values ($1, $2, $3, $4, $5, $6) on conflict (card_uuid, outcome, outcome_timestamp) do nothing',
          [r.receivedAt, r.service, r.card, r.outcome, r.outcomeTimestamp, JSON.stringify(r)],
        );
    });
  }

  /** Everything stored so far, oldest first (for tests, reports and operators). */
  async readAll(): Promise<FeedbackRecord[]> {
    const { rows } = await this.db.query<{ record: FeedbackRecord }>(
      'select record from feedback order by id',
    );
    return rows.map((r) => r.record);
  }
}
