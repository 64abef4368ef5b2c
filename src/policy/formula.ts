/**
 * A policy's formula ("I or (II and III and IV)", "not X.I and (...)") read once at load, and the
 * explanation of a three-valued result against it: which branch approves, which criteria block
 * every branch, and the smallest sets of undocumented criteria that could still approve.
 *
 * The formula is turned into its branches (disjunctive normal form): each branch is a list of
 * literals, a criterion that must be met or, under `not`, an exclusion that must not apply. Kleene
 * logic distributes, so the branches give the same three-valued answer as the formula itself.
 */

export type Role = 'inclusion' | 'exclusion';

/** A criterion's three-valued status, as the policy library reports it. */
export type CriterionStatus = 'met' | 'not-met' | 'unknown';

/** A criterion's status as people read it: an exclusion applies or does not apply. */
export type ReadStatus = CriterionStatus | 'applies' | 'does-not-apply';

/** The status in the words of the criterion's role (an exclusion that is met applies). */
export function statusAs(role: Role, status: CriterionStatus): ReadStatus {
  if (role === 'inclusion') return status;
  return status === 'met' ? 'applies' : status === 'not-met' ? 'does-not-apply' : 'unknown';
}

export interface Literal {
  id: string;
  /** false: the literal is `not id` (an exclusion: approvable only when it does not apply). */
  positive: boolean;
}

export interface Formula {
  text: string;
  /** Every criterion id, in the order the formula names them. */
  ids: string[];
  /** The role of each criterion: exclusion when the formula names it under `not`. */
  roles: Record<string, Role>;
  branches: Literal[][];
}

type Node =
  { kind: 'id'; id: string } | { kind: 'not'; of: Node } | { kind: 'and' | 'or'; of: Node[] };

export class FormulaError extends Error {}

/** The most criteria a formula may name: what blocks is found among subsets of the failing ones. */
export const MAX_CRITERIA = 16;

const TOKEN = /\s*(\(|\)|[A-Za-z0-9][A-Za-z0-9.]*)/y;
const KEYWORDS = new Set(['and', 'or', 'not']);

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) throw new FormulaError(`unexpected "${text.slice(at).trim()[0]}" at ${at + 1}`);
    tokens.push(m[1] as string);
  }
  return tokens;
}

/** Recursive descent: or := and ("or" and)*; and := unary ("and" unary)*; unary := "not" unary | id | "(" or ")". */
function parse(text: string): Node {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const take = () => tokens[i++];
  const list = (kind: 'and' | 'or', next: () => Node): Node => {
    const of = [next()];
    while (peek()?.toLowerCase() === kind) {
      take();
      of.push(next());
    }
    return of.length === 1 ? (of[0] as Node) : { kind, of };
  };
  const unary = (): Node => {
    const t = take();
    if (t === undefined) throw new FormulaError('ends too early');
    if (t.toLowerCase() === 'not') return { kind: 'not', of: unary() };
    if (t === '(') {
      const inner = or();
      if (take() !== ')') throw new FormulaError('a "(" is not closed');
      return inner;
    }
    if (t === ')' || KEYWORDS.has(t.toLowerCase()))
      throw new FormulaError(`"${t}" where a criterion id was expected`);
    return { kind: 'id', id: t };
  };
  const and = () => list('and', unary);
  const or = (): Node => list('or', and);
  const node = or();
  if (i < tokens.length) throw new FormulaError(`unexpected "${tokens[i]}"`);
  return node;
}

/** Branches of a node (negations pushed to the ids by De Morgan). */
function branchesOf(node: Node, negated = false): Literal[][] {
  switch (node.kind) {
    case 'id':
      return [[{ id: node.id, positive: !negated }]];
    case 'not':
      return branchesOf(node.of, !negated);
    default: {
      const conjunction = (node.kind === 'and') !== negated;
      const parts = node.of.map((n) => branchesOf(n, negated));
      if (!conjunction) return parts.flat();
      return parts.reduce<Literal[][]>(
        (acc, part) => acc.flatMap((a) => part.map((b) => [...a, ...b])),
        [[]],
      );
    }
  }
}

/** Reads a formula over the given criterion ids; every id must be a criterion and every criterion used. */
export function compileFormula(text: string, criteria: readonly string[]): Formula {
  const branches = branchesOf(parse(text));
  const ids: string[] = [];
  const roles: Record<string, Role> = {};
  for (const l of branches.flat()) {
    if (!criteria.includes(l.id)) throw new FormulaError(`names ${l.id}, which is not a criterion`);
    const role: Role = l.positive ? 'inclusion' : 'exclusion';
    if (roles[l.id] && roles[l.id] !== role)
      throw new FormulaError(`uses ${l.id} both with and without "not"`);
    if (!roles[l.id]) ids.push(l.id);
    roles[l.id] = role;
  }
  if (ids.length > MAX_CRITERIA)
    throw new FormulaError(
      `names ${ids.length} criteria; at most ${MAX_CRITERIA} (what decides is worked out over their subsets)`,
    );
  const unused = criteria.filter((c) => !roles[c]);
  if (unused.length > 0) throw new FormulaError(`does not use ${unused.join(', ')}`);
  return { text, ids, roles, branches };
}

type Truth = true | false | null;

function truth(l: Literal, status: CriterionStatus | undefined): Truth {
  if (status === 'met') return l.positive;
  if (status === 'not-met') return !l.positive;
  return null;
}

export interface Explanation {
  value: Truth;
  /** criteria-met: the ids of the first branch that is wholly true, in formula order. */
  approvingBranch?: string[];
  /** criteria-not-met: every id that is in some smallest-by-inclusion set blocking every branch. */
  blockingCriteria?: string[];
  /** documentation-needed: the inclusion-minimal sets of unknown ids whose documentation approves, smallest first. */
  missingSets?: string[][];
  /** The ids the card's summary names: the one thing that decides. */
  decidedBy: string[];
}

const inOrder = (formula: Formula, ids: Iterable<string>) => {
  const set = new Set(ids);
  return formula.ids.filter((id) => set.has(id));
};

/** Inclusion-minimal sets that hit every one of `sets` (brute force: formulas have a handful of criteria). */
function minimalHittingSets(sets: Set<string>[], universe: string[]): string[][] {
  const found: Set<string>[] = [];
  const n = universe.length;
  const subsets: string[][] = [];
  for (let mask = 1; mask < 1 << n; mask++)
    subsets.push(universe.filter((_, i) => (mask >> i) & 1));
  subsets.sort((a, b) => a.length - b.length);
  for (const s of subsets) {
    const chosen = new Set(s);
    if (!sets.every((set) => [...set].some((id) => chosen.has(id)))) continue;
    if (found.some((f) => [...f].every((id) => chosen.has(id)))) continue;
    found.push(chosen);
  }
  return found.map((f) => [...f]);
}

/** Explains a result: the formula's value from the statuses, and what decides it. */
export function explain(
  formula: Formula,
  statuses: Readonly<Record<string, CriterionStatus>>,
): Explanation {
  const scored = formula.branches.map((branch) => {
    const values = branch.map((l) => truth(l, statuses[l.id]));
    return {
      ids: branch.map((l) => l.id),
      falseIds: branch.filter((_, i) => values[i] === false).map((l) => l.id),
      unknownIds: branch.filter((_, i) => values[i] === null).map((l) => l.id),
      trueCount: values.filter((v) => v === true).length,
    };
  });
  const approving = scored.find((b) => b.falseIds.length === 0 && b.unknownIds.length === 0);
  if (approving) {
    const ids = inOrder(formula, approving.ids);
    // The summary names what approves; an exclusion that does not apply is part of the branch.
    const decidedBy = ids.filter((id) => formula.roles[id] === 'inclusion');
    return { value: true, approvingBranch: ids, decidedBy };
  }
  const open = scored.filter((b) => b.falseIds.length === 0);
  if (open.length > 0) {
    const candidates = open.map((b) => new Set(b.unknownIds));
    const minimal = candidates.filter(
      (c, i) =>
        !candidates.some(
          (o, j) =>
            j !== i &&
            [...o].every((id) => c.has(id)) &&
            (o.size < c.size || (o.size === c.size && j < i)),
        ),
    );
    const missingSets = minimal.map((c) => inOrder(formula, c)).sort((a, b) => a.length - b.length);
    return { value: null, missingSets, decidedBy: missingSets[0] ?? [] };
  }
  const falseSets = scored.map((b) => new Set(b.falseIds));
  const universe = inOrder(
    formula,
    falseSets.flatMap((s) => [...s]),
  );
  const hitting = minimalHittingSets(falseSets, universe);
  const blockingCriteria = inOrder(formula, hitting.flat());
  // The one thing that decides: a criterion that blocks every branch alone (an exclusion first),
  // else what fails in the branch that came closest: the most criteria in favour, then the
  // larger branch (the document's main indication, not a one-criterion alternative such as an
  // age limit), then the fewest failing.
  const singles = hitting.filter((h) => h.length === 1).flat();
  const single =
    singles.find((id) => formula.roles[id] === 'exclusion') ?? inOrder(formula, singles)[0];
  let decidedBy: string[];
  if (single) decidedBy = [single];
  else {
    const closest = [...scored].sort(
      (a, b) =>
        b.trueCount - a.trueCount ||
        b.ids.length - a.ids.length ||
        a.falseIds.length - b.falseIds.length,
    )[0];
    decidedBy = inOrder(formula, closest?.falseIds ?? blockingCriteria);
  }
  return { value: false, blockingCriteria, decidedBy };
}
