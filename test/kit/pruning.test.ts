import type { Bundle } from 'fhir/r4';
import { parseOrderSignRequest } from '../../src/cds/parse';
import { readableBy } from '../../src/engine/evaluator';
import type { Policy } from '../../src/policy/load';
import type { Content } from '../../src/services/content';
import { evaluateMatches, type Evaluation } from '../../src/services/evaluate-matches';
import { gather, select } from '../../src/services/order-sign';
import { inProcessDeps, LOCAL_CALL } from '../../tools/in-process';
import { allScenarioFiles, content, deriveFor, evaluateInProcess, NOW, scenario } from '../support';

/**
 * `medicationsOnlyThroughValueSets` (cards/<policy>.json) leaves out, before evaluation, the
 * medication records coded in none of the library's value sets. That is only sound when those
 * records cannot change the result: here every kit scenario is evaluated with and without the
 * pruning, and the PolicyResults must be identical.
 */
const shipped = content();
const flagged = shipped.policies.filter(
  (p) => p.definition.medicationsOnlyThroughValueSets === true,
);
const files = allScenarioFiles();

/** The policy with a program that reads every medication record. */
function unpruned(policy: Policy): Policy {
  return {
    ...policy,
    program: shipped.engine.program(policy.definition.library.name, {
      medicationsOnlyThroughValueSets: false,
      ...(policy.definition.derived ? { derived: policy.definition.derived } : {}),
    }),
  };
}

/** The shipped content with every policy unpruned. */
const withoutPruning: Content = {
  ...shipped,
  policies: shipped.policies.map((p) => (flagged.includes(p) ? unpruned(p) : p)),
};

/** What an evaluation concluded, or the error that stopped it. */
function outcomeOf(e: Evaluation): unknown {
  return e.result ?? { error: e.error?.message };
}

/**
 * Every draft order of a scenario evaluated against `policy`, whichever policy the scenario is
 * for, over the record the service gathers for the scenario's request (its prefetch).
 */
async function evaluateOn(
  policy: Policy,
  file: string,
): Promise<{ bundle: Bundle; evaluations: Evaluation[] }> {
  const deps = inProcessDeps(shipped, NOW);
  const request = parseOrderSignRequest(scenario(file).request, shipped.service, deps.limits);
  const { orders, matches: selected } = select(request, shipped.policies);
  const data = await gather(deps, request, selected, LOCAL_CALL);
  const matches = orders.map((order) => ({ policy, order, matchedBy: 'code' as const }));
  const evaluations = await evaluateMatches(deps.evaluator(), matches, orders, {
    patientId: request.context.patientId,
    bundle: data.bundle,
    now: NOW,
  });
  return { bundle: data.bundle, evaluations };
}

/** How many resources of the record a program reads: retrieved, or as derived medication records. */
function readCount(program: Policy['program'], bundle: Bundle): number {
  const derived = deriveFor(program, bundle, NOW);
  return (readableBy(program, bundle).entry?.length ?? 0) + derived.medicationRecords.length;
}

describe('pruning medication records outside the value sets', () => {
  it('is set for at least one shipped policy, and the unpruned programs read every medication record', () => {
    expect(flagged.length).toBeGreaterThan(0);
    expect(files.length).toBeGreaterThan(0);
    for (const p of flagged) {
      expect(p.program.medicationCodes).toBeInstanceOf(Set);
      expect(unpruned(p).program.medicationCodes).toBeUndefined();
    }
  });

  it.each(files)('changes no result of the service for %s', async (file) => {
    const { request } = scenario(file);
    expect(await evaluateInProcess(request, NOW, withoutPruning)).toEqual(
      await evaluateInProcess(request, NOW, shipped),
    );
  });

  describe.each(flagged.map((p) => [p.definition.id, p] as const))(
    '%s, evaluated on every scenario of the kit',
    (_id, policy) => {
      it.each(files)('%s: the same PolicyResults with and without pruning', async (file) => {
        const { bundle, evaluations } = await evaluateOn(policy, file);
        const other = unpruned(policy);
        const again = await evaluateMatches(
          shipped.engine.evaluator.evaluate,
          evaluations.map((e) => ({ ...e.match, policy: other })),
          evaluations.map((e) => e.match.order),
          { patientId: scenario(file).request.context.patientId, bundle, now: NOW },
        );
        expect(evaluations.length).toBeGreaterThan(0);
        expect(again.map(outcomeOf)).toEqual(evaluations.map(outcomeOf));
      });

      it('leaves records out in some scenario (so the comparison above is not vacuous)', async () => {
        const other = unpruned(policy);
        const removed: string[] = [];
        for (const file of files) {
          const { bundle } = await evaluateOn(policy, file);
          if (readCount(policy.program, bundle) < readCount(other.program, bundle))
            removed.push(file);
        }
        expect(removed.length).toBeGreaterThan(0);
      });
    },
  );
});
