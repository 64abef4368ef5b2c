import express from 'express';
import { NotFoundError } from '../platform/errors';
import type { Policy } from '../policy/load';
import type { Wording } from '../render/wording';
import { policyPage } from './policy-page';

/** The service's index and a page per policy (the cards link there), each page built once. */
export function policyRouter(policies: Policy[], wording: Wording): express.Router {
  const router = express.Router();
  const pages = new Map(policies.map((p) => [p.definition.id, policyPage(p, wording)]));
  const byId = new Map(policies.map((p) => [p.definition.id, p]));
  const policyOf = (id: string): Policy => {
    const policy = byId.get(id);
    if (!policy) throw new NotFoundError(`no policy ${id}`);
    return policy;
  };
  router.get('/', (_req, res) => {
    res.json({
      service: 'pa-cds-hooks',
      discovery: '/cds-services',
      policies: policies.map((p) => `/policies/${p.definition.id}`),
    });
  });
  router.get('/policies/:id', (req, res) => {
    const page = pages.get(policyOf(String(req.params.id)).definition.id);
    res.type('html').send(page);
  });
  router.get('/policies/:id/document', (req, res) => {
    const policy = policyOf(String(req.params.id));
    if (policy.documentText === undefined)
      throw new NotFoundError(`policy ${req.params.id} ships no document text`);
    res.type('text/plain; charset=utf-8').send(policy.documentText);
  });
  return router;
}
