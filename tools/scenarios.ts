import type { Bundle } from 'fhir/r4';
import { BadRequestError } from '../src/platform/errors';
import type { ReadStatus } from '../src/policy/formula';
import { readJsonFile } from '../src/platform/json-file';
import { resolveRelativeDates } from './relative-dates';

/** An order-sign request body as a test scenario holds it (validated by src/cds/parse.ts when sent). */
export interface ScenarioRequest {
  hook: string;
  hookInstance?: string;
  context: { userId?: string; patientId: string; encounterId?: string; draftOrders: Bundle };
  prefetch?: Record<string, unknown>;
}

export interface ScenarioExpectation {
  policy: string;
  outcome: string;
  /** Per criterion, in the words of its role: exclusions apply, do not apply, or are unknown. */
  criteria: Record<string, ReadStatus>;
  /** Optional: references that must appear in a criterion's evidence. */
  evidence?: Record<string, string[]>;
}

/** A test patient: a whole order-sign request and what the policy must conclude. */
export interface Scenario {
  description: string;
  request: ScenarioRequest;
  expected: ScenarioExpectation;
}

/** Reads a JSON file for a tool; a file that cannot be read is a BadRequestError (exit code 2). */
export function readInput(file: string): unknown {
  return readJsonFile(file, (at, message) => new BadRequestError(`${at}: ${message}`));
}

/** A scenario file with its relative dates resolved against now. */
export function readScenario(file: string, now: Date): Scenario {
  return resolveRelativeDates(readInput(file) as Scenario, now);
}
