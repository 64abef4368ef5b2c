import path from 'node:path';
import { z } from 'zod';
import { ContentError } from '../platform/errors';
import { readJsonFile } from '../platform/json-file';
import { DEFAULT_CONTENT } from '../platform/paths';
import { nonEmptyString, parseShape } from '../platform/shape';
import { BUILT_IN_PLACEHOLDERS } from '../policy/definition';

/** The service's own words (statuses, headings, notices, the error card, CRD reasons, the policy page), under the cards folder. */
export const WORDING_FILE = path.join('wording', 'wording.json');

const PLACEHOLDER = /\$\{([^}]*)\}/g;

/** Text with ${placeholders} filled in; a placeholder without a value is left empty. */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (_m, name: string) => values[name] ?? '');
}

/** Non-empty text that may use only the named placeholders (none: fixed text). */
function template(...names: readonly string[]) {
  return nonEmptyString('must be non-empty text').superRefine((text, ctx) => {
    for (const [, name] of text.matchAll(PLACEHOLDER)) {
      if (!names.includes(name ?? '')) {
        ctx.addIssue({
          code: 'custom',
          message: `: unknown placeholder \${${name}}; known: ${names.join(', ') || 'none'}`,
        });
      }
    }
  });
}

/** An object with exactly these fields (an unknown field is likely a misspelt one). */
function fields<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `has an unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`
        : 'must be an object',
  });
}

const text = template();
const statusWords = fields({ met: text, 'not-met': text, unknown: text });
/** What a card-level template (like a policy's own card templates) may use, besides drugName. */
const cardPlaceholders = [...BUILT_IN_PLACEHOLDERS, 'drugName'];

const WORDING = fields({
  about: z.string().optional(),
  card: fields({
    documentLabel: template('documentNumber', 'documentTitle', 'published', 'reviewed'),
    /** The `reviewed` part of documentLabel, when the document has a last-reviewed date. */
    documentReviewed: template('lastReviewed'),
    linkLabel: template('documentNumber'),
    /** A criterion of the approving branch, or one that blocks, with what the record showed. */
    explanationLine: template('label', 'detail'),
    /** Blocking criteria the summary does not name (other branches fail on them too). */
    alsoBlocking: template('items'),
    alsoBlockingItem: template('label', 'detail'),
    /** A criterion to document: what settles it, and what the record shows now. */
    missingLine: template('label', 'step', 'found'),
    /** The `found` part of missingLine, when the record shows something. */
    missingFound: template('detail'),
    /** The other smallest sets of criteria whose documentation would approve. */
    otherMissingSets: template('sets'),
    /** How a card names an exclusion criterion. */
    exclusionLabel: template('id'),
    /** Joins the last two items of a list ("A, B and C"). */
    and: text,
    /** Joins alternatives ("I; or III and IV"). */
    or: text,
    /** The summary's `decides` when the words make it too long: the criteria by id. */
    criteriaById: template('ids'),
    /** One of the policy's notes (e.g. a REMS). */
    note: template('note'),
    /** Put before the detail of a card for an order recognised by drug name only. */
    nameMatchNotice: text,
    /** Summary and detail when none of the policy's card templates applies. */
    fallbackSummary: template(...cardPlaceholders),
    fallbackDetail: template(...cardPlaceholders),
  }),
  /** CDS Hooks overrideReasons on warning cards (each needs a display). */
  overrideReasons: fields({
    system: text,
    codes: z.array(fields({ code: text, display: text }), { error: 'must list codes' }).min(1, {
      error: 'must list codes',
    }),
  }),
  /** The card for an order whose evaluation failed. */
  errorCard: fields({
    summary: template('shortName', 'drugName', 'policy', 'drug', 'document'),
    detail: template('shortName', 'drugName', 'policy', 'drug', 'document'),
  }),
  /** Da Vinci CRD coverage-information: the reason per outcome, and the system action. */
  coverageInformation: fields({
    /** reason.text per outcome; ${deciding} names the criteria that decide (CRD 2.2 shape). */
    reason: fields({
      'criteria-met': template('documentNumber', 'deciding'),
      'criteria-not-met': template('documentNumber', 'deciding'),
      'documentation-needed': template('documentNumber', 'deciding'),
      /** Criteria met with the payer's real-time determination on: PA satisfied. */
      satisfied: template('documentNumber', 'deciding'),
      /** The evaluation could not be completed (CRD 2.2: indeterminate, reason technical). */
      error: template('documentNumber'),
    }),
    /** The qualification of the CRD 2.2 policy-link detail. */
    policyLinkQualification: template('documentNumber', 'version'),
    actionDescription: text,
  }),
  /** The policy page (HTML; placeholder values are escaped). */
  policyPage: fields({
    status: template('status', 'published', 'reviewed'),
    /** The `reviewed` part of status, when the document has a last-reviewed date. */
    reviewed: template('lastReviewed'),
    formula: template('formula'),
    library: template('library', 'version'),
    criterionColumn: text,
    textColumn: text,
    roleColumn: text,
    dataRuleColumn: text,
    nextStepColumn: text,
    inclusion: text,
    exclusion: text,
    notesHeading: text,
    documentLink: template('documentNumber'),
    versionsHeading: text,
    /** One row of the version list: its name and the order dates it is in force for. */
    versionRow: template('version', 'period'),
    /** The period of the only version on file. */
    periodAll: text,
    /** The oldest version's period when newer ones are on file. */
    periodUntil: template('until'),
    periodBetween: template('from', 'until'),
    /** The newest version's period. */
    periodFrom: template('from'),
    /** Marks the version the page shows. */
    shown: text,
  }),
  /** What `npm run evaluate` prints per criterion (exclusions: applies / does not apply). */
  evaluateTool: fields({ status: statusWords, exclusionStatus: statusWords }),
});

export type Wording = z.infer<typeof WORDING>;

/** Loads and checks the wording in cardsDir; anything wrong throws a ContentError naming the file and field. */
export function loadWording(cardsDir: string): Wording {
  const file = path.join(cardsDir, WORDING_FILE);
  const raw = readJsonFile(file, (at, message) => new ContentError(at, message));
  return parseShape(
    WORDING,
    raw,
    (message) => new ContentError(file, message),
    (at) => `field "${at}"`,
  );
}

let shipped: Wording | undefined;

/** The wording of the default content folder, loaded once: for callers not yet handed the loaded Content's wording. */
export function defaultWording(): Wording {
  shipped ??= loadWording(DEFAULT_CONTENT.cardsDir);
  return shipped;
}
