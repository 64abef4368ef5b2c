import express from 'express';
import { NotFoundError } from '../platform/errors';
import type { Policy } from '../policy/load';
import { policyPage } from './policy-page';

/** The service's index and a page per policy (the cards link there). */
export function policyRouter(policies: Policy[]): express.Router {
  const router = express.Router();
  router.get('/', (_req, res) => {
    res.json({
      service: 'pa-cds-hooks',
      discovery: '/cds-services',
      policies: policies.map((p) => `/policies/${p.definition.id}`),
    });
  });
  router.get('/policies/:id', (req, res) => {
    const policy = policies.find((p) => p.definition.id === req.params.id);
    if (!policy) throw new NotFoundError(`no policy ${req.params.id}`);
    res.type('html').send(policyPage(policy));
  });
  router.get('/policies/:id/document', (req, res) => {
    const policy = policies.find((p) => p.definition.id === req.params.id);
    if (!policy) throw new NotFoundError(`no policy ${req.params.id}`);
    if (policy.documentText === undefined)
      throw new NotFoundError(`policy ${req.params.id} ships no document text`);
    res.type('text/plain; charset=utf-8').send(policy.documentText);
  });
  return router;
}
