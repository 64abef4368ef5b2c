#!/usr/bin/env node
/**
 * Validates the Kubernetes manifests against the Kubernetes API schemas (kubernetes-models, from
 * npm; no cluster needed): node tools/check-deploy.mjs [file ...] (default deploy/kubernetes/*).
 * Exit 1 naming the document and the rule it breaks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const kinds = {
  'apps/v1/Deployment': () => import('kubernetes-models/apps/v1').then((m) => m.Deployment),
  'batch/v1/Job': () => import('kubernetes-models/batch/v1').then((m) => m.Job),
  'v1/Service': () => import('kubernetes-models/v1').then((m) => m.Service),
  'v1/Secret': () => import('kubernetes-models/v1').then((m) => m.Secret),
  'autoscaling/v2/HorizontalPodAutoscaler': () =>
    import('kubernetes-models/autoscaling/v2').then((m) => m.HorizontalPodAutoscaler),
  'policy/v1/PodDisruptionBudget': () =>
    import('kubernetes-models/policy/v1').then((m) => m.PodDisruptionBudget),
};

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'deploy', 'kubernetes');
const files =
  process.argv.length > 2
    ? process.argv.slice(2)
    : fs
        .readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .map((f) => path.join(dir, f));
let failed = 0;
const seen = new Set();
for (const file of files) {
  const docs = parseAllDocuments(fs.readFileSync(file, 'utf8'));
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      console.error(`${file}: YAML: ${doc.errors[0].message}`);
      failed++;
      continue;
    }
    const obj = doc.toJS();
    if (!obj) continue;
    const key = `${obj.apiVersion}/${obj.kind}`;
    const name = `${file}: ${obj.kind}/${obj.metadata?.name ?? '?'}`;
    const model = kinds[key];
    if (!model) {
      console.error(`${name}: ${key} is not a kind this check knows`);
      failed++;
      continue;
    }
    try {
      new (await model())(obj).validate();
      seen.add(obj.kind);
    } catch (e) {
      console.error(`${name}: ${e.message}`);
      failed++;
    }
  }
}
if (failed > 0) process.exit(1);
console.log(`deploy: ${[...seen].sort().join(', ')} valid against the Kubernetes schemas`);
