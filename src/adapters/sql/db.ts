import fs from 'node:fs';
/**
 * The one SQL surface the state adapters use, met by both PostgreSQL clients: PGlite (embedded,
 * file-backed; the default for `npm start`) and node-postgres (a server at DATABASE_URL). Same
 * SQL, same migrations.
 */
export interface SqlDb {
  /** One statement with $1.. parameters. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
  /** Statements in one transaction, on one connection. */
  transaction<T>(work: (tx: Pick<SqlDb, 'query'>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** Which kind, for logs and /ready ("pglite" or "postgres"). */
  readonly kind: string;
}

/** An embedded PostgreSQL (PGlite) in `dir` (created when missing), or in memory without one. */
export async function openPglite(dir?: string): Promise<SqlDb> {
  const { PGlite } = await import('@electric-sql/pglite');
  // A fresh checkout has no data/ folder yet.
  if (dir) fs.mkdirSync(dir, { recursive: true });
  const db = dir ? await PGlite.create(dir) : await PGlite.create();
  return {
    kind: 'pglite',
    query: async <T>(text: string, params?: unknown[]) => ({
      rows: (await db.query(text, params)).rows as T[],
    }),
    transaction: (work) =>
      db.transaction((tx) =>
        work({
          query: async <T>(text: string, params?: unknown[]) => ({
            rows: (await tx.query(text, params)).rows as T[],
          }),
        }),
      ),
    close: () => db.close(),
  };
}

/** A PostgreSQL server at `url`, through a small pool. */
export async function openPostgres(url: string, max = 10): Promise<SqlDb> {
  const { Pool } = await import('pg');
  const pool = new Pool({ connectionString: url, max });
  // A dropped idle connection is replaced; it must not crash the process.
  pool.on('error', () => undefined);
  await pool.query('select 1');
  return {
    kind: 'postgres',
    query: async <T>(text: string, params?: unknown[]) => ({
      rows: (await pool.query(text, params as unknown[])).rows as T[],
    }),
    transaction: async (work) => {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const out = await work({
          query: async <T>(text: string, params?: unknown[]) => ({
            rows: (await client.query(text, params as unknown[])).rows as T[],
          }),
        });
        await client.query('commit');
        return out;
      } catch (e) {
        await client.query('rollback').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
