import type { Bundle, MedicationRequest } from 'fhir/r4';
import { Code, parseDateTime, type DateTime } from '../cql-engine';
import { buildAgentTable, linesOfTherapy, type AgentTable } from './lines-of-therapy';
import { medicationRecords } from './medication-records';
import { compileTopic, readingsOf, type CompiledTopic } from './readings';
import type { Derived, DerivedConfig } from './types';

export type { Derived, DerivedConfig } from './types';

/** A policy's derivations, compiled once with its value sets. */
export interface Derivation {
  config: DerivedConfig;
  agents?: AgentTable;
  topics: CompiledTopic[];
  /** Only records with one of these codes can matter (medicationsOnlyThroughValueSets). */
  medicationCodes?: Set<string>;
}

export function compileDerivation(
  config: DerivedConfig,
  codesOf: (valueSet: string) => string[],
  medicationCodes: Set<string> | undefined,
): Derivation {
  const agents = config.linesOfTherapy
    ? buildAgentTable(config.linesOfTherapy, codesOf)
    : undefined;
  const codes = medicationCodes ? new Set(medicationCodes) : undefined;
  if (codes && agents) for (const k of agents.keys()) codes.add(k);
  return {
    config,
    ...(agents ? { agents } : {}),
    topics: Object.entries(config.readings ?? {}).map(([name, t]) =>
      compileTopic(name, t, codesOf),
    ),
    ...(codes ? { medicationCodes: codes } : {}),
  };
}

/** What the engine derives for one evaluation (plain JSON: it may cross to a worker). */
export function derive(
  d: Derivation,
  input: {
    bundle: Bundle;
    draftOrder: MedicationRequest;
    otherDraftOrders: MedicationRequest[];
    now: Date;
  },
): Derived {
  const codes = d.medicationCodes;
  const records = medicationRecords(
    input.bundle,
    input.draftOrder,
    input.otherDraftOrders,
    input.now,
    codes ? (cs) => cs.some((c) => codes.has(c)) : undefined,
  );
  const lines =
    d.config.linesOfTherapy && d.agents
      ? linesOfTherapy(records, d.config.linesOfTherapy, d.agents)
      : undefined;
  const readings =
    d.topics.length > 0 || d.config.regimens
      ? readingsOf(input.bundle, input.draftOrder, d.topics, d.config.regimens)
      : undefined;
  return {
    medicationRecords: records,
    ...(lines ? { lines } : {}),
    ...(readings ? { readings } : {}),
  };
}

function code(key: string): Code {
  const i = key.lastIndexOf('|');
  return new Code(key.slice(i + 1), key.slice(0, i));
}

function dateTime(value: string | null): DateTime | null {
  if (value === null) return null;
  try {
    return parseDateTime(value);
  } catch {
    return null;
  }
}

/** The derived data as CQL parameter values. */
export function derivedParameters(d: Derived): Record<string, unknown> {
  return {
    'Medication Records': d.medicationRecords.map((r) => ({
      ...r,
      codes: r.codes.map(code),
      startDate: dateTime(r.start),
    })),
    // Always passed (empty when not configured), so the CQL never meets a null list.
    'Lines Of Therapy': (d.lines ?? []).map((l) => ({ ...l, startDate: dateTime(l.start) })),
    'Text Readings': (d.readings ?? []).map((r) => ({
      ...r,
      at: dateTime(r.at),
      percent: r.percent ?? null,
      comparator: r.comparator ?? null,
    })),
  };
}
