import fs from 'node:fs';
import nock from 'nock';
import path from 'node:path';
import type { Bundle } from 'fhir/r4';
import { derive, type Derived } from '../src/engine/derive';
import type { FhirOptions } from '../src/patient-data/fhir-session';
import { loadContent, type Content } from '../src/services/content';
import { evaluateOrderSign } from '../src/services/order-sign';
import type { Policy } from '../src/policy/load';
import type { PolicyResult } from '../src/policy/result';
import { inProcessDeps, LOCAL_CALL } from '../tools/in-process';
import { readScenario, type Scenario, type ScenarioExpectation } from '../tools/scenarios';
import kitFile from './patients/kit.json';

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
    .flatMap((d) =>
      fs
        .readdirSync(path.join(PATIENTS, d.name))
        .filter((f) => f.endsWith('.json'))
        .map((f) => path.join(d.name, f)),
    )
    .sort();
}

/** The service's own pipeline (parse → select → gather → evaluate) on a request, in process. */
export async function evaluateInProcess(
  request: unknown,
  now: Date = NOW,
  from: Content = content(),
): Promise<PolicyResult[]> {
  const run = await evaluateOrderSign(inProcessDeps(from, now), request, LOCAL_CALL);
  return run.evaluations.map((e) => {
    if (!e.result) throw e.error ?? new Error('no result');
    return e.result;
  });
}

export function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** A criterion status a scenario can expect. */
export type CriterionStatus = ScenarioExpectation['criteria'][string];

/** A shipped policy as the test kit pins it (test/patients/kit.json). */
export interface KitPolicy {
  id: string;
  /** The criterion ids, in document order. */
  criteria: string[];
  /** Per criterion, the statuses a data rule can never produce, and why (see cql/README.md). */
  impossible: Record<string, { statuses: CriterionStatus[]; reason: string }>;
}

/** The roles example scenarios play in the tests (the keys of "examples" in test/patients/kit.json). */
export type ExampleRole = keyof typeof kitFile.examples;

/** The test kit's own content: test/patients/kit.json. */
export interface Kit {
  /** The shipped policies in the order the service loads them. */
  policies: KitPolicy[];
  /** Scenario paths under test/patients, by role. */
  examples: Record<ExampleRole, string>;
}

const STATUSES: readonly string[] = ['met', 'not-met', 'unknown'];

/** The test kit's content (test/patients/kit.json), its statuses checked. */
export function kit(): Kit {
  const read = kitFile as unknown as Kit;
  for (const p of read.policies) {
    for (const [id, rule] of Object.entries(p.impossible)) {
      const bad = rule.statuses.filter((st) => !STATUSES.includes(st));
      if (bad.length > 0)
        throw new Error(`test/patients/kit.json: ${p.id} ${id}: unknown status ${bad.join(', ')}`);
    }
  }
  return read;
}

/** The path (under test/patients, as scenario() takes it) of the example scenario for a role. */
export function example(role: ExampleRole): string {
  const file = kitFile.examples[role];
  if (typeof file !== 'string')
    throw new Error(`test/patients/kit.json: no example "${String(role)}"`);
  return file;
}

/** The loaded policy the example scenario for a role is for (its expected.policy). */
export function examplePolicy(role: ExampleRole, from: Content = content()): Policy {
  const id = scenario(example(role)).expected.policy;
  const policy = from.policies.find((p) => p.definition.id === id);
  if (!policy) throw new Error(`example "${role}" expects policy ${id}, which is not loaded`);
  return policy;
}

/** Text to match literally inside a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * No real network for this file: every HTTP call must hit a nock interceptor (loopback allowed
 * when `loopback`), and calls that hit none are collected in the returned list (tests assert it
 * stays empty). Registers its own beforeAll / afterEach / afterAll.
 */
export function unmatchedRequests(options: { loopback?: boolean } = {}): string[] {
  const unmatched: string[] = [];
  const onNoMatch = (req: { method?: string; href?: string; hostname?: string; path?: string }) => {
    if (options.loopback && req.hostname === '127.0.0.1') return;
    unmatched.push(
      options.loopback
        ? `${req.method ?? '?'} ${req.href ?? req.path}`
        : (req.href ?? req.path ?? '?'),
    );
  };
  beforeAll(() => {
    nock.disableNetConnect();
    if (options.loopback) nock.enableNetConnect('127.0.0.1');
    nock.emitter.on('no match', onNoMatch);
  });
  afterEach(() => {
    nock.cleanAll();
    unmatched.length = 0;
  });
  afterAll(() => {
    nock.emitter.removeListener('no match', onNoMatch);
    nock.enableNetConnect();
  });
  return unmatched;
}

/** An active Coverage of Patient/<patientId> with the plan named (for CRD annotations and DTR). */
export function coverageResource(patientId = 'pt-1') {
  return {
    resourceType: 'Coverage',
    id: 'cov-1',
    status: 'active',
    beneficiary: { reference: `Patient/${patientId}` },
    payor: [{ display: 'Example Health Plan' }],
  };
}

/** A prefetch searchset holding one active Coverage of Patient/<patientId> (for CRD annotations). */
export function coveragePrefetch(patientId = 'pt-1') {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    entry: [{ resource: coverageResource(patientId) }],
  };
}

/** What the engine derives from a record for a program, with a bare draft order (for counting). */
export function deriveFor(program: Policy['program'], bundle: Bundle, now: Date = NOW): Derived {
  return derive(program.derivation, {
    bundle,
    draftOrder: {
      resourceType: 'MedicationRequest',
      status: 'draft',
      intent: 'order',
      subject: {},
    },
    otherDraftOrders: [],
    now,
  });
}

/** FHIR fetching limits for unit tests: one allowed server, small bounds. */
export function fhirOptionsFor(server: string): FhirOptions {
  return {
    allowedFhirServers: [server],
    timeoutMs: 2000,
    maxPages: 3,
    maxResponseBytes: 1_000_000,
    maxResources: 100,
  };
}
