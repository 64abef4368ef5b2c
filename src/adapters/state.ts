import type { Config } from '../platform/config';
import type { DecisionLog, FeedbackSink, RateStore, ReplayCache, Reports } from '../ports';
import { SqlReports } from './sql/reports';
import { FileDecisionLog } from './file/decision-log';
import { MemoryRateStore, MemoryReplayCache } from './memory/security-state';
import { FileFeedbackStore } from './file/feedback-store';
import { openPglite, openPostgres, type SqlDb } from './sql/db';
import { SqlDecisionLog } from './sql/decision-log';
import { SqlFeedbackStore } from './sql/feedback-store';
import { migrate } from './sql/migrations';
import { SqlRateStore, SqlReplayCache } from './sql/security-state';

/** Where the service keeps its state, chosen once in main. */
export interface StateStore {
  /** "postgres", "pglite" or "files". */
  kind: string;
  decisions: DecisionLog;
  feedback: FeedbackSink;
  /** jti claims: in the database (shared by the replicas on a server); files: in memory. */
  replay: ReplayCache;
  /**
   * Rate windows: in the database only on a server (shared by the replicas). PGlite is opened by
   * one process, whose memory counts them as well without a commit per request; files: memory.
   */
  rates: RateStore;
  /** Reports over decisions and feedback (absent for files: see npm run feedback-rates). */
  reports?: Reports;
  /** Why the store can no longer be used (its embedded database died); else undefined. */
  failure(): string | undefined;
  close(): Promise<void>;
}

/** Opens the database the configuration names (DATABASE_URL, else PGlite in STATE_DIR). */
export async function openDatabase(config: Readonly<Config>): Promise<SqlDb> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl);
  return openPglite(config.stateDir === 'memory' ? undefined : config.stateDir);
}

/**
 * The state store of the configuration: a database (migrated at startup) holding decisions,
 * feedback, jtis and rate windows, shared by every replica on it; or the JSON-lines files.
 */
export async function openState(config: Readonly<Config>): Promise<StateStore> {
  if (config.stateStore === 'files') {
    const decisions = new FileDecisionLog(config.decisionLog);
    return {
      kind: 'files',
      decisions,
      feedback: new FileFeedbackStore(config.feedbackLog),
      replay: new MemoryReplayCache(),
      rates: new MemoryRateStore(),
      failure: () => undefined,
      close: () => decisions.flush(),
    };
  }
  const db = await openDatabase(config);
  try {
    await migrate(db);
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
  const decisions = new SqlDecisionLog(db);
  return {
    kind: db.kind,
    decisions,
    feedback: new SqlFeedbackStore(db),
    replay: new SqlReplayCache(db),
    rates: db.kind === 'postgres' ? new SqlRateStore(db) : new MemoryRateStore(),
    reports: new SqlReports(db, decisions),
    failure: () => db.failure?.(),
    close: async () => {
      await decisions.flush();
      await db.close();
    },
  };
}
