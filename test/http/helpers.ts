import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readConfig, type Config } from '../../src/config';
import { createApp } from '../../src/app';
import { FeedbackStore } from '../../src/feedback';
import { createLogger } from '../../src/log';
import { DEFAULT_CONTENT, loadRuntime, type Runtime } from '../../src/runtime';
import { loadServiceDefinition, type ServiceDefinition } from '../../src/service-definition';
import { readJsonFile, resolveRelativeDates, type Scenario } from '../../src/scenarios';

export const NOW = new Date('2026-06-15T12:00:00.000Z');
export const PATIENTS = path.join(__dirname, '..', 'patients');

let shared: { runtime: Runtime; service: ServiceDefinition } | undefined;

/** Content is loaded once per test file, as the service does at startup. */
export function content() {
  if (!shared) {
    const runtime = loadRuntime();
    shared = { runtime, service: loadServiceDefinition(path.join(DEFAULT_CONTENT.cardsDir, 'service.json'), runtime.policies) };
  }
  return shared;
}

/** The defaults the service starts with (demo and auth off), made quick for tests. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...readConfig({ DEMO: 'off', AUTH: 'off', LOG_LEVEL: 'debug' }), fhirTimeoutMs: 2000, fhirMaxPages: 5, evaluationWorkers: 0, ...overrides };
}

export interface TestApp {
  app: ReturnType<typeof createApp>;
  logs: string[];
  feedbackFile: string;
  runtime: Runtime;
  service: ServiceDefinition;
  url: string;
}

export function testApp(overrides: Partial<Config> = {}): TestApp {
  const { runtime, service } = content();
  const logs: string[] = [];
  const feedbackFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pa-feedback-')), 'feedback.jsonl');
  const config = testConfig({ feedbackLog: feedbackFile, ...overrides });
  const app = createApp({ runtime, service, config, log: createLogger('debug', (l) => logs.push(l)), feedback: new FeedbackStore(feedbackFile), now: () => NOW });
  return { app, logs, feedbackFile, runtime, service, url: `/cds-services/${service.id}` };
}

/** A scenario with its relative dates resolved against the fixed test clock. */
export function scenario(relative: string): Scenario {
  return resolveRelativeDates(readJsonFile(path.join(PATIENTS, relative)) as Scenario, NOW);
}

export function allScenarioFiles(): string[] {
  return fs
    .readdirSync(PATIENTS)
    .flatMap((dir) => fs.readdirSync(path.join(PATIENTS, dir)).filter((f) => f.endsWith('.json')).map((f) => path.join(dir, f)))
    .sort();
}

export function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
