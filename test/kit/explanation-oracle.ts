/**
 * An oracle for card explanations, independent of src/policy/formula.ts: the policy's formula
 * text is evaluated as a plain Boolean expression over every assignment of the criteria that the
 * record leaves open, and the approving branch, blocking criteria and missing sets a card carries
 * are checked against what they claim.
 */

type Assignment = Record<string, boolean>;
type Formula = (truth: Assignment) => boolean;

/** The formula as a two-valued JS function (ids → truth lookups), written apart from the service's parser. */
export function booleanFormula(text: string): Formula {
  const js = text
    .split(/(\(|\)|\s+)/)
    .filter((t) => t.trim() !== '')
    .map((t) => {
      const word = t.toLowerCase();
      if (word === 'and') return '&&';
      if (word === 'or') return '||';
      if (word === 'not') return '!';
      if (t === '(' || t === ')') return t;
      return `v[${JSON.stringify(t)}]`;
    })
    .join(' ');
  return new Function('v', `return (${js});`) as Formula;
}

/** Every completion of `fixed` over the `free` ids. */
function* completions(fixed: Assignment, free: string[]): Generator<Assignment> {
  const n = free.length;
  for (let mask = 0; mask < 1 << n; mask++) {
    const a = { ...fixed };
    free.forEach((id, i) => (a[id] = ((mask >> i) & 1) === 1));
    yield a;
  }
}

function always(f: Formula, fixed: Assignment, free: string[], value: boolean): boolean {
  for (const a of completions(fixed, free)) if (f(a) !== value) return false;
  return true;
}

function subsets<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let mask = 0; mask < 1 << items.length; mask++)
    out.push(items.filter((_, i) => (mask >> i) & 1));
  return out;
}

export interface ExtensionCriterion {
  id: string;
  role: 'inclusion' | 'exclusion';
  status: string;
}

export interface Explained {
  outcome: string;
  formula: string;
  decidedBy: string[];
  approvingBranch?: string[];
  blockingCriteria?: string[];
  missingSets?: string[][];
  criteria: ExtensionCriterion[];
}

/** What is wrong with an extension's explanation; empty when it holds. */
export function explanationProblems(ext: Explained): string[] {
  const problems: string[] = [];
  const f = booleanFormula(ext.formula);
  const ids = ext.criteria.map((c) => c.id);
  const role = Object.fromEntries(ext.criteria.map((c) => [c.id, c.role]));
  // The criterion's truth (an exclusion that applies is true), or undefined when unknown.
  const known: Assignment = {};
  for (const c of ext.criteria) {
    if (['met', 'applies'].includes(c.status)) known[c.id] = true;
    else if (['not-met', 'does-not-apply'].includes(c.status)) known[c.id] = false;
  }
  const unknown = ids.filter((id) => !(id in known));
  const favourable = (id: string) => role[id] === 'inclusion';
  const pick = (set: string[]) => Object.fromEntries(set.map((id) => [id, known[id] as boolean]));
  const freeOf = (set: string[]) => ids.filter((id) => !set.includes(id));

  const allTrue = always(f, known, unknown, true);
  const allFalse = always(f, known, unknown, false);
  const expected = allTrue
    ? 'criteria-met'
    : allFalse
      ? 'criteria-not-met'
      : 'documentation-needed';
  if (ext.outcome !== expected) problems.push(`outcome ${ext.outcome}, formula gives ${expected}`);

  if (ext.outcome === 'criteria-met') {
    const branch = ext.approvingBranch ?? [];
    if (branch.length === 0) problems.push('no approving branch');
    if (branch.some((id) => known[id] !== favourable(id)))
      problems.push(`approving branch ${branch} holds a criterion that is not in its favour`);
    if (!always(f, pick(branch), freeOf(branch), true))
      problems.push(`approving branch ${branch} does not approve whatever the rest says`);
    for (const id of branch) {
      const without = branch.filter((x) => x !== id);
      if (always(f, pick(without), freeOf(without), true))
        problems.push(`approving branch ${branch} approves without ${id}`);
    }
  }

  if (ext.outcome === 'criteria-not-met') {
    const blocking = ext.blockingCriteria ?? [];
    if (blocking.length === 0) problems.push('no blocking criteria');
    if (!always(f, pick(blocking), freeOf(blocking), false))
      problems.push(`blocking ${blocking} do not block whatever the rest says`);
    for (const id of blocking) {
      if (known[id] === undefined || known[id] === favourable(id))
        problems.push(`blocking ${id} is not against approval`);
      const needed = subsets(blocking).some(
        (s) =>
          s.includes(id) &&
          always(f, pick(s), freeOf(s), false) &&
          !always(f, pick(s.filter((x) => x !== id)), freeOf(s.filter((x) => x !== id)), false),
      );
      if (!needed) problems.push(`blocking ${id} is in no smallest set that blocks`);
    }
    if (!ext.decidedBy.every((id) => blocking.includes(id)))
      problems.push(`decidedBy ${ext.decidedBy} is not among the blocking ${blocking}`);
  }

  if (ext.outcome === 'documentation-needed') {
    const sets = ext.missingSets ?? [];
    // Documenting a set in favour of approval, the rest of the unknowns still open, approves.
    const approves = (set: string[]) =>
      always(
        f,
        { ...known, ...Object.fromEntries(set.map((id) => [id, favourable(id)])) },
        unknown.filter((id) => !set.includes(id)),
        true,
      );
    const minimal = subsets(unknown).filter(
      (s) => s.length > 0 && approves(s) && s.every((id) => !approves(s.filter((x) => x !== id))),
    );
    const key = (s: string[]) => [...s].sort().join('+');
    const got = sets.map(key).sort();
    const want = minimal.map(key).sort();
    if (got.join(' | ') !== want.join(' | '))
      problems.push(
        `missing sets ${got.join(' | ')}; the smallest that approve are ${want.join(' | ')}`,
      );
    for (let i = 1; i < sets.length; i++)
      if ((sets[i]?.length ?? 0) < (sets[i - 1]?.length ?? 0))
        problems.push('missing sets are not smallest first');
    if (key(ext.decidedBy) !== key(sets[0] ?? []))
      problems.push(`decidedBy ${ext.decidedBy} is not the first missing set`);
  }
  return problems;
}

/** The criterion ids a card's markdown names in bold ("**IV**", "**exclusion X.I**"). */
export function boldCriteria(detail: string, ids: string[]): string[] {
  const named = new Set<string>();
  for (const [, inner] of detail.matchAll(/\*\*([^*]+)\*\*/g))
    for (const id of ids)
      if (new RegExp(`(^|\\s)${id.replace('.', '\\.')}$`).test(inner ?? '')) named.add(id);
  return [...named];
}
