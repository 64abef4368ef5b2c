import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileDecisionLog } from '../../../src/adapters/file/decision-log';
import { FileFeedbackStore } from '../../../src/adapters/file/feedback-store';
import { readConfig } from '../../../src/platform/config';
import type { Decision } from '../../../src/ports';

function tempFile(name = 'decisions.jsonl'): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pa-decisions-')), 'nested', name);
}

function decision(card: string, over: Partial<Decision> = {}): Decision {
  return {
    card,
    service: 'prior-auth-criteria',
    policy: 'CC-0248',
    outcome: 'criteria-met',
    hookInstance: `hook-${card}`,
    decidedAt: '2026-06-15T12:00:00.000Z',
    overrideReasons: [],
    ...over,
  };
}

const lines = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '');

describe('FileDecisionLog', () => {
  it('finds recorded decisions by card uuid, and a new instance on the same file finds them too', async () => {
    const file = tempFile();
    const log = new FileDecisionLog(file);
    const a = decision('a', { overrideReasons: ['documented-elsewhere'] });
    const b = decision('b', { policy: 'CC-0126', outcome: 'documentation-needed' });
    await log.record([a, b]);
    expect(await log.find(['a', 'b', 'zzz'])).toEqual(
      new Map([
        ['a', a],
        ['b', b],
      ]),
    );
    const restarted = new FileDecisionLog(file);
    const found = await restarted.find(['b', 'zzz']);
    expect(found.get('b')).toEqual(b);
    expect(found.has('zzz')).toBe(false);
    expect(lines(file).map((l) => JSON.parse(l))).toEqual([a, b]);
  });

  it('finds a decision recorded just before, without waiting for the write (index loaded or not)', async () => {
    const file = tempFile();
    const log = new FileDecisionLog(file);
    void log.record([decision('first')]);
    expect((await log.find(['first'])).has('first')).toBe(true); // first lookup loads the file
    void log.record([decision('second')]);
    expect((await log.find(['second'])).has('second')).toBe(true); // index already loaded
  });

  it('keeps whole lines when many records run at once', async () => {
    const file = tempFile();
    const log = new FileDecisionLog(file);
    const long = 'x'.repeat(5000);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        log.record(
          Array.from({ length: 10 }, (_, j) => decision(`c${i}-${j}`, { hookInstance: long })),
        ),
      ),
    );
    const written = lines(file).map((l) => JSON.parse(l));
    expect(written).toHaveLength(400);
    expect(new Set(written.map((d) => d.card)).size).toBe(400);
    const found = await new FileDecisionLog(file).find(written.map((d) => d.card));
    expect(found.size).toBe(400);
  });

  it('skips a line cut short by a crash and starts the next record on a line of its own', async () => {
    const file = tempFile();
    await new FileDecisionLog(file).record([decision('whole')]);
    fs.appendFileSync(file, '{"card":"cut","policy":"CC-02');
    const log = new FileDecisionLog(file);
    await log.record([decision('after')]);
    const found = await log.find(['whole', 'cut', 'after']);
    expect([...found.keys()].sort()).toEqual(['after', 'whole']);
    expect(lines(file)).toHaveLength(3);
    expect(JSON.parse(lines(file)[2]!).card).toBe('after');
  });

  it('keeps only the most recent decisions in memory, also when loading after a restart', async () => {
    const file = tempFile();
    const log = new FileDecisionLog(file, 3);
    await log.find([]); // index loaded: later records update it
    for (const c of ['1', '2', '3', '4', '5']) await log.record([decision(c)]);
    expect([...(await log.find(['1', '2', '3', '4', '5'])).keys()]).toEqual(['3', '4', '5']);
    const restarted = new FileDecisionLog(file, 3);
    expect([...(await restarted.find(['1', '2', '3', '4', '5'])).keys()]).toEqual(['3', '4', '5']);
    expect(lines(file)).toHaveLength(5); // the file keeps them all
  });

  it('reports a write that fails, and keeps working afterwards', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pa-decisions-'));
    const file = path.join(dir, 'decisions.jsonl');
    const log = new FileDecisionLog(file);
    fs.mkdirSync(file); // a folder where the file should be: appends fail
    await expect(log.record([decision('lost')])).rejects.toThrow(/EISDIR|illegal operation/);
    fs.rmdirSync(file);
    await log.record([decision('kept')]);
    const found = await log.find(['lost', 'kept']);
    expect([...found.keys()]).toEqual(['kept']);
  });
});

describe('FileFeedbackStore', () => {
  it('appends records as JSON lines and reads them back', async () => {
    const file = tempFile('feedback.jsonl');
    const store = new FileFeedbackStore(file);
    const record = {
      receivedAt: '2026-06-15T12:00:00.000Z',
      service: 's',
      card: 'a',
      outcome: 'accepted' as const,
      outcomeTimestamp: '2026-06-15T12:00:00Z',
      policy: null,
      decisionOutcome: null,
      hookInstance: null,
      decidedAt: null,
      reasonOffered: null,
    };
    await Promise.all([store.append([record]), store.append([{ ...record, card: 'b' }])]);
    expect((await new FileFeedbackStore(file).readAll()).map((r) => r.card)).toEqual(['a', 'b']);
  });
});

describe('DECISION_LOG', () => {
  it('defaults to data/decisions.jsonl beside the feedback log, and can be set', () => {
    const c = readConfig({});
    expect(path.dirname(c.decisionLog)).toBe(path.dirname(c.feedbackLog));
    expect(path.basename(c.decisionLog)).toBe('decisions.jsonl');
    expect(readConfig({ DECISION_LOG: 'var/d.jsonl' }).decisionLog).toBe(
      path.resolve('var/d.jsonl'),
    );
  });
});
