import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** tools/check-deploy.mjs passes the shipped manifests and fails a broken one, naming it. */
const ROOT = path.resolve(__dirname, '..', '..');
const run = (...files: string[]) =>
  execFileSync(process.execPath, [path.join(ROOT, 'tools', 'check-deploy.mjs'), ...files], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });

it('validates deploy/kubernetes: Deployment, Service, HPA, PDB and the migration Job', () => {
  expect(run()).toMatch(
    /Deployment, HorizontalPodAutoscaler, Job, PodDisruptionBudget, Service valid/,
  );
  const manifest = fs.readFileSync(path.join(ROOT, 'deploy/kubernetes/pa-cds.yaml'), 'utf8');
  // Probes on /ready and /health; secrets only by reference.
  expect(manifest).toMatch(/readinessProbe:\s+httpGet: \{ path: \/ready/);
  expect(manifest).toMatch(/livenessProbe:\s+httpGet: \{ path: \/health/);
  expect(manifest).toMatch(/secretKeyRef: \{ name: pa-cds, key: DATABASE_URL \}/);
  expect(manifest).not.toMatch(/postgres:\/\/[^'…]*:[^@…]+@/);
});

it('fails a manifest that breaks the schema, naming the document and the rule', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pa-k8s-')), 'bad.yaml');
  fs.writeFileSync(
    file,
    'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: broken }\nspec:\n  replicas: three\n  selector: {}\n  template: {}\n',
  );
  let error: any;
  try {
    run(file);
  } catch (e) {
    error = e;
  }
  expect(error?.status).toBe(1);
  expect(String(error?.stderr)).toMatch(/Deployment\/broken: .*replicas must be integer/);
});
