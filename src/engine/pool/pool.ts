import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EngineContent } from '../engine';
import { EngineInputError, EvaluationError } from '../errors';
import { derive } from '../derive';
import { readableBy, type Evaluate, type RawResults } from '../evaluator';
import type { Job } from './worker';

interface Pending {
  resolve: (r: RawResults) => void;
  reject: (e: Error) => void;
  program: string;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  ready: Promise<void>;
}

interface Reply {
  ready?: boolean;
  id?: number;
  result?: RawResults;
  error?: { message: string; name: string };
}

/**
 * Evaluation in worker threads, so one long evaluation does not hold up the event loop for
 * other requests: jobs go to the least busy worker; a worker that dies fails its jobs (the
 * orders get "could not be completed" cards) and is replaced. The HTTP layer bounds the queue.
 */
export class EvaluationPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;
  /** True once every worker has loaded the content (until then callers evaluate in process). */
  isReady = false;

  constructor(
    size: number,
    private readonly content: EngineContent,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  /** Resolves when every worker has loaded the content. */
  async ready(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.ready));
    this.isReady = true;
  }

  private spawn(): Slot {
    const ts = __filename.endsWith('.ts');
    const worker = new Worker(path.join(__dirname, ts ? 'worker-boot.js' : 'worker.js'), {
      workerData: { content: this.content },
    });
    const pending = new Map<number, Pending>();
    let markReady: () => void = () => undefined;
    let failReady: (e: Error) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    ready.catch(() => undefined);
    const slot: Slot = { worker, pending, ready };
    worker.on('message', (m: Reply) => {
      if (m.ready) return markReady();
      const p = m.id !== undefined ? pending.get(m.id) : undefined;
      if (!p || m.id === undefined) return;
      pending.delete(m.id);
      if (m.result) p.resolve(m.result);
      else if (m.error?.name === 'EngineInputError')
        p.reject(new EngineInputError(m.error.message));
      else p.reject(new EvaluationError(p.program, m.error?.message ?? 'worker error'));
    });
    const fail = (why: string) => {
      failReady(new Error(why));
      for (const [, p] of pending) p.reject(new EvaluationError(p.program, why));
      pending.clear();
      const i = this.slots.indexOf(slot);
      if (i >= 0 && !this.closed) this.slots[i] = this.spawn();
    };
    worker.on('error', (e) => fail(`evaluation worker failed: ${e.message}`));
    worker.on('exit', (code) => {
      if (!this.closed) fail(`evaluation worker exited (${code})`);
    });
    return slot;
  }

  readonly evaluate: Evaluate = (program, input, expressions) => {
    const slot = this.slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    return new Promise<RawResults>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject, program: program.name });
      // Only what the program can read crosses to the worker (copying is per resource).
      const job: Job = {
        id,
        program: program.name,
        options: {
          medicationsOnlyThroughValueSets: program.medicationCodes !== undefined,
          derived: program.derivation.config,
        },
        expressions: [...expressions],
        input: {
          ...input,
          derived: input.derived ?? derive(program.derivation, input),
          bundle: readableBy(program, input.bundle),
          now: input.now.toISOString(),
        },
      };
      slot.worker.postMessage(job);
    });
  };

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
