import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Decision } from '../../src/ports';
import { countRates, type FeedbackLine } from '../../tools/feedback-rates';

/** `npm run feedback-rates`: its counting, and the tool run as a process over real files. */
const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

const decision = (card: string, policy: string, outcome: string): Decision => ({
  card,
  service: 'prior-auth-criteria',
  policy,
  outcome,
  hookInstance: `h-${card}`,
  decidedAt: '2026-06-15T12:00:00.000Z',
  overrideReasons: ['documented-elsewhere', 'urgent-clinical-need'],
});

const fb = (
  card: string,
  outcome: 'accepted' | 'overridden',
  minute: number,
  code?: string,
  joined: { policy: string | null; decisionOutcome: string | null } = {
    policy: null,
    decisionOutcome: null,
  },
): FeedbackLine => ({
  card,
  outcome,
  outcomeTimestamp: `2026-06-15T12:${String(minute).padStart(2, '0')}:00Z`,
  ...(code ? { overrideReason: { reason: { code } } } : {}),
  ...joined,
});

const DECISIONS = [
  decision('c1', 'P-A', 'criteria-met'),
  decision('c2', 'P-A', 'criteria-met'),
  decision('c3', 'P-A', 'criteria-met'),
  decision('c7', 'P-A', 'criteria-met'), // no feedback
  decision('c4', 'P-A', 'criteria-not-met'),
  decision('c5', 'P-A', 'criteria-not-met'),
  decision('c6', 'P-B', 'documentation-needed'),
];

const FEEDBACK = [
  fb('c1', 'accepted', 1),
  fb('c2', 'accepted', 1),
  fb('c2', 'overridden', 5, 'documented-elsewhere'), // later: counts
  fb('c3', 'overridden', 9, 'x-other'),
  fb('c3', 'accepted', 2), // received later, but decided earlier: does not count
  fb('c4', 'overridden', 3, 'urgent-clinical-need'),
  fb('c5', 'overridden', 3, 'urgent-clinical-need'),
  fb('c6', 'overridden', 3), // no reason code
  fb('c9', 'accepted', 3), // unknown card
  // not in the decision log (any more), but joined when the feedback arrived
  fb('c10', 'accepted', 3, undefined, { policy: 'P-B', decisionOutcome: 'documentation-needed' }),
];

describe('countRates', () => {
  it('counts cards, the latest feedback per card, rates of feedback and of cards, and top override reasons', () => {
    const report = countRates(DECISIONS, FEEDBACK);
    expect(report.feedbackItems).toBe(10);
    expect(report.supersededItems).toBe(2);
    expect(report.rows).toEqual([
      {
        policy: 'P-A',
        decisionOutcome: 'criteria-met',
        cardsReturned: 4,
        feedback: 3,
        accepted: 1,
        overridden: 2,
        acceptanceRate: 0.3333,
        overrideRate: 0.6667,
        acceptanceRateOfReturned: 0.25,
        overrideRateOfReturned: 0.5,
        topOverrideReasons: [
          { code: 'documented-elsewhere', count: 1 },
          { code: 'x-other', count: 1 },
        ],
      },
      {
        policy: 'P-A',
        decisionOutcome: 'criteria-not-met',
        cardsReturned: 2,
        feedback: 2,
        accepted: 0,
        overridden: 2,
        acceptanceRate: 0,
        overrideRate: 1,
        acceptanceRateOfReturned: 0,
        overrideRateOfReturned: 1,
        topOverrideReasons: [{ code: 'urgent-clinical-need', count: 2 }],
      },
      {
        policy: 'P-B',
        decisionOutcome: 'documentation-needed',
        cardsReturned: 1,
        feedback: 2,
        accepted: 1,
        overridden: 1,
        acceptanceRate: 0.5,
        overrideRate: 0.5,
        acceptanceRateOfReturned: 1,
        overrideRateOfReturned: 1,
        topOverrideReasons: [{ code: '(no reason code)', count: 1 }],
      },
      {
        policy: '(unknown card)',
        decisionOutcome: '-',
        cardsReturned: 0,
        feedback: 1,
        accepted: 1,
        overridden: 0,
        acceptanceRate: 1,
        overrideRate: 0,
        acceptanceRateOfReturned: null,
        overrideRateOfReturned: null,
        topOverrideReasons: [],
      },
    ]);
  });

  it('leaves out lines that are not records of their kind (null, a number, an array, a half-record)', () => {
    const clean = countRates([decision('c1', 'P', 'criteria-met')], [fb('c1', 'accepted', 1)]);
    const noisy = countRates(
      [null, 42, ['x'], { card: 'c9' }, decision('c1', 'P', 'criteria-met')] as never,
      [null, 42, [], { card: 'c1', outcome: 'maybe' }, fb('c1', 'accepted', 1)] as never,
    );
    expect(noisy).toEqual(clean);
  });

  it('lists at most five override reasons, most frequent first', () => {
    const codes = ['a', 'b', 'b', 'c', 'c', 'c', 'd', 'e', 'f', 'g'];
    const report = countRates(
      codes.map((_, i) => decision(`k${i}`, 'P', 'criteria-not-met')),
      codes.map((code, i) => fb(`k${i}`, 'overridden', 1, code)),
    );
    expect(report.rows[0]!.topOverrideReasons).toEqual([
      { code: 'c', count: 3 },
      { code: 'b', count: 2 },
      { code: 'a', count: 1 },
      { code: 'd', count: 1 },
      { code: 'e', count: 1 },
    ]);
  });
});

describe('npm run feedback-rates', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pa-rates-'));
  const env = {
    ...process.env,
    DECISION_LOG: path.join(dir, 'decisions.jsonl'),
    FEEDBACK_LOG: path.join(dir, 'feedback.jsonl'),
  };
  const jsonl = (values: object[]) => values.map((v) => JSON.stringify(v) + '\n').join('');
  fs.writeFileSync(env.DECISION_LOG, jsonl(DECISIONS));
  fs.writeFileSync(env.FEEDBACK_LOG, jsonl(FEEDBACK));
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [TSX, 'tools/feedback-rates.ts', ...args], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
    });

  it('reads the logs named by DECISION_LOG and FEEDBACK_LOG and prints the counts as JSON', () => {
    const r = run('--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(countRates(DECISIONS, FEEDBACK));
  });

  it('prints a table by default', () => {
    const r = run();
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^policy\s+decision outcome\s+cards\s+feedback\s+accepted\s+overridden/,
    );
    expect(lines[1]).toMatch(
      /^P-A\s+criteria-met\s+4\s+3\s+1\s+2\s+33\.3%\s+66\.7%\s+25\.0%\s+50\.0%\s+documented-elsewhere \(1\), x-other \(1\)$/,
    );
    expect(r.stdout).toMatch(/10 feedback item\(s\) read; 2 superseded/);
  });

  it('refuses an unknown argument', () => {
    const r = run('--csv');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown argument --csv/);
  });
});
