import fs from 'node:fs';
import path from 'node:path';
import { loadContent, type Content } from '../src/services/content';
import { evaluateOrderSign } from '../src/services/order-sign';
import type { PolicyResult } from '../src/policy/result';
import { inProcessDeps, LOCAL_CALL } from '../tools/in-process';
import { readScenario, type Scenario } from '../tools/scenarios';

/** The fixed test clock. */
export const NOW = new Date('2026-06-15T12:00:00.000Z');
export const ROOT = path.resolve(__dirname, '..');
export const PATIENTS = path.join(__dirname, 'patients');

let shared: Content | undefined;

/** Content is loaded once per test file, as the service does at startup. */
export function content(): Content {
  shared ??= loadContent();
  return shared;
}

/** A scenario (path under test/patients) with its relative dates resolved against `now`. */
export function scenario(relative: string, now: Date = NOW): Scenario {
  return readScenario(path.join(PATIENTS, relative), now);
}

/** Every scenario file, as "<policy-id>/<file>.json". */
export function allScenarioFiles(): string[] {
  return fs
    .readdirSync(PATIENTS, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => fs.readdirSync(path.join(PATIENTS, d.name)).filter((f) => f.endsWith('.json')).map((f) => path.join(d.name, f)))
    .sort();
}

/** The service's own pipeline (parse → select → gather → evaluate) on a request, in process. */
export async function evaluateInProcess(request: unknown, now: Date = NOW, from: Content = content()): Promise<PolicyResult[]> {
  const run = await evaluateOrderSign(inProcessDeps(from, now), request, LOCAL_CALL);
  return run.evaluations.map((e) => {
    if (!e.result) throw e.error ?? new Error('no result');
    return e.result;
  });
}

export function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
