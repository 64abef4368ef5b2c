import express from 'express';
import { createTryPage } from './try-page';

export interface DemoRouterOptions {
  serviceId: string;
  /** The FHIR server the try page names; default: the embedded one. */
  fhirServer?: string;
  /** The embedded FHIR server's router, mounted at /demo/fhir. */
  fhir?: express.Router;
}

/** The demo's routes: / redirects to the try page at /try; the embedded FHIR server at /demo/fhir. */
export function demoRouter(options: DemoRouterOptions): express.Router {
  const router = express.Router();
  router.get('/', (_req, res) => res.redirect(302, '/try'));
  router.use(
    '/try',
    createTryPage({
      serviceId: options.serviceId,
      ...(options.fhirServer ? { fhirServer: options.fhirServer } : {}),
    }),
  );
  if (options.fhir) router.use('/demo/fhir', options.fhir);
  return router;
}
