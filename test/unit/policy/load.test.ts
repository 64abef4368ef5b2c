import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContentError } from '../../../src/platform/errors';
import { DEFAULT_CONTENT } from '../../../src/platform/paths';
import { loadContent } from '../../../src/services/content';
import { escapeRegExp, examplePolicy, kit } from '../../support';

/** A copy of the shipped content in a temp dir, changed by `edit`, then loaded. */
function loadEdited(edit: (dir: { cards: string; elm: string; valuesets: string }) => void) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pa-content-'));
  const dirs = {
    cards: path.join(root, 'cards'),
    elm: path.join(root, 'elm'),
    valuesets: path.join(root, 'valuesets'),
  };
  fs.cpSync(DEFAULT_CONTENT.cardsDir, dirs.cards, { recursive: true });
  fs.cpSync(DEFAULT_CONTENT.elmDir, dirs.elm, { recursive: true });
  fs.cpSync(DEFAULT_CONTENT.valueSetDir, dirs.valuesets, { recursive: true });
  edit(dirs);
  return () =>
    loadContent({
      cardsDir: dirs.cards,
      elmDir: dirs.elm,
      valueSetDir: dirs.valuesets,
      cqlDir: DEFAULT_CONTENT.cqlDir,
    });
}

function editJson(file: string, change: (json: Record<string, any>) => void): void {
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  change(json);
  fs.writeFileSync(file, JSON.stringify(json));
}

/** Two shipped policies to break: the file names and id the messages must name. */
const elrexfio = examplePolicy('myelomaMet');
const blincyto = examplePolicy('allMet');
const ELREXFIO_FILE = path.basename(elrexfio.file);
const BLINCYTO_FILE = path.basename(blincyto.file);
const ELREXFIO_ID = elrexfio.definition.id;

describe('policy content loading', () => {
  it('loads the shipped policies pinned in test/patients/kit.json with their criteria in document order', () => {
    const { policies } = loadContent();
    const pinned = kit().policies;
    expect(pinned.length).toBeGreaterThan(0);
    expect(policies.map((p) => [p.definition.id, p.definition.criteria])).toEqual(
      pinned.map((p) => [p.id, p.criteria]),
    );
    expect(policies.every((p) => p.triggerCodes.size > 0)).toBe(true);
  });

  it.each([
    [
      'a definition that is not JSON',
      (d: any) => fs.writeFileSync(path.join(d.cards, ELREXFIO_FILE), '{ nope'),
      new RegExp(`${escapeRegExp(ELREXFIO_FILE)}: not valid JSON`),
    ],
    [
      'a definition without criteria',
      (d: any) => editJson(path.join(d.cards, ELREXFIO_FILE), (j) => delete j.criteria),
      new RegExp(`${escapeRegExp(ELREXFIO_FILE)}: field "criteria"`),
    ],
    [
      'a library with no ELM',
      (d: any) => fs.rmSync(path.join(d.elm, 'ElrexfioPriorAuth.json')),
      /library "ElrexfioPriorAuth" has no compiled ELM/,
    ],
    [
      'a library version mismatch',
      (d: any) => editJson(path.join(d.cards, BLINCYTO_FILE), (j) => (j.library.version = '2.0.0')),
      /is version 1\.0\.0, not 2\.0\.0/,
    ],
    [
      'a missing value set',
      (d: any) => fs.rmSync(path.join(d.valuesets, 'dlbcl.json')),
      /value set http:\/\/example\.org\/fhir\/pa-cds\/ValueSet\/dlbcl \("DLBCL"\) is not in cql\/valuesets/,
    ],
    [
      'an unknown trigger value set',
      (d: any) =>
        editJson(path.join(d.cards, BLINCYTO_FILE), (j) => (j.triggers.valueSet = 'http://x/vs')),
      /"triggers\.valueSet": no value set http:\/\/x\/vs/,
    ],
    [
      'a duplicate policy id',
      (d: any) => editJson(path.join(d.cards, BLINCYTO_FILE), (j) => (j.id = ELREXFIO_ID)),
      new RegExp(
        `duplicate policy id ${escapeRegExp(ELREXFIO_ID)} \\(also in [^)]+\\); a version of a policy "extends" its file`,
      ),
    ],
  ])('refuses %s, naming the file', (_name, edit, message) => {
    const load = loadEdited(edit);
    expect(load).toThrow(ContentError);
    expect(load).toThrow(message);
  });
});

describe('card summary templates (CDS Hooks: a summary is under 140 characters)', () => {
  /** Loads the content with the first card template's summary set to `summary`. */
  const withSummary = (summary: string) =>
    loadEdited((d) =>
      editJson(path.join(d.cards, ELREXFIO_FILE), (j) => (j.cards[0].summary = summary)),
    );

  it('accepts a summary template of 139 characters besides its placeholders', () => {
    expect(withSummary(`\${drugName}${'x'.repeat(139)}`)).not.toThrow();
  });

  it('refuses one of 141 characters, naming the file and field', () => {
    const load = withSummary(`\${drugName}${'x'.repeat(141)}`);
    expect(load).toThrow(ContentError);
    expect(load).toThrow(
      new RegExp(`${escapeRegExp(ELREXFIO_FILE)}: field "cards\\[0\\]\\.summary" is not under 140`),
    );
  });

  // CDS Hooks: a summary is under 140 characters, so a template of 140 can never be shown whole.
  it('refuses one of exactly 140 characters', () => {
    expect(withSummary(`\${drugName}${'x'.repeat(140)}`)).toThrow(ContentError);
  });
});
