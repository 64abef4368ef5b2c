import fs from 'node:fs';
import path from 'node:path';
import { readInput } from '../../tools/scenarios';
import type { Scenario } from '../../tools/scenarios';
import { content, PATIENTS } from '../support';

/**
 * The test kit must exercise each criterion of each document as met, not met and unknown (where
 * the data rules allow that status) and every outcome of each formula. Computed from the files,
 * so deleting a scenario that was the only witness of a branch fails here.
 */

/** Statuses a data rule can never produce (see cql/README.md). */
const IMPOSSIBLE: Record<string, Record<string, string[]>> = {
  // III: fewer lines found is unknown, never not-met for mere absence.
  'CC-0248': { III: ['not-met'] },
  // II.B: no TKI on record is unknown (the combination may be ordered later), never not-met.
  'CC-0126': { 'II.B': ['not-met'] },
};

const runtime = content();

describe.each(runtime.policies.map((p) => p.definition))('test kit for $id', (definition) => {
  const dir = path.join(PATIENTS, definition.id);
  const scenarios = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => readInput(path.join(dir, f)) as Scenario);

  it('covers every outcome of the formula', () => {
    const outcomes = new Set(scenarios.map((s) => s.expected.outcome));
    expect([...outcomes].sort()).toEqual(['criteria-met', 'criteria-not-met', 'documentation-needed']);
  });

  it.each(definition.criteria)('covers criterion %s as met, not met and unknown', (id) => {
    const seen = new Set(scenarios.map((s) => s.expected.criteria[id]).filter(Boolean));
    const expected = ['met', 'not-met', 'unknown'].filter((st) => !IMPOSSIBLE[definition.id]?.[id]?.includes(st));
    expect([...seen].sort()).toEqual(expected.sort());
  });

  it('names only criteria the document has', () => {
    for (const s of scenarios) {
      for (const id of Object.keys(s.expected.criteria)) expect(definition.criteria).toContain(id);
    }
  });
});
