import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContentError } from '../../../src/platform/errors';
import { DEFAULT_CONTENT } from '../../../src/platform/paths';
import { loadContent } from '../../../src/services/content';

/** A copy of the shipped content in a temp dir, changed by `edit`, then loaded. */
function loadEdited(edit: (dir: { cards: string; elm: string; valuesets: string }) => void) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pa-content-'));
  const dirs = { cards: path.join(root, 'cards'), elm: path.join(root, 'elm'), valuesets: path.join(root, 'valuesets') };
  fs.cpSync(DEFAULT_CONTENT.cardsDir, dirs.cards, { recursive: true });
  fs.cpSync(DEFAULT_CONTENT.elmDir, dirs.elm, { recursive: true });
  fs.cpSync(DEFAULT_CONTENT.valueSetDir, dirs.valuesets, { recursive: true });
  edit(dirs);
  return () => loadContent({ cardsDir: dirs.cards, elmDir: dirs.elm, valueSetDir: dirs.valuesets });
}

function editJson(file: string, change: (json: Record<string, any>) => void): void {
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  change(json);
  fs.writeFileSync(file, JSON.stringify(json));
}

describe('policy content loading', () => {
  it('loads both shipped policies with their criteria in document order', () => {
    const { policies } = loadContent();
    expect(policies.map((p) => [p.definition.id, p.definition.criteria])).toEqual([
      ['CC-0126', ['I', 'II.A', 'II.B', 'II.C', 'II.D', 'III', 'IV', 'V', 'X.I']],
      ['CC-0248', ['I', 'II', 'III', 'IV']],
    ]);
    expect(policies.every((p) => p.triggerCodes.size > 0)).toBe(true);
  });

  it.each([
    ['a definition that is not JSON', (d: any) => fs.writeFileSync(path.join(d.cards, 'CC-0248.json'), '{ nope'), /CC-0248\.json: not valid JSON/],
    ['a definition without criteria', (d: any) => editJson(path.join(d.cards, 'CC-0248.json'), (j) => delete j.criteria), /CC-0248\.json: field "criteria"/],
    ['a library with no ELM', (d: any) => fs.rmSync(path.join(d.elm, 'ElrexfioPriorAuth.json')), /library "ElrexfioPriorAuth" has no compiled ELM/],
    ['a library version mismatch', (d: any) => editJson(path.join(d.cards, 'CC-0126.json'), (j) => (j.library.version = '2.0.0')), /is version 1\.0\.0, not 2\.0\.0/],
    ['a missing value set', (d: any) => fs.rmSync(path.join(d.valuesets, 'dlbcl.json')), /value set http:\/\/example\.org\/fhir\/pa-cds\/ValueSet\/dlbcl \("DLBCL"\) is not in cql\/valuesets/],
    ['an unknown trigger value set', (d: any) => editJson(path.join(d.cards, 'CC-0126.json'), (j) => (j.triggers.valueSet = 'http://x/vs')), /"triggers\.valueSet": no value set http:\/\/x\/vs/],
    ['a duplicate policy id', (d: any) => editJson(path.join(d.cards, 'CC-0126.json'), (j) => (j.id = 'CC-0248')), /duplicate policy id CC-0248/],
  ])('refuses %s, naming the file', (_name, edit, message) => {
    const load = loadEdited(edit);
    expect(load).toThrow(ContentError);
    expect(load).toThrow(message);
  });
});
