import { z } from 'zod';
import { BadRequestError } from '../platform/errors';
import { nonEmptyString, parseShape, whole } from '../platform/shape';
import type { Card, FeedbackItem, FeedbackRecord } from './types';

const CODING_FIELDS = ['system', 'code', 'display'] as const;

/** The override reason's Coding, keeping only its text fields. */
const REASON = z
  .looseObject({}, { error: 'must be a Coding' })
  .transform((reason) =>
    Object.fromEntries(
      CODING_FIELDS.filter((k) => typeof reason[k] === 'string').map((k) => [
        k,
        reason[k] as string,
      ]),
    ),
  );

const OVERRIDE_REASON = z.object(
  {
    reason: REASON.optional(),
    userComment: z
      .string({ error: 'must be text up to 2000 characters' })
      .max(2000, { error: 'must be text up to 2000 characters' })
      .optional(),
  },
  { error: 'must be an object' },
);

const REQUIRED = {
  card: nonEmptyString("must be the card's uuid").max(128, { error: "must be the card's uuid" }),
  outcome: z.enum(['accepted', 'overridden'], { error: 'must be "accepted" or "overridden"' }),
  outcomeTimestamp: z
    .string({ error: 'must be an ISO 8601 instant' })
    .refine((s) => !Number.isNaN(Date.parse(s)), { error: 'must be an ISO 8601 instant' }),
};

/**
 * acceptedSuggestions go with an accepted card, an overrideReason with an overridden one: checked
 * before what they hold, so a misplaced one is reported as misplaced.
 */
const ITEM = z
  .looseObject(REQUIRED, { error: 'must be an object' })
  .refine((item) => item.acceptedSuggestions === undefined || item.outcome === 'accepted', {
    error: 'is only for an accepted card',
    path: ['acceptedSuggestions'],
    abort: true,
  })
  .refine((item) => item.overrideReason === undefined || item.outcome === 'overridden', {
    error: 'is only for an overridden card',
    path: ['overrideReason'],
    abort: true,
  })
  .pipe(
    z.object({
      ...REQUIRED,
      acceptedSuggestions: whole(
        z.array(z.object({ id: z.string() })),
        'must list { "id": ... }',
      ).optional(),
      overrideReason: OVERRIDE_REASON.optional(),
    }),
  );

const FEEDBACK = z.object(
  {
    feedback: z
      .array(ITEM, { error: 'must be a non-empty array' })
      .min(1, { error: 'must be a non-empty array' })
      .max(100, { error: 'holds more than 100 items' }),
  },
  { error: 'the feedback body must be a JSON object' },
);

/** Validates a feedback body ({ feedback: [...] }); anything wrong is a 400 naming the item. */
export function parseFeedback(body: unknown): FeedbackItem[] {
  return parseShape(FEEDBACK, body, (message) => new BadRequestError(message)).feedback;
}

/** What a returned card says was decided: its policy, outcome and the override reasons it offers. */
export interface CardDecision {
  card: string;
  policy: string;
  outcome: string;
  overrideReasons: string[];
}

/** The decision facts a stored feedback item is joined to. */
export interface DecisionFacts extends CardDecision {
  hookInstance: string;
  decidedAt: string;
}

const DECISION_EXTENSIONS = ['prior-auth-criteria', 'prior-auth-instructions'] as const;

function stringField(value: unknown, key: string): string | undefined {
  const v = (value as Record<string, unknown> | null | undefined)?.[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * The decision behind each card: its `prior-auth-criteria` extension, else its
 * `prior-auth-instructions` extension (policy, outcome); cards with neither are not decisions.
 * The offered override reasons are the codes of `card.overrideReasons` (Codings), if any.
 */
export function cardDecisions(cards: readonly Card[]): CardDecision[] {
  return cards.flatMap((card) => {
    const ext = DECISION_EXTENSIONS.map((k) => card.extension?.[k]).find(
      (e) => stringField(e, 'policy') && stringField(e, 'outcome'),
    );
    if (!ext || typeof card.uuid !== 'string') return [];
    const offered: unknown = card.overrideReasons; // checked: any handler's cards pass here
    const overrideReasons = Array.isArray(offered)
      ? offered.map((c) => stringField(c, 'code')).filter((c): c is string => c !== undefined)
      : [];
    return [
      {
        card: card.uuid,
        policy: stringField(ext, 'policy')!,
        outcome: stringField(ext, 'outcome')!,
        overrideReasons,
      },
    ];
  });
}

/** The feedback items as stored: each joined to its card's decision (nulls when the card is unknown). */
export function feedbackRecords(
  service: string,
  items: readonly FeedbackItem[],
  receivedAt: Date,
  decisions: ReadonlyMap<string, DecisionFacts>,
): FeedbackRecord[] {
  return items.map((item) => {
    const decision = decisions.get(item.card);
    const code = item.overrideReason?.reason?.code;
    return {
      receivedAt: receivedAt.toISOString(),
      service,
      ...item,
      policy: decision?.policy ?? null,
      decisionOutcome: decision?.outcome ?? null,
      hookInstance: decision?.hookInstance ?? null,
      decidedAt: decision?.decidedAt ?? null,
      reasonOffered:
        decision && code !== undefined ? decision.overrideReasons.includes(code) : null,
    };
  });
}
