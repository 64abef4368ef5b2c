import path from 'node:path';
import { statusAs } from '../../src/policy/formula';
import { allScenarioFiles, content, evaluateInProcess, scenario } from '../support';

/**
 * The policy test kit: every file under test/patients/<policy-id>/ is an order-sign request plus
 * what the policy must conclude. Each runs through the service's own pipeline (parse → select →
 * gather → evaluate), in process, with the request's prefetch as the only data.
 */
const NOW = new Date();

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
