import {
  compileFormula,
  explain,
  FormulaError,
  MAX_CRITERIA,
  statusAs,
  type CriterionStatus,
} from '../../../src/policy/formula';
import { explanationProblems } from '../../kit/explanation-oracle';
import { content } from '../../support';

const STATUSES: CriterionStatus[] = ['met', 'not-met', 'unknown'];

/** The explanation as a card's extension carries it, for the independent oracle. */
function asExtension(text: string, criteria: string[], statuses: Record<string, CriterionStatus>) {
  const formula = compileFormula(text, criteria);
  const e = explain(formula, statuses);
  const outcome =
    e.value === true
      ? 'criteria-met'
      : e.value === false
        ? 'criteria-not-met'
        : 'documentation-needed';
  return {
    outcome,
    formula: text,
    decidedBy: e.decidedBy,
    ...(e.approvingBranch ? { approvingBranch: e.approvingBranch } : {}),
    ...(e.blockingCriteria ? { blockingCriteria: e.blockingCriteria } : {}),
    ...(e.missingSets ? { missingSets: e.missingSets } : {}),
    criteria: criteria.map((id) => ({
      id,
      role: formula.roles[id]!,
      status: statusAs(formula.roles[id]!, statuses[id]!),
    })),
  };
}

describe('compileFormula', () => {
  it('reads roles and branches: an id under "not" is an exclusion', () => {
    const f = compileFormula('not X and (A or (B and C))', ['A', 'B', 'C', 'X']);
    expect(f.roles).toEqual({ X: 'exclusion', A: 'inclusion', B: 'inclusion', C: 'inclusion' });
    expect(f.branches).toEqual([
      [
        { id: 'X', positive: false },
        { id: 'A', positive: true },
      ],
      [
        { id: 'X', positive: false },
        { id: 'B', positive: true },
        { id: 'C', positive: true },
      ],
    ]);
  });

  it('pushes a "not" over a group by De Morgan', () => {
    const f = compileFormula('not (A or B)', ['A', 'B']);
    expect(f.branches).toEqual([
      [
        { id: 'A', positive: false },
        { id: 'B', positive: false },
      ],
    ]);
  });

  it.each([
    ['I or', /ends too early/],
    ['(I', /not closed/],
    ['()', /"\)" where a criterion id was expected/],
    ['I II', /unexpected "II"/],
    ['I - II', /unexpected "-"/],
    ['I or Z', /names Z, which is not a criterion/],
    ['I', /does not use II/],
    ['I and not I or II', /uses I both with and without "not"/],
  ])('refuses %j', (text, message) => {
    expect(() => compileFormula(text, ['I', 'II'])).toThrow(FormulaError);
    expect(() => compileFormula(text, ['I', 'II'])).toThrow(message);
  });

  it(`refuses a formula of more than ${MAX_CRITERIA} criteria (what decides is found over subsets)`, () => {
    const ids = Array.from({ length: MAX_CRITERIA + 1 }, (_, i) => `C${i}`);
    expect(() => compileFormula(ids.join(' or '), ids)).toThrow(/at most 16/);
  });
});

describe('explain: what decides', () => {
  const ELREXFIO = 'I or (II and III and IV)';
  const ids = ['I', 'II', 'III', 'IV'];

  it('names the failing criteria of the main branch, not a one-criterion age branch', () => {
    // An adult whose myeloma is not relapsed and whose ECOG is 3.
    const e = explain(compileFormula(ELREXFIO, ids), {
      I: 'not-met',
      II: 'not-met',
      III: 'met',
      IV: 'not-met',
    });
    expect(e.value).toBe(false);
    expect(e.decidedBy).toEqual(['II', 'IV']);
    expect(e.blockingCriteria).toEqual(['I', 'II', 'IV']);
  });

  it('names an exclusion that blocks every branch alone, and nothing else', () => {
    const f = compileFormula('not X and (A or B)', ['A', 'B', 'X']);
    const e = explain(f, { X: 'met', A: 'not-met', B: 'met' });
    expect(e).toMatchObject({ value: false, decidedBy: ['X'], blockingCriteria: ['X'] });
  });

  it('names the inclusions of the approving branch in the summary, the branch with its exclusions', () => {
    const f = compileFormula('not X and (A or B)', ['A', 'B', 'X']);
    const e = explain(f, { X: 'not-met', A: 'unknown', B: 'met' });
    expect(e).toMatchObject({ value: true, approvingBranch: ['X', 'B'], decidedBy: ['B'] });
  });

  it('gives the smallest missing sets, smallest first', () => {
    const e = explain(compileFormula(ELREXFIO, ids), {
      I: 'unknown',
      II: 'unknown',
      III: 'unknown',
      IV: 'met',
    });
    expect(e).toMatchObject({ value: null, missingSets: [['I'], ['II', 'III']], decidedBy: ['I'] });
  });
});

describe('explain agrees with an independent reading of the formula', () => {
  /** Every assignment of statuses to the ids (3^n). */
  function* assignments(list: string[]): Generator<Record<string, CriterionStatus>> {
    const n = list.length;
    for (let k = 0; k < 3 ** n; k++) {
      const a: Record<string, CriterionStatus> = {};
      let rest = k;
      for (const id of list) {
        a[id] = STATUSES[rest % 3]!;
        rest = Math.floor(rest / 3);
      }
      yield a;
    }
  }

  it.each(content().policies.map((p) => [p.definition.id, p.definition] as const))(
    '%s: every combination of statuses (sampled beyond 6 criteria)',
    (_id, definition) => {
      const all = [...assignments(definition.criteria)];
      // A deterministic sample of at most 400 combinations (all of them for small formulas).
      const step = Math.max(1, Math.floor(all.length / 400));
      const problems: string[] = [];
      for (let i = 0; i < all.length; i += step) {
        const statuses = all[i]!;
        const ext = asExtension(definition.formula, definition.criteria, statuses);
        for (const p of explanationProblems(ext))
          problems.push(`${JSON.stringify(statuses)}: ${p}`);
      }
      expect(problems).toEqual([]);
    },
  );
});
