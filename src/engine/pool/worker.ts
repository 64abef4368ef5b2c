/**
 * A worker thread that evaluates programs: it loads the engine content once (ELM, value sets,
 * model info), then answers { id, program, options, expressions, input } messages with
 * { id, result } or { id, error }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadEngine, type EngineContent, type ProgramOptions } from '../engine';
import type { EvaluationInput } from '../evaluator';

export interface Job {
  id: number;
  program: string;
  options: ProgramOptions;
  expressions: string[];
  input: Omit<EvaluationInput, 'now'> & { now: string };
}

const engine = loadEngine((workerData as { content: EngineContent }).content);

parentPort?.on('message', async (job: Job) => {
  try {
    const program = engine.program(job.program, job.options);
    const result = await engine.evaluator.evaluate(
      program,
      { ...job.input, now: new Date(job.input.now) },
      job.expressions,
    );
    parentPort?.postMessage({ id: job.id, result });
  } catch (e) {
    const err = e as Error;
    parentPort?.postMessage({ id: job.id, error: { message: err.message, name: err.name } });
  }
});
parentPort?.postMessage({ ready: true });
