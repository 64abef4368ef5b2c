import fs from 'node:fs';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { MedicationRequest } from 'fhir/r4';
import { SEED_DIR } from './fhir-server';

/** A demo patient as the try page lists it (demo/seed/patients.json). */
export interface DemoPatient {
  id: string;
  name: string;
  label: string;
  description: string;
  policy: string;
  expected: string;
  draftOrders: MedicationRequest[];
}

export function readDemoPatients(dir = SEED_DIR): DemoPatient[] {
  return JSON.parse(fs.readFileSync(path.join(dir, 'patients.json'), 'utf8')) as DemoPatient[];
}

function readOrderTemplates(dir = SEED_DIR): Record<string, MedicationRequest> {
  return JSON.parse(fs.readFileSync(path.join(dir, 'orders.json'), 'utf8')) as Record<
    string,
    MedicationRequest
  >;
}

const PUBLIC = path.join(__dirname, 'public');

/** Strict content security policy: the page's own script and style only, no inline code. */
function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  next();
}

export interface TryPageOptions {
  serviceId: string;
  /** The FHIR server the page names as fhirServer; default: the embedded one on this host. */
  fhirServer?: string;
}

/** The "try it" page: static files plus the demo data it needs (/try/demo.json). */
export function createTryPage(options: TryPageOptions): express.Router {
  const patients = readDemoPatients();
  const orders = readOrderTemplates();
  const router = express.Router();
  router.use(securityHeaders);
  router.get('/demo.json', (req, res) => {
    const fhirServer =
      options.fhirServer ?? `${req.protocol}://${req.get('host') ?? 'localhost'}/demo/fhir`;
    res.json({ serviceId: options.serviceId, fhirServer, patients, orders });
  });
  router.get('/', (_req, res) => res.sendFile(path.join(PUBLIC, 'try.html')));
  router.use(express.static(PUBLIC, { index: false, fallthrough: true }));
  return router;
}
