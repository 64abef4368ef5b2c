import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Reply, Request } from './pglite-worker';
/**
 * The one SQL surface the state adapters use, met by both PostgreSQL clients: PGlite (embedded,
 * file-backed; the default for `npm start`) and node-postgres (a server at DATABASE_URL). Same
 * SQL, same migrations.
 */
export interface SqlDb {
  /** One statement with $1.. parameters. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
  /**
   * Statements in one transaction, on one connection. `work` must use only `tx`: on PGlite (one
   * connection) a top-level query waits until the transaction ends, so one made inside `work`
   * would wait forever.
   */
  transaction<T>(work: (tx: Pick<SqlDb, 'query'>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** Which kind, for logs and /ready ("pglite" or "postgres"). */
  readonly kind: string;
  /** Why the database can no longer be used (the embedded one's thread died); else undefined. */
  failure?(): string | undefined;
}

/**
 * An embedded PostgreSQL (PGlite) in `dir` (created when missing), or in memory without one. It
 * runs in its own worker thread (`pglite-worker.ts`): PGlite executes synchronously on the thread
 * that calls it, and on the main thread every commit would hold up request handling.
 */
export async function openPglite(dir?: string): Promise<SqlDb> {
  // A fresh checkout has no data/ folder yet.
  if (dir) fs.mkdirSync(dir, { recursive: true });
  if (dir && !fs.existsSync(path.join(dir, 'PG_VERSION'))) {
    // The first start creates the database (initdb) in a thread of its own: initdb leaves about
    // 500 MB behind in the thread that ran it, and that memory goes with the thread.
    const init = new PgliteThread(dir);
    try {
      await init.ready;
    } finally {
      await init.close();
    }
  }
  const thread = new PgliteThread(dir);
  await thread.ready.catch(async (e: unknown) => {
    await thread.close();
    throw e;
  });
  const query = <T>(text: string, params?: unknown[], tx?: number) =>
    thread
      .call({ op: 'query', text, ...(params ? { params } : {}), ...(tx ? { tx } : {}) })
      .then((r) => ({ rows: (r.rows ?? []) as T[] }));
  return {
    kind: 'pglite',
    query: (text, params) => query(text, params),
    transaction: async (work) => {
      const { id: tx } = await thread.call({ op: 'begin' });
      let out: Awaited<ReturnType<typeof work>>;
      try {
        out = await work({ query: (text, params) => query(text, params, tx) });
      } catch (e) {
        await thread.call({ op: 'end', tx: tx as number, commit: false }).catch(() => undefined);
        throw e;
      }
      await thread.call({ op: 'end', tx: tx as number, commit: true });
      return out;
    },
    close: () => thread.close(),
    failure: () => thread.failure(),
  };
}

type Message = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** The main thread's side of the PGlite thread: numbered calls, answered in any order. */
class PgliteThread {
  readonly ready: Promise<void>;
  private readonly worker: Worker;
  private readonly pending = new Map<
    number,
    { resolve: (r: Reply) => void; reject: (e: Error) => void }
  >();
  private next = 1;
  private failed?: Error;
  private closing = false;

  constructor(dir?: string) {
    const ts = __filename.endsWith('.ts');
    this.worker = new Worker(
      path.join(__dirname, ts ? 'pglite-worker-boot.js' : 'pglite-worker.js'),
      { workerData: { dir } },
    );
    let opened = false;
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (m: Reply) => {
        if (m.ready) {
          opened = true;
          return resolve();
        }
        if (m.fatal !== undefined)
          return this.fail(
            new Error(
              opened
                ? `the embedded database failed: ${m.fatal}`
                : `cannot open the embedded database: ${m.fatal}`,
            ),
            reject,
          );
        this.answer(m);
      });
      this.worker.on('error', (e) => this.fail(e, reject));
      this.worker.on('exit', (code) =>
        this.fail(new Error(`the embedded database thread exited (${code})`), reject),
      );
    });
  }

  call(message: Message): Promise<Reply> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id });
    });
  }

  /** Closes the database (when the thread still answers) and ends the thread, in any case. */
  async close(): Promise<void> {
    this.closing = true;
    try {
      if (!this.failed) await this.call({ op: 'close' });
    } finally {
      await this.worker.terminate();
    }
  }

  /** The reason the thread is gone, unless it was closed. */
  failure(): string | undefined {
    return this.failed && !this.closing ? this.failed.message : undefined;
  }

  private answer(m: Reply): void {
    const p = m.id === undefined ? undefined : this.pending.get(m.id);
    if (!p || m.id === undefined) return;
    this.pending.delete(m.id);
    if (!m.error) return p.resolve(m);
    p.reject(Object.assign(new Error(m.error.message), m.error.code ? { code: m.error.code } : {}));
  }

  /** The thread is gone: every call waiting and every later one fails. */
  private fail(e: Error, reject: (e: Error) => void): void {
    this.failed ??= e;
    reject(e);
    for (const p of this.pending.values()) p.reject(this.failed);
    this.pending.clear();
  }
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
