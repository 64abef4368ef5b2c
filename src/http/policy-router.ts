import express from 'express';
import { NotFoundError } from '../platform/errors';
import { versionFor, type Policy } from '../policy/load';
import type { Wording } from '../render/wording';
import { policyPage } from './policy-page';

/**
 * The service's index and a page per policy version (the cards link to the version they
 * evaluated), each page built once. /policies/{id} shows the version in force today.
 */
export function policyRouter(
  policies: Policy[],
  wording: Wording,
  today: () => Date = () => new Date(),
): express.Router {
  const router = express.Router();
  const all = policies.flatMap((p) => (p.versions.length > 0 ? p.versions : [p]));
  const pages = new Map(all.map((p) => [p, policyPage(p, wording)]));
  const byId = new Map(policies.map((p) => [p.definition.id, p]));
  const policyOf = (id: string): Policy => {
    const policy = byId.get(id);
    if (!policy) throw new NotFoundError(`no policy ${id}`);
    return policy;
  };
  const versionOf = (id: string, version: string): Policy => {
    const policy = policyOf(id);
    const v = (policy.versions.length > 0 ? policy.versions : [policy]).find(
      (x) => x.version === version,
    );
    if (!v) throw new NotFoundError(`policy ${id} has no version ${version}`);
    return v;
  };
  const current = (id: string): Policy =>
    versionFor(policyOf(id), today().toISOString().slice(0, 10));
  const documentOf = (policy: Policy): string => {
    if (policy.documentText === undefined)
      throw new NotFoundError(
        `policy ${policy.definition.id} version ${policy.version} ships no document text`,
      );
    return policy.documentText;
  };
  router.get('/', (_req, res) => {
    res.json({
      service: 'pa-cds-hooks',
      discovery: '/cds-services',
      policies: policies.map((p) => `/policies/${p.definition.id}`),
    });
  });
  router.get('/policies/:id', (req, res) => {
    const page = pages.get(current(String(req.params.id)));
    res.type('html').send(page);
  });
  router.get('/policies/:id/document', (req, res) => {
    const text = documentOf(current(String(req.params.id)));
    res.type('text/plain; charset=utf-8').send(text);
  });
  router.get('/policies/:id/versions/:version', (req, res) => {
    res.type('html').send(pages.get(versionOf(String(req.params.id), String(req.params.version))));
  });
  router.get('/policies/:id/versions/:version/document', (req, res) => {
    const text = documentOf(versionOf(String(req.params.id), String(req.params.version)));
    res.type('text/plain; charset=utf-8').send(text);
  });
  return router;
}
