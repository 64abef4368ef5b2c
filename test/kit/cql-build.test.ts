import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

describe('CQL toolchain', () => {
  it('translates every library without errors and the committed ELM and expansions are current', () => {
    const run = spawnSync(process.execPath, ['tools/compile-cql.mjs', '--check'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(run.stderr + run.stdout).toMatch(/are current/);
    expect(run.status).toBe(0);
  });
});
