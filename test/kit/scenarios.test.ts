import path from 'node:path';
import { statusAs } from '../../src/policy/formula';
import { allScenarioFiles, content, evaluateInProcess, scenario } from '../support';

/**
 * The policy test kit: every file under test/patients/<policy-id>/ is an order-sign request plus
 * what the policy must conclude. Each runs through the service's own pipeline (parse → select →
 * gather → evaluate), in process, with the request's prefetch as the only data.
 */
/**
 * Today, the kit's evaluation time, except on the first and the last two days of a month, when it
 * is the 15th of this month: scenarios with partial birth dates ("$year(-19)", "the birthday
 * straddles the year") mean what they say only away from month and year ends (and Feb 29).
 */
function kitNow(today = new Date()): Date {
  const day = today.getUTCDate();
  const last = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + 1, 0)).getUTCDate();
  if (day > 1 && day < last - 1) return today;
  const moved = new Date(today);
  moved.setUTCDate(15);
  return moved;
}
const NOW = kitNow();

describe.each(allScenarioFiles())('%s', (file) => {
  const s = scenario(file, NOW);

  it('is filed under the policy it tests', () => {
    expect(file.split(path.sep)[0]).toBe(s.expected.policy);
  });

  it(s.description, async () => {
    const results = await evaluateInProcess(s.request, NOW);
    const result = results.find((r) => r.policy === s.expected.policy);
    expect(result).toBeDefined();
    const { formula } = content().policies.find((p) => p.definition.id === s.expected.policy)!;
    const statuses = Object.fromEntries(
      result!.criteria.map((c) => [c.id, statusAs(formula.roles[c.id]!, c.status)]),
    );
    expect(statuses).toMatchObject(s.expected.criteria);
    expect(result!.outcome).toBe(s.expected.outcome);
    for (const [id, refs] of Object.entries(s.expected.evidence ?? {})) {
      const criterion = result!.criteria.find((c) => c.id === id);
      expect(criterion?.evidence).toEqual(expect.arrayContaining(refs));
    }
  });
});
