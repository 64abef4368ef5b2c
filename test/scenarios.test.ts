import fs from 'node:fs';
import path from 'node:path';
import { evaluateOrders, patientBundleFromPrefetch } from '../src/evaluate-request';
import { loadRuntime } from '../src/runtime';
import { readJsonFile, resolveRelativeDates, type Scenario } from '../src/scenarios';

/**
 * The policy test kit: every file under test/patients/<policy-id>/ is an order-sign request plus
 * what the policy must conclude. Each runs through the same evaluation module the service uses.
 */
const PATIENTS = path.join(__dirname, 'patients');
const NOW = new Date();

const files = fs
  .readdirSync(PATIENTS)
  .flatMap((dir) => fs.readdirSync(path.join(PATIENTS, dir)).filter((f) => f.endsWith('.json')).map((f) => path.join(dir, f)))
  .sort();

const runtime = loadRuntime();

describe.each(files)('%s', (file) => {
  const scenario = resolveRelativeDates(readJsonFile(path.join(PATIENTS, file)) as Scenario, NOW);

  it('is filed under the policy it tests', () => {
    expect(file.split(path.sep)[0]).toBe(scenario.expected.policy);
  });

  it(scenario.description, async () => {
    const bundle = patientBundleFromPrefetch(scenario.request);
    const results = await evaluateOrders(runtime, scenario.request.context.draftOrders, bundle, NOW);
    const result = results.find((r) => r.result.policy === scenario.expected.policy)?.result;
    expect(result).toBeDefined();
    const statuses = Object.fromEntries(result!.criteria.map((c) => [c.id, c.status]));
    expect(statuses).toMatchObject(scenario.expected.criteria);
    expect(result!.outcome).toBe(scenario.expected.outcome);
    for (const [id, refs] of Object.entries(scenario.expected.evidence ?? {})) {
      const criterion = result!.criteria.find((c) => c.id === id);
      expect(criterion?.evidence).toEqual(expect.arrayContaining(refs));
    }
  });
});
