import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readScenario } from '../../tools/scenarios';
import { escapeRegExp, example, kit, PATIENTS } from '../support';

/** `npm run evaluate` for policy authors, run as a real process. */
const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const SCENARIO = path.join(PATIENTS, example('myelomaMet'));
const POLICY = readScenario(SCENARIO, new Date()).expected.policy;

function evaluate(...args: string[]) {
  return spawnSync(process.execPath, [TSX, 'tools/evaluate.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
}

describe('npm run evaluate', () => {
  it('prints every criterion, its evidence and the outcome for a scenario file', () => {
    const run = evaluate(SCENARIO);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`${escapeRegExp(POLICY)} for MedicationRequest/draft-elrexfio`),
    );
    expect(run.stdout).toMatch(/I\s+NOT MET\s+Individual is under 19 years of age/);
    expect(run.stdout).toMatch(/III\s+MET\s+Individual has had at least four prior therapies/);
    expect(run.stdout).toMatch(/evidence: Observation\/ecog-1/);
    expect(run.stdout).toMatch(/outcome: criteria-met/);
  });

  it('evaluates a patient Bundle holding a draft MedicationRequest, as JSON', () => {
    const scenario = readScenario(SCENARIO, new Date());
    const entries = [
      ...Object.values(scenario.request.prefetch ?? {}).flatMap((v: any) =>
        v.resourceType === 'Bundle' ? v.entry : [{ resource: v }],
      ),
      ...(scenario.request.context.draftOrders.entry ?? []),
    ];
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pa-cli-')), 'bundle.json');
    fs.writeFileSync(
      file,
      JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: entries }),
    );
    const run = evaluate(file, '--json');
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      policy: POLICY,
      outcome: 'criteria-met',
      order: 'MedicationRequest/draft-elrexfio',
      matchedBy: 'code',
    });
    expect(out[0].criteria.map((c: any) => c.status)).toEqual(['not-met', 'met', 'met', 'met']);
  });

  it('evaluates as of --now, resolving the relative dates against it', () => {
    const run = evaluate(SCENARIO, '--now', '2030-01-01T12:00:00Z');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/Evaluated at 2030-01-01T12:00:00\.000Z/);
    // The ECOG is "$datetime(-10d)" in the file.
    expect(run.stdout).toMatch(/ECOG 1 on 2029-12-22\./);
  });

  it('fails with a message, not a stack, on bad input', () => {
    const missing = evaluate('no-such-file.json');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/evaluate: no-such-file\.json: not readable JSON/);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    const policy = evaluate(SCENARIO, '--policy', 'CC-9999');
    expect(policy.status).toBe(2);
    expect(policy.stderr).toMatch(
      new RegExp(
        `no policy CC-9999; known: ${escapeRegExp(
          kit()
            .policies.map((p) => p.id)
            .join(', '),
        )}`,
      ),
    );
  });
});
