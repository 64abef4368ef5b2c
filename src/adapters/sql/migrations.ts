import type { SqlDb } from './db';

/**
 * The schema, as numbered migrations applied in order, each once (schema_migrations), in one
 * transaction under an advisory lock so replicas starting together apply them once. The same
 * SQL runs on PGlite and on a PostgreSQL server. Append new ones; never edit an applied one.
 */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'decisions, feedback, replay cache, rate windows',
    sql: `
create table decisions (
  id bigserial primary key,
  card_uuid text not null unique,
  decided_at timestamptz not null,
  hook_instance text not null,
  hook text,
  service text not null,
  client text,
  policy text not null,
  policy_version text,
  outcome text not null,
  criteria jsonb,
  order_ref text,
  patient text,
  coverage_assertion_id text,
  satisfied_pa_id text,
  latency_ms integer,
  data_source text,
  override_reasons text[] not null default '{}'
);
create index decisions_policy_time on decisions (policy, decided_at);
create index decisions_assertion on decisions (coverage_assertion_id);
create index decisions_order on decisions (order_ref);

create table feedback (
  id bigserial primary key,
  received_at timestamptz not null,
  service text not null,
  card_uuid text not null,
  outcome text not null,
  outcome_timestamp text not null,
  record jsonb not null,
  unique (card_uuid, outcome, outcome_timestamp)
);
create index feedback_card on feedback (card_uuid);

create table replay_jti (
  key text primary key,
  expires_at timestamptz not null
);
create index replay_jti_expiry on replay_jti (expires_at);

create table rate_windows (
  key text not null,
  window_start timestamptz not null,
  count integer not null,
  primary key (key, window_start)
);
`,
  },
];

/** Applies the migrations not yet applied; returns the versions applied now. */
export async function migrate(db: SqlDb): Promise<number[]> {
  return db.transaction(async (tx) => {
    // One migrator at a time across replicas (the lock ends with the transaction).
    await tx.query('select pg_advisory_xact_lock(724311)');
    await tx.query(
      'create table if not exists schema_migrations (version integer primary key, name text not null, applied_at timestamptz not null default now())',
    );
    const done = new Set(
      (await tx.query<{ version: number }>('select version from schema_migrations')).rows.map((r) =>
        Number(r.version),
      ),
    );
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      for (const statement of m.sql
        .split(/;\s*\n/)
        .map((s) => s.trim())
        .filter(Boolean))
        await tx.query(statement);
      await tx.query('insert into schema_migrations (version, name) values ($1, $2)', [
        m.version,
        m.name,
      ]);
      applied.push(m.version);
    }
    return applied;
  });
}
