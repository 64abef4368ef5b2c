import { cardDecisions, feedbackRecords } from '../../src/cds/feedback';
import type { Card } from '../../src/cds/types';

/** The pure parts of recording: which cards are decisions, and how feedback joins them. */
const card = (uuid: string, extra: Partial<Card> & Record<string, unknown> = {}): Card => ({
  uuid,
  summary: 's',
  detail: 'd',
  indicator: 'warning',
  source: { label: 'l' },
  ...extra,
});

const REASON = (code: string) => ({ system: 'http://example.org/r', code, display: code });

describe('cardDecisions', () => {
  it('takes policy and outcome from prior-auth-criteria, else prior-auth-instructions, and skips other cards', () => {
    const cards = [
      card('criteria', {
        extension: {
          'prior-auth-criteria': { policy: 'P1', outcome: 'criteria-not-met', criteria: [] },
        },
        overrideReasons: [REASON('a'), REASON('b')],
      }),
      card('instructions', {
        extension: {
          'prior-auth-instructions': {
            policy: 'P1',
            outcome: 'documentation-needed',
            forCard: 'criteria',
          },
        },
      }),
      card('plain'),
      card('half', { extension: { 'prior-auth-criteria': { policy: 'P1' } } }),
    ];
    expect(cardDecisions(cards)).toEqual([
      { card: 'criteria', policy: 'P1', outcome: 'criteria-not-met', overrideReasons: ['a', 'b'] },
      { card: 'instructions', policy: 'P1', outcome: 'documentation-needed', overrideReasons: [] },
    ]);
  });

  it('keeps only the codes of well-formed offered reasons', () => {
    const [d] = cardDecisions([
      card('c', {
        extension: { 'prior-auth-criteria': { policy: 'P', outcome: 'error' } },
        overrideReasons: [REASON('ok'), { display: 'no code' }, null, 'text'] as any,
      }),
    ]);
    expect(d?.overrideReasons).toEqual(['ok']);
  });
});

describe('feedbackRecords', () => {
  const decisions = new Map([
    [
      'known',
      {
        card: 'known',
        policy: 'P1',
        outcome: 'criteria-not-met',
        hookInstance: 'h-1',
        decidedAt: '2026-06-15T11:59:00.000Z',
        overrideReasons: ['a'],
      },
    ],
  ]);
  const at = new Date('2026-06-15T12:00:00Z');
  const item = (card: string, code?: string) => ({
    card,
    outcome: 'overridden' as const,
    outcomeTimestamp: '2026-06-15T12:00:00Z',
    ...(code ? { overrideReason: { reason: { code } } } : {}),
  });

  it('joins each item to its decision; reasonOffered says if the code was offered, null without code or decision', () => {
    const records = feedbackRecords(
      'svc',
      [item('known', 'a'), item('known', 'z'), item('known'), item('unknown', 'a')],
      at,
      decisions,
    );
    expect(
      records.map((r) => [r.policy, r.decisionOutcome, r.hookInstance, r.reasonOffered]),
    ).toEqual([
      ['P1', 'criteria-not-met', 'h-1', true],
      ['P1', 'criteria-not-met', 'h-1', false],
      ['P1', 'criteria-not-met', 'h-1', null],
      [null, null, null, null],
    ]);
    expect(records[0]).toMatchObject({
      receivedAt: '2026-06-15T12:00:00.000Z',
      service: 'svc',
      card: 'known',
      decidedAt: '2026-06-15T11:59:00.000Z',
    });
  });
});
