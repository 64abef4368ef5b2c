/**
 * A worker thread that evaluates policies: it loads the content once (ELM, value sets, model
 * info), then answers { id, policyId, input } messages with { id, result } or { id, error }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EvaluationInput } from './evaluate';
import { loadRuntime, type ContentPaths } from './runtime';

interface Job {
  id: number;
  policyId: string;
  input: Omit<EvaluationInput, 'now'> & { now: string };
}

const runtime = loadRuntime((workerData as { content: ContentPaths }).content);
const byId = new Map(runtime.policies.map((p) => [p.definition.id, p]));

parentPort?.on('message', async (job: Job) => {
  try {
    const policy = byId.get(job.policyId);
    if (!policy) throw new Error(`no policy ${job.policyId}`);
    const result = await runtime.evaluator.evaluate(policy, { ...job.input, now: new Date(job.input.now) });
    parentPort?.postMessage({ id: job.id, result });
  } catch (e) {
    const err = e as Error & { status?: number };
    parentPort?.postMessage({ id: job.id, error: { message: err.message, name: err.name, status: err.status } });
  }
});
parentPort?.postMessage({ ready: true });
