import express, { type Request, type Response } from 'express';
import type { Metrics } from '../platform/metrics';

/**
 * Liveness (503 once the state store has failed: a restart is the cure), readiness (503 while
 * shutting down, without policies, or with a failed store) and Prometheus metrics.
 */
export function opsRouter(deps: {
  metrics: Metrics;
  state: { ready: boolean };
  policyIds: string[];
  /** Why the state store can no longer be used, if it cannot. */
  stateFailure?: () => string | undefined;
}): express.Router {
  const router = express.Router();
  const live = (_req: Request, res: Response) => {
    const failure = deps.stateFailure?.();
    if (failure) res.status(503).json({ status: 'failing', reason: failure });
    else res.json({ status: 'ok' });
  };
  router.get('/health', live);
  router.get('/healthz', live);
  router.get('/ready', (_req, res) => {
    const failure = deps.stateFailure?.();
    const ready = deps.state.ready && deps.policyIds.length > 0 && !failure;
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'not ready',
      policies: deps.policyIds,
      ...(failure ? { reason: failure } : {}),
    });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return router;
}
