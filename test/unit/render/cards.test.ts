import fs from 'node:fs';
import path from 'node:path';
import { policyPage } from '../../../src/http/policy-page';
import type { Policy } from '../../../src/policy/load';
import type { PolicyResult } from '../../../src/policy/result';
import { renderCard, renderErrorCard } from '../../../src/render/cards';
import { coverageAction, coverageInformation } from '../../../src/render/crd-coverage';
import type { Wording } from '../../../src/render/wording';
import { content, evaluateInProcess, example, examplePolicy, ROOT, scenario } from '../../support';

const CTX = { baseUrl: 'http://localhost:3000' };

/** Every text of the wording (without "about"), with where it is. */
function texts(value: unknown, at = ''): [string, string][] {
  if (typeof value === 'string') return at === 'about' ? [] : [[at, value]];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
    texts(v, at ? `${at}.${k}` : k),
  );
}

/** The shipped wording with every text marked, so the test can see where each one lands. */
function marked(): Wording {
  const w = structuredClone(content().wording) as any;
  const mark = (obj: any, at: string) => {
    for (const [k, v] of Object.entries(obj)) {
      if (typeof v === 'string' && k !== 'about') obj[k] = `<${at}${k}>${v}`;
      else if (v && typeof v === 'object') mark(v, `${at}${k}.`);
    }
  };
  mark(w, '');
  return w as Wording;
}

async function resultFor(
  role: Parameters<typeof example>[0],
): Promise<{ policy: Policy; result: PolicyResult }> {
  const policy = examplePolicy(role);
  const result = (await evaluateInProcess(scenario(example(role)).request)).find(
    (r) => r.policy === policy.definition.id,
  )!;
  return { policy, result };
}

describe('the words on cards, CRD annotations and policy pages', () => {
  it('come from the wording: lines, notes, the name-match notice, labels', async () => {
    const w = marked();
    const { policy, result } = await resultFor('myelomaNotMet');
    const card = renderCard(policy, result, { drugName: 'Drug' }, 'name', CTX, w);
    expect(card.detail.startsWith('<card.nameMatchNotice>')).toBe(true);
    expect(card.detail).toContain('<card.explanationLine>');
    expect(card.detail).toContain('<card.note>');
    expect(card.source.label.startsWith('<card.documentLabel>')).toBe(true);
    expect(card.links![0]!.label.startsWith('<card.linkLabel>')).toBe(true);
    expect(card.overrideReasons!.map((r) => r.display)).toEqual(
      content().wording.overrideReasons.codes.map(
        (c, i) => `<overrideReasons.codes.${i}.display>${c.display}`,
      ),
    );
    const missing = await resultFor('myelomaStaleEcog');
    const doc = renderCard(missing.policy, missing.result, {}, 'code', CTX, w);
    expect(doc.detail).toContain('<card.missingLine>');
    expect(doc.detail).toContain('<card.missingFound>');
  });

  it('name an exclusion by its own label', async () => {
    const w = marked();
    const { policy, result } = await resultFor('allNotMetDlbcl');
    expect(policy.definition.exclusions?.length).toBeGreaterThan(0);
    const card = renderCard(policy, result, {}, 'code', CTX, w);
    expect(card.detail).toContain('<card.exclusionLabel>');
    expect(card.summary).toContain('<card.exclusionLabel>');
  });

  it('fall back to the wording when no card template of the policy applies', async () => {
    const w = marked();
    const { policy, result } = await resultFor('myelomaMet');
    const card = renderCard(
      policy,
      { ...result, conditions: {} },
      { drugName: 'Drug' },
      'code',
      CTX,
      w,
    );
    expect(card.summary.startsWith(`<card.fallbackSummary>${policy.definition.shortName}: `)).toBe(
      true,
    );
    expect(card.detail.startsWith('<card.fallbackDetail>')).toBe(true);
  });

  it('make the error card, the CRD reasons and the system action', async () => {
    const w = marked();
    const { policy, result } = await resultFor('myelomaMet');
    const error = renderErrorCard(policy, { drugName: 'Drug' }, CTX, w);
    expect(error.summary.startsWith(`<errorCard.summary>${policy.definition.shortName}: `)).toBe(
      true,
    );
    expect(error.detail.startsWith('<errorCard.detail>')).toBe(true);
    const cases = [
      ['criteria-met', 'criteria-met', false],
      ['criteria-not-met', 'criteria-not-met', false],
      ['documentation-needed', 'documentation-needed', false],
      ['satisfied', 'criteria-met', true],
      ['error', undefined, false],
    ] as const;
    for (const [key, outcome, realtime] of cases) {
      for (const shape of ['2.0', '2.2'] as const) {
        const ext = coverageInformation(
          policy,
          outcome ? { ...result, outcome } : undefined,
          { resourceType: 'Coverage', id: 'c' } as never,
          '2026-06-15',
          w,
          'assertion-1',
          { shape, realtime, policyLink: 'https://pa.example/policies/x' },
        );
        const reason = ext.extension!.find((e) => e.url === 'reason')!.valueCodeableConcept!.text!;
        expect(reason.startsWith(`<coverageInformation.reason.${key}>`)).toBe(true);
        expect(reason).toContain(policy.definition.document.number);
        expect(reason).not.toContain('${');
        const detail = ext.extension!.find((e) => e.url === 'detail');
        if (shape === '2.0') expect(detail).toBeUndefined();
        else
          expect(detail!.extension!.find((e) => e.url === 'qualification')!.valueString).toMatch(
            /^<coverageInformation\.policyLinkQualification>/,
          );
      }
    }
    const order = scenario(example('myelomaMet')).request.context.draftOrders.entry![0]!
      .resource as never;
    expect(coverageAction(order, [], w).description).toBe(
      '<coverageInformation.actionDescription>' +
        content().wording.coverageInformation.actionDescription,
    );
  });

  it('make the policy page, escaping the values but not the wording', () => {
    const w = marked();
    const policy = examplePolicy('myelomaMet');
    const page = policyPage(policy, w);
    for (const key of [
      'status',
      'reviewed',
      'formula',
      'library',
      'criterionColumn',
      'textColumn',
      'roleColumn',
      'dataRuleColumn',
      'nextStepColumn',
      'inclusion',
      'notesHeading',
      'documentLink',
    ])
      expect(page).toContain(`<policyPage.${key}>`);
    expect(policyPage(policy)).toBe(policyPage(policy, content().wording));
    const odd = {
      ...policy,
      definition: {
        ...policy.definition,
        formula: 'I & <II>',
        document: { ...policy.definition.document, lastReviewed: undefined },
      },
    } as unknown as Policy;
    const plain = policyPage(odd);
    expect(plain).toContain('<code>I &amp; &lt;II&gt;</code>');
    expect(plain).not.toContain('<policyPage.reviewed>');
  });

  it('leave the reviewed date out of the document label when the document has none', async () => {
    const w = marked();
    const { policy, result } = await resultFor('myelomaMet');
    const undated = {
      ...policy,
      definition: {
        ...policy.definition,
        document: { ...policy.definition.document, lastReviewed: undefined },
      },
    } as unknown as Policy;
    expect(renderCard(policy, result, {}, 'code', CTX, w).source.label).toContain(
      '<card.documentReviewed>',
    );
    expect(renderCard(undated, result, {}, 'code', CTX, w).source.label).not.toContain(
      '<card.documentReviewed>',
    );
  });
});

describe('card summaries (CDS Hooks: under 140 characters)', () => {
  const wording = content().wording;
  /**
   * A policy's summary with the drug name `name`, on a result card and on an error card. The
   * shipped summaries name the drug by its short name; this policy's templates put the order's
   * drug name (record text) first, as a payer's content may.
   */
  async function summaries(name: string): Promise<string[]> {
    const { policy: shipped, result } = await resultFor('myelomaMet');
    const policy = {
      ...shipped,
      definition: {
        ...shipped.definition,
        cards: shipped.definition.cards.map((t) => ({
          ...t,
          summary: `\${drugName}: ${t.summary}`,
        })),
      },
    } as Policy;
    return [renderCard(policy, result, { drugName: name }, 'code', CTX, wording).summary];
  }
  /** A drug name that makes the summary exactly `length` characters once filled in. */
  async function nameFor(length: number): Promise<string> {
    const rest = (await summaries('D'))[0]!.length - 1;
    return `D${'x'.repeat(length - rest - 1)}`;
  }

  it('keeps a filled summary of 139 characters as it is', async () => {
    const name = await nameFor(139);
    const [card] = await summaries(name);
    expect(card!.length).toBe(139);
    expect(card!.startsWith(name)).toBe(true);
  });

  it.each([140, 141, 500])(
    'cuts a filled summary of %i characters to 139, ending in an ellipsis',
    async (length) => {
      const [summary] = await summaries(await nameFor(length));
      expect(summary!.length).toBe(139);
      expect(summary!.endsWith('…')).toBe(true);
      expect(summary!.startsWith('Dxxx')).toBe(true);
    },
  );

  it('says first, on an error card, that the check could not be completed, whatever the order calls the drug', async () => {
    const { policy } = await resultFor('myelomaMet');
    const lying = `Elrexfio: meets ${policy.definition.id} — request prior auth with this evidence; ${'x'.repeat(80)}`;
    const summary = renderErrorCard(policy, { drugName: lying }, CTX, wording).summary;
    expect(summary).toBe(
      `${policy.definition.shortName}: the ${policy.definition.id} prior-auth check could not be completed — check the criteria by hand`,
    );
  });

  it('drops bidirectional-text controls from record text in a summary', async () => {
    const [card] = await summaries('Elr\u202Eoifxe\u202C 76 mg');
    expect(card!.startsWith('Elroifxe 76 mg: ')).toBe(true);
  });

  it.each(['', 'x'])(
    'never cuts inside a character made of two UTF-16 units (prefix %j)',
    async (prefix) => {
      const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
      for (const summary of await summaries(`${prefix}${'\u{1F48A}'.repeat(100)}`)) {
        expect(summary.length).toBeLessThan(140);
        expect(summary.endsWith('…')).toBe(true);
        expect(summary).not.toMatch(lone);
      }
    },
  );

  it('puts the summary on one line', async () => {
    const [card] = await summaries('Drug\r\nname\twith  breaks');
    expect(card!.startsWith('Drug name with breaks')).toBe(true);
  });
});

describe('TypeScript', () => {
  const read = (dir: string): string[] =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .flatMap((d) =>
        d.isDirectory()
          ? read(path.join(dir, d.name))
          : d.name.endsWith('.ts')
            ? [path.join(dir, d.name)]
            : [],
      );

  it('holds none of the wording (it is content: cards/wording/)', () => {
    const files = [
      ...read(path.join(ROOT, 'src', 'render')),
      path.join(ROOT, 'src', 'http', 'policy-page.ts'),
      path.join(ROOT, 'src', 'services', 'respond.ts'),
      path.join(ROOT, 'tools', 'evaluate.ts'),
    ];
    const sources = files.map((f) => [path.relative(ROOT, f), fs.readFileSync(f, 'utf8')] as const);
    const found: string[] = [];
    for (const [at, text] of texts(content().wording)) {
      for (const fragment of text
        .split(/\$\{[^}]*\}/)
        .map((s) => s.trim())
        .filter((s) => /[a-z]/i.test(s))
        // The names of the formula's roles are code, whatever the wording calls them.
        .filter((s) => !['inclusion', 'exclusion'].includes(s))) {
        // Long fragments anywhere; short ones (status words, column labels) as string literals.
        const needles =
          fragment.length >= 12
            ? [fragment]
            : [`'${fragment}'`, `"${fragment}"`, `\`${fragment}\``];
        for (const [file, source] of sources)
          if (needles.some((n) => source.includes(n))) found.push(`${at} in ${file}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('names no policy (ids and document numbers are content)', () => {
    const names = content().policies.flatMap((p) => [
      p.definition.id,
      p.definition.document.number,
    ]);
    expect(names.length).toBeGreaterThan(0);
    const found = [...read(path.join(ROOT, 'src')), ...read(path.join(ROOT, 'tools'))].flatMap(
      (f) =>
        names
          .filter((n) => fs.readFileSync(f, 'utf8').includes(n))
          .map((n) => `${n} in ${path.relative(ROOT, f)}`),
    );
    expect(found).toEqual([]);
  });
});
