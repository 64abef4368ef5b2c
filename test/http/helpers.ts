import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryRateStore, MemoryReplayCache } from '../../src/adapters/memory/security-state';
import { FileDecisionLog } from '../../src/adapters/file/decision-log';
import { FileFeedbackStore } from '../../src/adapters/file/feedback-store';
import { createApp, type AppDeps } from '../../src/http/app';
import { readConfig, type Config } from '../../src/platform/config';
import { createLogger } from '../../src/platform/log';
import { Metrics } from '../../src/platform/metrics';
import { populateForms } from '../../src/services/dtr';
import type { Content } from '../../src/services/content';
import type { Evaluate } from '../../src/engine/evaluator';
import { orderSignDepsFrom } from '../../src/services/deps';
import type { OrderSignDeps } from '../../src/services/order-sign';
import { ServiceRegistry } from '../../src/services/registry';
import { orderServices } from '../../src/services/services';
import type { Clock, DecisionLog, IdSource } from '../../src/ports';
import { content, NOW } from '../support';

export { allScenarioFiles, clone, content, NOW, PATIENTS, scenario } from '../support';
export { escapeRegExp, example, examplePolicy, kit } from '../support';

/** The defaults the service starts with (auth off), made quick for tests. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...readConfig({ AUTH: 'off', LOG_LEVEL: 'debug' }),
    fhirTimeoutMs: 2000,
    fhirMaxPages: 5,
    evaluationWorkers: 0,
    ...overrides,
  };
}

/** The order-sign dependencies main builds, from a config (evaluation in process unless given). */
export function orderSignDeps(
  config: Config,
  from: Content,
  log: AppDeps['log'],
  evaluate?: Evaluate,
  now: Clock = () => NOW,
): OrderSignDeps {
  return orderSignDepsFrom(config, from, {
    log,
    now,
    ...(evaluate ? { evaluator: () => evaluate } : {}),
  });
}

export interface TestApp {
  app: ReturnType<typeof createApp>;
  logs: string[];
  feedbackFile: string;
  /** The decision log file (beside the feedback file). */
  decisionFile: string;
  content: Content;
  url: string;
}

export interface TestAppOptions {
  evaluate?: Evaluate;
  routers?: AppDeps['routers'];
  log?: AppDeps['log'];
  /** The clock; default the fixed test clock. */
  now?: Clock;
  /** The decision log; default a file one on decisionFile. */
  decisions?: DecisionLog;
  /** The card id source; default random UUIDs. */
  newId?: IdSource;
}

/** The app as main composes it, with temp feedback and decision files, captured logs and the fixed clock. */
export function testApp(overrides: Partial<Config> = {}, options: TestAppOptions = {}): TestApp {
  const loaded = content();
  const logs: string[] = [];
  const feedbackFile = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), 'pa-feedback-')),
    'feedback.jsonl',
  );
  const decisionFile = path.join(path.dirname(feedbackFile), 'decisions.jsonl');
  const config = testConfig({ feedbackLog: feedbackFile, decisionLog: decisionFile, ...overrides });
  const log = options.log ?? createLogger('debug', (l) => logs.push(l));
  const now = options.now ?? (() => NOW);
  const metrics = new Metrics();
  const deps = {
    ...orderSignDeps(config, loaded, log, options.evaluate, now),
    metrics,
    ...(options.newId ? { newId: options.newId } : {}),
  };
  const registry = new ServiceRegistry(orderServices(loaded, deps));
  const app = createApp({
    registry,
    policies: loaded.policies,
    wording: loaded.wording,
    config,
    log,
    metrics,
    feedback: new FileFeedbackStore(feedbackFile),
    decisions: options.decisions ?? new FileDecisionLog(decisionFile),
    replay: new MemoryReplayCache(),
    rates: new MemoryRateStore(),
    now,
    ...(options.routers ? { routers: options.routers } : {}),
    dtr: {
      catalog: loaded.dtr,
      policies: loaded.policies,
      populate: (body, ctx) => populateForms(deps, body, ctx),
    },
  });
  const url = `/cds-services/${loaded.service.id}`;
  return { app, logs, feedbackFile, decisionFile, content: loaded, url };
}
