import express, { type Request, type Response } from 'express';
import type { Metrics } from '../platform/metrics';

/** Liveness, readiness (503 while shutting down or without policies) and Prometheus metrics. */
export function opsRouter(deps: {
  metrics: Metrics;
  state: { ready: boolean };
  policyIds: string[];
}): express.Router {
  const router = express.Router();
  const live = (_req: Request, res: Response) => {
    res.json({ status: 'ok' });
  };
  router.get('/health', live);
  router.get('/healthz', live);
  router.get('/ready', (_req, res) => {
    const ready = deps.state.ready && deps.policyIds.length > 0;
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ready' : 'not ready', policies: deps.policyIds });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return router;
}
