import { z } from 'zod';
import type { Indicator } from '../cds/types';
import type { DerivedConfig } from '../engine/derive';
import type { ElmDefinition } from '../engine/elm';
import { ContentError } from '../platform/errors';
import { nonEmptyString, parseShape, whole } from '../platform/shape';
import type { OrderPaths } from './order-reader';

/** The policy definition in cards/<policy-id>.json. */
export interface PolicyDefinition {
  id: string;
  title: string;
  drug: string;
  document: {
    number: string;
    title: string;
    status?: string;
    published: string;
    lastReviewed?: string;
  };
  library: { name: string; version: string };
  formula: string;
  criteria: string[];
  /** Criteria that are reasons NOT to approve : met means the exclusion applies. */
  exclusions?: string[];
  triggers: { valueSet: string; names: string[] };
  /** Keys of the service's prefetch templates this policy reads (see cards/service.json). */
  prefetch: string[];
  /** FHIRPath (R4) for what the policy reads from the draft order. */
  order: OrderPaths;
  /** Card templates; the first whose `when` (a Boolean CQL definition) is true is used. */
  cards: CardTemplate[];
  /** What to document next, per criterion id, shown when the criterion is not met or unknown. */
  nextSteps: Record<string, string>;
  /**
   * The library looks at medication records only through its value sets (it classifies drugs,
   * never counts records as such). Then a MedicationRequest, MedicationStatement or
   * MedicationAdministration whose inline drug codes are in none of them (and that references no
   * Medication) cannot change the result, and is left out before evaluation.
   */
  medicationsOnlyThroughValueSets?: boolean;
  /**
   * Data the engine derives from the record before the CQL runs (lines of therapy, readings of
   * free text): see src/engine/derive/types.ts and cql/README.md.
   */
  derived?: DerivedConfig;
}

export interface CardTemplate {
  when: string;
  indicator: Indicator;
  /** Text with ${placeholders}; under 140 characters once filled (longer is cut to 139). */
  summary: string;
  /** Markdown with ${placeholders}. */
  detail: string;
}

/** Placeholders every card template may use, besides the policy's own order fields. */
export const BUILT_IN_PLACEHOLDERS = [
  'policy',
  'document',
  'drug',
  'outcome',
  'criteria',
  'nextSteps',
] as const;

/** The fixed result contract every policy library exposes. */
export const CONTRACT = ['Outcome', 'Approvable', 'Criteria'] as const;

const text = nonEmptyString();
/** A list of strings; anything else is `message` on the field itself. */
const strings = (message: string, min = 0) => whole(z.array(z.string()).min(min), message);

const CARD_TEMPLATE = z.looseObject(
  {
    when: text,
    summary: text,
    detail: text,
    indicator: z.enum(['info', 'warning', 'critical'], {
      error: 'must be info, warning or critical',
    }),
  },
  { error: 'must be an object' },
);

const READING_TOPIC = z.object(
  {
    kind: z.enum(['antigen', 'rearrangement', 'mrd'], {
      error: 'must be antigen, rearrangement or mrd',
    }),
    aliases: strings('must list how text names the topic', 1),
    tests: strings('must list value set URLs').optional(),
    reports: strings('must list codes as "system|code"').optional(),
    geneStudied: z.string({ error: 'must be a code as "system|code"' }).optional(),
  },
  { error: 'must be an object' },
);

const DERIVED: z.ZodType<DerivedConfig> = z.object(
  {
    linesOfTherapy: z
      .object(
        {
          agents: z.array(
            z.object({ name: text, class: text, valueSet: text }, { error: 'must be an object' }),
            { error: 'must list agents' },
          ),
          windowDays: z.number().int().min(0),
          gapDays: z.number().int().min(0),
        },
        { error: 'must be an object' },
      )
      .optional(),
    readings: z
      .record(z.string(), READING_TOPIC, { error: 'must map topics to readings' })
      .optional(),
    regimens: z
      .record(z.string(), z.object({ names: strings('must list regimen names', 1) }), {
        error: 'must map topics to regimen names',
      })
      .optional(),
  },
  { error: 'must be an object' },
);

const POLICY_DEFINITION: z.ZodType<PolicyDefinition> = z
  .looseObject(
    {
      id: text,
      title: text,
      drug: text,
      formula: text,
      document: z.looseObject(
        {
          number: text,
          title: text,
          published: text,
          status: z.string({ error: 'must be a string' }).optional(),
          lastReviewed: z.string({ error: 'must be a string' }).optional(),
        },
        { error: 'is required' },
      ),
      library: z.looseObject({ name: text, version: text }, { error: 'is required' }),
      criteria: strings('must list the criterion ids', 1),
      triggers: whole(
        z.looseObject({ valueSet: z.string(), names: z.array(z.string()) }),
        'needs "valueSet" and "names"',
      ),
      exclusions: strings('must list criterion ids').optional(),
      medicationsOnlyThroughValueSets: z.boolean({ error: 'must be true or false' }).optional(),
      derived: DERIVED.optional(),
      prefetch: strings('must list prefetch keys of cards/service.json'),
      nextSteps: z.record(z.string(), z.string({ error: 'must be text' }), {
        error: 'must map criterion ids to text',
      }),
      cards: z
        .array(CARD_TEMPLATE, { error: 'must list card templates' })
        .min(1, { error: 'must list card templates' }),
      // Compiled and checked field by field by compileOrderReader; here only that it is there.
      order: z.custom<OrderPaths>((v) => typeof v === 'object' && v !== null, {
        error: 'is required (FHIRPath for the medication codes and card fields)',
      }),
    },
    { error: 'must be a JSON object' },
  )
  .superRefine((d, ctx) => {
    if (d.exclusions?.some((x) => !d.criteria.includes(x)))
      ctx.addIssue({ code: 'custom', path: ['exclusions'], message: 'must list criterion ids' });
    for (const id of Object.keys(d.nextSteps)) {
      if (!d.criteria.includes(id))
        ctx.addIssue({ code: 'custom', path: ['nextSteps', id], message: `: no criterion ${id}` });
    }
  });

/** `field "<path>"`; the fields of document and library have always been named by their own key. */
const field = (path: string) => `field "${path.replace(/^(document|library)\./, '')}"`;

/** The JSON shape of a policy definition; what it names in the library is checked by validateTemplates. */
export function validateDefinition(file: string, raw: unknown): PolicyDefinition {
  return parseShape(POLICY_DEFINITION, raw, (message) => new ContentError(file, message), field);
}

const PLACEHOLDER = /\$\{([^}]*)\}/g;

/** Every `when` names a Boolean definition of the library; every placeholder is known. */
export function validateTemplates(
  file: string,
  definition: PolicyDefinition,
  elmDefs: ElmDefinition[],
): void {
  const allowed = new Set<string>([
    ...BUILT_IN_PLACEHOLDERS,
    ...Object.keys(definition.order.fields),
  ]);
  definition.cards.forEach((card, i) => {
    const def = elmDefs.find((d) => d.name === card.when);
    if (!def)
      throw new ContentError(
        file,
        `field "cards[${i}].when": library "${definition.library.name}" does not define "${card.when}"`,
      );
    if (def.resultTypeName !== '{urn:hl7-org:elm-types:r1}Boolean') {
      throw new ContentError(
        file,
        `field "cards[${i}].when": "${card.when}" is not a Boolean definition`,
      );
    }
    for (const f of ['summary', 'detail'] as const) {
      for (const [, name] of card[f].matchAll(PLACEHOLDER)) {
        if (!allowed.has(name ?? '')) {
          throw new ContentError(
            file,
            `field "cards[${i}].${f}": unknown placeholder \${${name}}; known: ${[...allowed].join(', ')}`,
          );
        }
      }
    }
    if (card.summary.replace(PLACEHOLDER, '').length >= 140)
      throw new ContentError(file, `field "cards[${i}].summary" is not under 140 characters`);
  });
}
