import { dayOf } from './medication-records';
import type { Line, LinesConfig, MedicationRecord } from './types';

/*
 * Data rule v2, lines of therapy (rule 7; cql/README.md "Lines of therapy"):
 *  - exposures are history records of the configured agents (steroids are not agents), each at
 *    its start day;
 *  - records sharing a groupIdentifier are one unit starting at its earliest record (a group only
 *    merges, it never starts a line by itself); every other record is a unit of its own;
 *  - units are walked in start order. The first starts line 1. A line's regimen is the agents of
 *    units starting within windowDays (inclusive) after its first start, plus carried agents:
 *    agents of the previous line with a record within windowDays (inclusive) before the new
 *    line's first start. A later unit continues the line when all its agents are in the regimen,
 *    joins the regimen when it starts inside the window, and otherwise starts a new line;
 *  - checked first: more than gapDays between record start days with no record in between
 *    starts a new line, even with the same agents.
 */

/** A history record classified as one or more agents. */
export interface Exposure {
  ref: string | null;
  day: number;
  agents: string[];
  groupId: string | null;
}

interface Unit {
  start: number;
  agents: Set<string>;
  records: Exposure[];
}

interface OpenLine {
  first: number;
  regimen: Set<string>;
  records: { day: number; agents: string[]; ref: string | null }[];
}

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a "YYYY-MM-DD" day. */
export function dayNumber(day: string): number {
  return Math.round(Date.parse(`${day}T00:00:00Z`) / DAY_MS);
}

function unitsOf(exposures: Exposure[]): Unit[] {
  const groups = new Map<string, Unit>();
  const units: Unit[] = [];
  for (const e of exposures) {
    const known = e.groupId !== null ? groups.get(e.groupId) : undefined;
    if (known) {
      known.start = Math.min(known.start, e.day);
      e.agents.forEach((a) => known.agents.add(a));
      known.records.push(e);
      continue;
    }
    const unit: Unit = { start: e.day, agents: new Set(e.agents), records: [e] };
    if (e.groupId !== null) groups.set(e.groupId, unit);
    units.push(unit);
  }
  // Stable: units starting the same day keep the record order.
  return units
    .map((u, i) => ({ u, i }))
    .sort((a, b) => a.u.start - b.u.start || a.i - b.i)
    .map((x) => x.u);
}

function carried(previous: OpenLine | undefined, start: number, windowDays: number): string[] {
  if (!previous) return [];
  const out = new Set<string>();
  for (const r of previous.records)
    if (r.day <= start && r.day >= start - windowDays) r.agents.forEach((a) => out.add(a));
  return [...out];
}

function add(line: OpenLine, unit: Unit): void {
  unit.agents.forEach((a) => line.regimen.add(a));
  for (const r of unit.records) line.records.push({ day: r.day, agents: r.agents, ref: r.ref });
}

/** Walks the exposures into lines of therapy. */
export function walkLines(exposures: Exposure[], config: LinesConfig): OpenLine[] {
  const lines: OpenLine[] = [];
  let lastDay = Number.NEGATIVE_INFINITY;
  for (const unit of unitsOf(exposures)) {
    const current = lines[lines.length - 1];
    const gap = unit.start - lastDay > config.gapDays;
    const continues = current && [...unit.agents].every((a) => current.regimen.has(a));
    const joins = current && unit.start <= current.first + config.windowDays;
    if (current && !gap && (continues || joins)) add(current, unit);
    else {
      const line: OpenLine = {
        first: unit.start,
        regimen: new Set(carried(current, unit.start, config.windowDays)),
        records: [],
      };
      add(line, unit);
      lines.push(line);
    }
    for (const r of unit.records) lastDay = Math.max(lastDay, r.day);
  }
  return lines;
}

/** The agent table of a policy, compiled once: code ("system|code") → agents. */
export type AgentTable = Map<string, string[]>;

export function buildAgentTable(
  config: LinesConfig,
  codesOf: (valueSet: string) => string[],
): AgentTable {
  const table: AgentTable = new Map();
  for (const agent of config.agents)
    for (const code of codesOf(agent.valueSet)) {
      const known = table.get(code) ?? [];
      if (!known.includes(agent.name)) known.push(agent.name);
      table.set(code, known);
    }
  return table;
}

/** Lines of therapy from the medication records (history only), as the CQL reads them. */
export function linesOfTherapy(
  records: MedicationRecord[],
  config: LinesConfig,
  agents: AgentTable,
): Line[] {
  const classOf = new Map(config.agents.map((a) => [a.name, a.class]));
  const exposures: Exposure[] = [];
  for (const r of records) {
    const day = dayOf(r.start);
    if (!r.history || day === null) continue;
    const found = new Set(r.codes.flatMap((c) => agents.get(c) ?? []));
    if (found.size > 0)
      exposures.push({ ref: r.ref, day: dayNumber(day), agents: [...found], groupId: r.groupId });
  }
  exposures.sort((a, b) => a.day - b.day);
  return walkLines(exposures, config).map((l, i) => {
    const agentsOfLine = [...l.regimen].filter((a) => l.records.some((r) => r.agents.includes(a)));
    return {
      number: i + 1,
      start: new Date(l.first * DAY_MS).toISOString().slice(0, 10),
      agents: agentsOfLine,
      classes: [...new Set(agentsOfLine.map((a) => classOf.get(a) ?? 'other'))],
      refs: [...new Set(l.records.flatMap((r) => (r.ref ? [r.ref] : [])))],
    };
  });
}
