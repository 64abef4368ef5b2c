import fs from 'node:fs';
import path from 'node:path';
import { statusAs } from '../../src/policy/formula';
import { readInput } from '../../tools/scenarios';
import type { Scenario } from '../../tools/scenarios';
import { content, kit, PATIENTS } from '../support';

/**
 * The test kit must exercise each criterion of each document as met, not met and unknown (where
 * the data rules allow that status) and every outcome of each formula. Computed from the files,
 * so deleting a scenario that was the only witness of a branch fails here.
 */

/** Statuses a data rule can never produce (see cql/README.md), per policy and criterion, with the reason: test/patients/kit.json. */
const IMPOSSIBLE: Record<string, Record<string, string[]>> = Object.fromEntries(
  kit().policies.map((p) => [
    p.id,
    Object.fromEntries(Object.entries(p.impossible).map(([id, rule]) => [id, rule.statuses])),
  ]),
);

const runtime = content();

describe('test kit exceptions (test/patients/kit.json)', () => {
  it.each(
    kit().policies.flatMap((p) =>
      Object.entries(p.impossible).map(([id, rule]) => [p.id, id, rule] as const),
    ),
  )('%s %s names a loaded policy and criterion, and says why', (policy, id, rule) => {
    expect(runtime.policies.find((p) => p.definition.id === policy)?.definition.criteria).toContain(
      id,
    );
    expect(rule.statuses.length).toBeGreaterThan(0);
    expect(rule.reason).toMatch(/\S/);
  });
});

describe.each(runtime.policies.map((p) => p.definition))('test kit for $id', (definition) => {
  const dir = path.join(PATIENTS, definition.id);
  const scenarios = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => readInput(path.join(dir, f)) as Scenario);

  it('covers every outcome of the formula', () => {
    const outcomes = new Set(scenarios.map((s) => s.expected.outcome));
    expect([...outcomes].sort()).toEqual([
      'criteria-met',
      'criteria-not-met',
      'documentation-needed',
    ]);
  });

  const { roles } = runtime.policies.find((p) => p.definition === definition)!.formula;
  it.each(definition.criteria)('covers criterion %s as met, not met and unknown', (id) => {
    const seen = new Set(scenarios.map((s) => s.expected.criteria[id]).filter(Boolean));
    // Exclusions in their own words: applies, does not apply, unknown.
    const expected = (['met', 'not-met', 'unknown'] as const)
      .filter((st) => !IMPOSSIBLE[definition.id]?.[id]?.includes(st))
      .map((st) => statusAs(roles[id]!, st));
    expect([...seen].sort()).toEqual(expected.sort());
  });

  it('names only criteria the document has', () => {
    for (const s of scenarios) {
      for (const id of Object.keys(s.expected.criteria)) expect(definition.criteria).toContain(id);
    }
  });
});

describe('data rules v2 (test/patients/kit.json "rules")', () => {
  const { about, ...rules } = (kit() as unknown as { rules: Record<string, string[] | string> })
    .rules;

  it('says what it is', () => expect(about).toMatch(/\S/));

  it.each(Object.entries(rules))('rule %s names scenarios that exist', (_rule, files) => {
    expect(Array.isArray(files) && files.length > 0).toBe(true);
    for (const f of files as string[]) expect(fs.existsSync(path.join(PATIENTS, f))).toBe(true);
  });

  it.each(Object.entries(rules))(
    'rule %s has scenarios with more than one outcome for its criteria',
    (_rule, files) => {
      const statuses = new Set(
        (files as string[]).flatMap((f) =>
          Object.values((readInput(path.join(PATIENTS, f)) as Scenario).expected.criteria),
        ),
      );
      expect(statuses.size).toBeGreaterThan(1);
    },
  );
});
