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
  /** The drug as a card summary names it ("Elrexfio"); the drug field when absent. */
  shortName?: string;
  document: {
    number: string;
    title: string;
    status?: string;
    published: string;
    lastReviewed?: string;
    /** The version's name (default: lastReviewed, else published). */
    version?: string;
    /** The first day the version is in force (default: published). */
    effective?: string;
    /** The document's text, a file under the cards folder, served at /policies/{id}/document. */
    source?: string;
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
  /** What would settle each criterion: shown when it is to be documented, or when it blocks. */
  nextSteps: Record<string, string>;
  /** The words of each criterion, by id (every criterion has them). */
  criteriaWords: Record<string, CriterionWords>;
  /**
   * A Boolean CQL definition: true when no diagnosis of the policy's disease is on record (the
   * order is off-label as documented). Carried in the extension as `offLabel`.
   */
  offLabel?: string;
  /** Notes every card of the policy carries, as the document states them (e.g. a REMS). */
  notes?: string[];
  /** What this version is, for the policy page's version list (never on cards). */
  versionNote?: string;
  /** The DTR documentation form (a FHIR Questionnaire under the cards folder). */
  questionnaire?: string;
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

/** How a criterion reads: in the document, in a summary that it blocks, in one that asks for it. */
export interface CriterionWords {
  /** The document's words. */
  text: string;
  /** The data rule in a sentence (the policy page shows it). */
  dataRule: string;
  /** The summary's reason when it blocks ("ECOG above 2"; an exclusion: "ordered for DLBCL"). */
  blocks: string;
  /** The summary's "document …" object ("an ECOG from the last 30 days"). */
  missing: string;
}

export interface CardTemplate {
  when: string;
  indicator: Indicator;
  /**
   * The Da Vinci CRD response type: "external-reference" (the default; links to the policy page)
   * or "instructions" (text only: no links, no suggestions).
   */
  type?: 'external-reference' | 'instructions';
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
  'shortName',
  'outcome',
  /** What decides, in words: the blocking reason, or what to document. */
  'decides',
  /** The ids that decide ("II, III, IV"; "exclusion X.I"). */
  'decidedBy',
  /** Markdown lines: the approving branch's evidence, what blocks, or what to document. */
  'explanation',
  /** The policy's notes, one paragraph. */
  'notes',
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
    type: z
      .enum(['external-reference', 'instructions'], {
        error: 'must be external-reference or instructions',
      })
      .optional(),
  },
  { error: 'must be an object' },
);

const CRITERION_WORDS = z.strictObject(
  { text, dataRule: text, blocks: text, missing: text },
  { error: 'must be an object with text, dataRule, blocks and missing' },
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
      shortName: text.optional(),
      formula: text,
      document: z.looseObject(
        {
          number: text,
          title: text,
          published: text,
          status: z.string({ error: 'must be a string' }).optional(),
          lastReviewed: z.string({ error: 'must be a string' }).optional(),
          version: text.optional(),
          effective: text.optional(),
          source: text.optional(),
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
      criteriaWords: z.record(z.string(), CRITERION_WORDS, {
        error: 'must map criterion ids to their words',
      }),
      offLabel: text.optional(),
      notes: strings('must list notes as text').optional(),
      versionNote: text.optional(),
      questionnaire: text.optional(),
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
    for (const key of ['nextSteps', 'criteriaWords'] as const) {
      for (const id of Object.keys(d[key])) {
        if (!d.criteria.includes(id))
          ctx.addIssue({ code: 'custom', path: [key, id], message: `: no criterion ${id}` });
      }
    }
    for (const id of d.criteria) {
      if (!d.criteriaWords[id])
        ctx.addIssue({
          code: 'custom',
          path: ['criteriaWords'],
          message: `has no words for ${id}`,
        });
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
  const mustBeBoolean = (name: string, at: string) => {
    const def = elmDefs.find((d) => d.name === name);
    if (!def)
      throw new ContentError(
        file,
        `field "${at}": library "${definition.library.name}" does not define "${name}"`,
      );
    if (def.resultTypeName !== '{urn:hl7-org:elm-types:r1}Boolean')
      throw new ContentError(file, `field "${at}": "${name}" is not a Boolean definition`);
  };
  if (definition.offLabel) mustBeBoolean(definition.offLabel, 'offLabel');
  definition.cards.forEach((card, i) => {
    mustBeBoolean(card.when, `cards[${i}].when`);
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
