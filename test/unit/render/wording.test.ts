import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContentError } from '../../../src/platform/errors';
import { DEFAULT_CONTENT } from '../../../src/platform/paths';
import { loadContent } from '../../../src/services/content';
import { defaultWording, fill, loadWording, WORDING_FILE } from '../../../src/render/wording';
import { content, escapeRegExp } from '../../support';

const SHIPPED = JSON.parse(
  fs.readFileSync(path.join(DEFAULT_CONTENT.cardsDir, WORDING_FILE), 'utf8'),
);

/** A copy of the shipped cards folder whose wording file is changed by `edit`. */
function cardsWith(edit: (json: any) => void | string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pa-wording-'));
  fs.cpSync(DEFAULT_CONTENT.cardsDir, dir, { recursive: true });
  const json = structuredClone(SHIPPED);
  const replaced = edit(json);
  fs.writeFileSync(
    path.join(dir, WORDING_FILE),
    typeof replaced === 'string' ? replaced : JSON.stringify(json),
  );
  return dir;
}

describe('the wording file', () => {
  it('is loaded with the content, once, and is what the default wording reads', () => {
    expect(content().wording).toEqual(loadWording(DEFAULT_CONTENT.cardsDir));
    expect(defaultWording()).toBe(defaultWording());
    expect(defaultWording()).toEqual(content().wording);
  });

  it('holds every status word for criteria and exclusions in the evaluate tool', () => {
    const { wording } = content();
    for (const words of [wording.evaluateTool.status, wording.evaluateTool.exclusionStatus]) {
      expect(Object.keys(words).sort()).toEqual(['met', 'not-met', 'unknown']);
    }
  });

  it.each([
    ['not JSON', () => '{ nope', /not valid JSON/],
    [
      'a misspelt placeholder',
      (j: any) => void (j.card.linkLabel = '${documentNumbr} criteria'),
      /field "card\.linkLabel": unknown placeholder \$\{documentNumbr\}; known: documentNumber/,
    ],
    [
      'a placeholder the template cannot have',
      (j: any) => void (j.card.nameMatchNotice = 'Matched ${drugName}'),
      /field "card\.nameMatchNotice": unknown placeholder \$\{drugName\}; known: none/,
    ],
    [
      'a missing text',
      (j: any) => void delete j.errorCard.summary,
      /field "errorCard\.summary" must be non-empty text/,
    ],
    [
      'a blank status word',
      (j: any) => void (j.evaluateTool.exclusionStatus.met = ' '),
      /field "evaluateTool\.exclusionStatus\.met" must be non-empty text/,
    ],
    [
      'a missing outcome reason',
      (j: any) => void delete j.coverageInformation.reason['criteria-not-met'],
      /field "coverageInformation\.reason\.criteria-not-met" must be non-empty text/,
    ],
    [
      'an unknown field',
      (j: any) => void (j.card.nextStepHeading = 'x'),
      /field "card" has an unknown field "nextStepHeading"/,
    ],
    [
      'a section that is not an object',
      (j: any) => void (j.policyPage = 'x'),
      /field "policyPage" must be an object/,
    ],
  ])('refuses %s, naming the file and field', (_name, edit, message) => {
    const dir = cardsWith(edit as (json: any) => void | string);
    const file = escapeRegExp(path.join(dir, WORDING_FILE));
    expect(() => loadWording(dir)).toThrow(ContentError);
    expect(() => loadWording(dir)).toThrow(new RegExp(`^${file}: ${message.source}`));
    // The service does not start with it either.
    expect(() => loadContent({ ...DEFAULT_CONTENT, cardsDir: dir })).toThrow(
      new RegExp(`^${file}: `),
    );
  });

  it('refuses a cards folder without one', () => {
    const dir = cardsWith(() => undefined);
    fs.rmSync(path.join(dir, WORDING_FILE));
    expect(() => loadWording(dir)).toThrow(
      new RegExp(`^${escapeRegExp(path.join(dir, WORDING_FILE))}: not readable JSON`),
    );
  });

  it('fills templates, leaving an unknown placeholder empty and values as they are', () => {
    expect(fill('${a} and ${b}.', { a: '$& ${b}' })).toBe('$& ${b} and .');
  });
});
