import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { BadRequestError, EvaluationError } from './errors';
import { readableBy, type EvaluationInput, type PolicyResult } from './evaluate';
import type { Policy } from './policies';
import type { ContentPaths } from './runtime';

interface Pending {
  resolve: (r: PolicyResult) => void;
  reject: (e: Error) => void;
  policyId: string;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  ready: Promise<void>;
}

/**
 * Policy evaluation in worker threads, so one long evaluation does not hold up the event loop
 * for other requests: jobs go to the least busy worker; a worker that dies fails its jobs (the
 * orders get "could not be completed" cards) and is replaced. The HTTP layer bounds the queue.
 */
export class EvaluationPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;
  /** True once every worker has loaded the content (until then callers evaluate in process). */
  isReady = false;

  constructor(
    private readonly size: number,
    private readonly content: ContentPaths,
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
    const file = path.join(__dirname, ts ? 'evaluation-worker-boot.js' : 'evaluation-worker.js');
    const worker = new Worker(file, { workerData: { content: this.content } });
    const pending = new Map<number, Pending>();
    let markReady: () => void = () => undefined;
    let failReady: (e: Error) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    ready.catch(() => undefined);
    const slot: Slot = { worker, pending, ready };
    worker.on('message', (m: { ready?: boolean; id?: number; result?: PolicyResult; error?: { message: string; name: string; status?: number } }) => {
      if (m.ready) return markReady();
      const p = m.id !== undefined ? pending.get(m.id) : undefined;
      if (!p || m.id === undefined) return;
      pending.delete(m.id);
      if (m.result) p.resolve(m.result);
      else if (m.error?.status === 400) p.reject(new BadRequestError(m.error.message));
      else p.reject(new EvaluationError(p.policyId, m.error?.message ?? 'worker error'));
    });
    const fail = (why: string) => {
      failReady(new Error(why));
      for (const [, p] of pending) p.reject(new EvaluationError(p.policyId, why));
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

  evaluate(policy: Policy, input: EvaluationInput): Promise<PolicyResult> {
    const slot = this.slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    return new Promise<PolicyResult>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject, policyId: policy.definition.id });
      // Only what the policy can read crosses to the worker (copying is per resource).
      slot.worker.postMessage({ id, policyId: policy.definition.id, input: { ...input, bundle: readableBy(policy, input.bundle), now: input.now.toISOString() } });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
