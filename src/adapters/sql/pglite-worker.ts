/**
 * The thread that owns the embedded PostgreSQL (PGlite). PGlite runs PostgreSQL compiled to
 * WebAssembly synchronously on the thread that calls it; here that is this worker, so opening the
 * database (initdb on a first start), commits and report queries never hold up request handling.
 *
 * Messages in: { id, op: 'query', text, params, tx? } | { id, op: 'begin' } |
 * { id, op: 'end', tx, commit } | { id, op: 'close' }. Out: { ready } | { fatal } once, then
 * { id, rows?, error? } per message; a 'begin' is answered once its transaction is open, and its
 * id names the transaction.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { PGlite, Transaction } from '@electric-sql/pglite';

export type Request =
  | { id: number; op: 'query'; text: string; params?: unknown[]; tx?: number }
  | { id: number; op: 'begin' }
  | { id: number; op: 'end'; tx: number; commit: boolean }
  | { id: number; op: 'close' };

export interface Reply {
  id?: number;
  ready?: boolean;
  fatal?: string;
  rows?: unknown[];
  error?: { message: string; code?: string };
}

interface Open {
  tx: Transaction;
  finish: (commit: boolean) => void;
  done: Promise<void>;
}

const port = parentPort;
const open = new Map<number, Open>();

function errorOf(e: unknown): Reply['error'] {
  const err = e as (Error & { code?: string }) | undefined;
  return { message: String(err?.message ?? e), ...(err?.code ? { code: err.code } : {}) };
}

/**
 * After PostgreSQL's WebAssembly aborts, or once PGlite has closed itself, no query can succeed:
 * the thread says so and ends, so the service reports itself failed (/health 503) rather than
 * answering every call with an error.
 */
function fatal(db: PGlite, e: unknown): boolean {
  // WebAssembly.RuntimeError ("unreachable", "Aborted()"): PostgreSQL itself stopped.
  if ((e as Error | undefined)?.name !== 'RuntimeError' && !db.closed) return false;
  port?.postMessage({ fatal: errorOf(e)?.message ?? 'PGlite stopped' } satisfies Reply);
  process.exit(1);
}

/** Opens a transaction that stays open until its 'end' message (PGlite queues other queries). */
function begin(db: PGlite, id: number): void {
  const entry = {} as Open;
  entry.done = db
    .transaction(
      (tx) =>
        new Promise<void>((resolve, reject) => {
          entry.tx = tx;
          entry.finish = (commit) => (commit ? resolve() : reject(new Error('rolled back')));
          open.set(id, entry);
          port?.postMessage({ id } satisfies Reply);
        }),
    )
    .then(() => undefined);
  // A transaction that could not begin answers its 'begin'.
  entry.done.catch((e: unknown) => {
    if (!open.has(id)) port?.postMessage({ id, error: errorOf(e) } satisfies Reply);
  });
}

async function end(id: number, tx: number, commit: boolean): Promise<Reply> {
  const entry = open.get(tx);
  if (!entry) return { id, error: { message: `no open transaction ${tx}` } };
  entry.finish(commit);
  try {
    await entry.done;
    return { id };
  } catch (e) {
    return commit ? { id, error: errorOf(e) } : { id };
  } finally {
    open.delete(tx);
  }
}

async function handle(db: PGlite, m: Request): Promise<Reply | undefined> {
  switch (m.op) {
    case 'query': {
      const on = m.tx === undefined ? db : open.get(m.tx)?.tx;
      if (!on) return { id: m.id, error: { message: `no open transaction ${m.tx}` } };
      return { id: m.id, rows: (await on.query(m.text, m.params)).rows };
    }
    case 'begin':
      begin(db, m.id);
      return undefined;
    case 'end':
      return end(m.id, m.tx, m.commit);
    case 'close':
      await db.close();
      return { id: m.id };
  }
}

async function main(): Promise<void> {
  const { PGlite } = await import('@electric-sql/pglite');
  const dir = (workerData as { dir?: string }).dir;
  // PostgreSQL's default 128 MB of shared buffers would be touched at start (resident memory);
  // decisions are appended and read back rarely, and 16 MB is ample for that.
  const options = { startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'] };
  const db = dir ? await PGlite.create(dir, options) : await PGlite.create(options);
  port?.on('message', (m: Request) => {
    handle(db, m).then(
      (reply) => reply && port?.postMessage(reply),
      (e: unknown) => {
        if (m.op !== 'close' && fatal(db, e)) return;
        port?.postMessage({ id: m.id, error: errorOf(e) } satisfies Reply);
      },
    );
  });
  port?.postMessage({ ready: true } satisfies Reply);
}

main().catch((e: unknown) =>
  port?.postMessage({ fatal: errorOf(e)?.message ?? 'unknown error' } satisfies Reply),
);
