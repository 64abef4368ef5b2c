import express, { type NextFunction, type Request, type Response } from 'express';
import type { Bundle, Resource } from 'fhir/r4';
import type { DtrCatalog } from '../dtr/catalog';
import { questionnairePackage } from '../dtr/package';
import type { Config } from '../platform/config';
import { NotFoundError } from '../platform/errors';
import type { Policy } from '../policy/load';
import type { Clock, ReplayCache } from '../ports';
import type { CallContext } from '../services/types';
import { authenticatorFor } from './auth';
import { baseUrlOf, jsonBody } from './middleware';

export interface DtrRouterDeps {
  catalog: DtrCatalog;
  policies: Policy[];
  /** The forms pre-filled on an order-sign request's record (services/dtr.ts). */
  populate: (body: unknown, ctx: CallContext) => Promise<Bundle>;
  config: Readonly<Config>;
  now: Clock;
  /** Where client JWT ids are claimed. */
  replay: ReplayCache;
}

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

function searchset(resources: Resource[]): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: resources.length,
    entry: resources.map((resource) => ({ resource: resource as never })),
  };
}

/** `url` and `version` search parameters (a version may also come as `url|version`). */
function matchesCanonical(r: { url?: string; version?: string }, req: Request): boolean {
  const url = typeof req.query.url === 'string' ? req.query.url : undefined;
  if (url === undefined) return true;
  const [u, v] = url.split('|');
  const version = v ?? (typeof req.query.version === 'string' ? req.query.version : undefined);
  return r.url === u && (version === undefined || r.version === version);
}

/**
 * DTR: the forms, their Libraries (CQL and ELM) and ValueSets as FHIR resources (read by id or
 * searched by canonical), $questionnaire-package, and the demo's pre-population of the forms on a
 * record. Behind the same client authentication as the CDS services when it is on.
 */
export function dtrRouter(deps: DtrRouterDeps): express.Router {
  const { catalog, config } = deps;
  const router = express.Router();
  const authenticator = authenticatorFor(config.auth, deps.replay);
  const json = jsonBody(config.bodyLimitBytes);
  const authenticate = async (req: Request, _res: Response, next: NextFunction) => {
    try {
      if (authenticator)
        await authenticator.verify(
          req.get('authorization'),
          `${config.publicBaseUrl ?? baseUrlOf(req)}${req.originalUrl.split('?')[0]}`,
        );
      next();
    } catch (e) {
      next(e);
    }
  };
  const questionnaires = catalog.forms.map((f) => f.questionnaire);
  const libraries = [...catalog.libraries.values()];
  const valueSets = [...catalog.valueSets.values()];
  const kinds: [string, Resource[]][] = [
    ['Questionnaire', questionnaires],
    ['Library', libraries],
    ['ValueSet', valueSets],
  ];
  router.post(
    '/fhir/Questionnaire/$questionnaire-package',
    authenticate,
    ...json,
    (req: Request, res: Response) => {
      const out = questionnairePackage(catalog, deps.policies, req.body, deps.now());
      res.type(FHIR_JSON).send(JSON.stringify(out));
    },
  );
  router.post('/dtr/populate', authenticate, ...json, async (req: Request, res: Response) => {
    const bundle = await deps.populate(req.body, { baseUrl: baseUrlOf(req) });
    res.type(FHIR_JSON).send(JSON.stringify(bundle));
  });
  for (const [type, all] of kinds) {
    router.get(`/fhir/${type}`, authenticate, (req: Request, res: Response) => {
      res
        .type(FHIR_JSON)
        .send(JSON.stringify(searchset(all.filter((r) => matchesCanonical(r as never, req)))));
    });
    router.get(`/fhir/${type}/:id`, authenticate, (req: Request, res: Response) => {
      const found = all.find((r) => r.id === req.params.id);
      if (!found) throw new NotFoundError(`no ${type}/${String(req.params.id)}`);
      res.type(FHIR_JSON).send(JSON.stringify(found));
    });
  }
  return router;
}
