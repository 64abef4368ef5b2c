import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, stateStore } from './config-state';
import { DEFAULT_CONTENT, REPO_ROOT, type ContentPaths } from './paths';

export { ConfigError } from './config-state';
import { fieldsOf, parseShape, whole } from './shape';

/** A CDS client (an EHR) trusted to call the service. */
export interface TrustedClient {
  /** The JWT issuer it signs with (`iss`). */
  iss: string;
  /** Where its public keys are (JWKS URL). */
  jwksUrl?: string;
  /** `jku` header values accepted from this client (exact URLs); any other jku is never fetched. */
  jkuAllow?: string[];
  /** FHIR servers this client may send as fhirServer (base URLs, prefix match); default: the global list. */
  fhirServers?: string[];
  /** Service calls per minute for this client (0: no limit); default RATE_LIMIT_PER_MINUTE. */
  ratePerMinute?: number;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Config {
  port: number;
  host: string;
  /** Largest accepted request body, in bytes. */
  bodyLimitBytes: number;
  /** Time budget for all FHIR server calls of one request, in milliseconds. */
  fhirTimeoutMs: number;
  /** Most search pages followed per prefetch key. */
  fhirMaxPages: number;
  /** FHIR server base URLs the service may call (prefix match); ['*'] allows any http(s) server. */
  allowedFhirServers: string[];
  logLevel: LogLevel;
  content: ContentPaths;
  /** The service definition (discovery, prefetch). */
  serviceFile: string;
  /** Append-only JSON-lines file where feedback is kept. */
  feedbackLog: string;
  /** Append-only JSON-lines file of the decisions behind returned cards (policy, outcome per card uuid). */
  decisionLog: string;
  /** CDS Hooks client authentication (JWT); on by default in production (NODE_ENV=production). */
  auth: {
    enabled: boolean;
    clients: TrustedClient[];
    clockSkewSeconds: number;
    jwksCooldownSeconds?: number;
  };
  /** The service's public base URL; JWT `aud` must be `${publicBaseUrl}/cds-services/{id}`. */
  publicBaseUrl?: string;
  /**
   * The payer's switch for real-time determination (CRD): a criteria-met order is annotated
   * `pa-needed: satisfied` with a satisfied-pa-id. Off by default.
   */
  realtimeDetermination: boolean;
  /**
   * No record, no answer (DECISIONS_REQUIRED, on by default): a hook call whose decisions cannot
   * be committed is answered 503, so every answer given is on record. Off: the answer goes out
   * and the failure is counted and logged.
   */
  decisionsRequired: boolean;
  /**
   * The payers this endpoint handles, as "system|value" identifiers (PAYER_IDENTIFIERS); empty:
   * any. Under CRD 2.2 a Coverage whose payor carries none of them is a 400.
   */
  payerIdentifiers: string[];
  /**
   * How decision records keep the patient (PATIENT_REFERENCES): `hash` (an HMAC-SHA256 keyed
   * with PATIENT_HASH_KEY; the default when a key is set), `reference` (Patient/<id>) or `none`.
   */
  patientReferences: { mode: 'hash' | 'reference' | 'none'; hashKey?: string };
  /**
   * Where decisions, feedback, jtis and rate windows are kept (STATE_STORE): `database` (the
   * default: a PostgreSQL server at DATABASE_URL, else embedded PGlite in stateDir) or `files`
   * (FEEDBACK_LOG and DECISION_LOG JSON lines, jtis and rates in memory: one replica only).
   */
  stateStore: 'database' | 'files';
  /** The bearer token of the reports endpoints (ADMIN_TOKEN; a Secret); unset: reports are off. */
  adminToken?: string;
  databaseUrl?: string;
  /** PGlite's directory (STATE_DIR, default data/pglite); `memory` keeps it in memory. */
  stateDir: string;
  limits: {
    maxDraftOrders: number;
    maxPrefetchResources: number;
    /** Most resources fetched from a FHIR server for one request. */
    fhirMaxResources: number;
    /** Largest FHIR response body read, in bytes. */
    fhirMaxResponseBytes: number;
    maxConcurrent: number;
    maxQueue: number;
    ratePerMinute: number;
  };
  /** How long shutdown waits for in-flight requests. */
  shutdownGraceMs: number;
  /** How long a client may take to send a request's headers; then 408 and the connection closes. */
  headersTimeoutMs: number;
  /** How long a client may take to send a whole request, headers and body; then 408. */
  requestTimeoutMs: number;
  /** Worker threads that evaluate policies; 0 = on the main thread. */
  evaluationWorkers: number;
}

function integer(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(name, `must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };

function bytes(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const m = /^(\d+)\s*(b|kb|mb)?$/i.exec(raw.trim());
  if (!m) throw new ConfigError(name, `must be a size such as 5mb, 512kb or 1048576, got "${raw}"`);
  const n = Number(m[1]) * (UNITS[(m[2] ?? 'b').toLowerCase()] ?? 1);
  if (n < 1024 || n > 100 * 1024 * 1024)
    throw new ConfigError(name, 'must be between 1kb and 100mb');
  return n;
}

export function servers(env: NodeJS.ProcessEnv, name: string): string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '' || raw.trim() === '*') return ['*'];
  return raw.split(',').map((s) => {
    const v = s.trim();
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      throw new ConfigError(name, `"${v}" is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new ConfigError(name, `"${v}" must be http or https`);
    return v.replace(/\/+$/, '');
  });
}

const HTTP_URL = /^https?:\/\//;
const URLS = whole(z.array(z.string().regex(HTTP_URL)), 'must list http(s) URLs');

/** CDS_CLIENTS: a JSON array of clients; one that is not an object lacks its iss. */
const CLIENTS = z.array(
  fieldsOf(
    z
      .object({
        iss: z
          .string({ error: "must be the client's JWT issuer" })
          .min(1, { error: "must be the client's JWT issuer" }),
        jwksUrl: z
          .string({ error: 'must be an http(s) URL' })
          .regex(HTTP_URL, { error: 'must be an http(s) URL' })
          .optional(),
        // Exact URLs, as sent in jku headers.
        jkuAllow: URLS.optional(),
        fhirServers: URLS.transform((urls) => urls.map((u) => u.replace(/\/+$/, ''))).optional(),
        ratePerMinute: z
          .number({ error: 'must be a whole number from 0 (no limit) to 1000000' })
          .int({ error: 'must be a whole number from 0 (no limit) to 1000000' })
          .min(0, { error: 'must be a whole number from 0 (no limit) to 1000000' })
          .max(1_000_000, { error: 'must be a whole number from 0 (no limit) to 1000000' })
          .optional(),
      })
      .refine((c) => Boolean(c.jwksUrl || c.jkuAllow?.length), {
        error: 'needs jwksUrl or jkuAllow',
      }),
  ),
  { error: 'must be a JSON array of clients' },
);

function trustedClients(env: NodeJS.ProcessEnv): TrustedClient[] {
  let raw: string | undefined = env.CDS_CLIENTS;
  let name = 'CDS_CLIENTS';
  if (env.CDS_CLIENTS_FILE) {
    name = 'CDS_CLIENTS_FILE';
    try {
      raw = fs.readFileSync(env.CDS_CLIENTS_FILE, 'utf8');
    } catch (e) {
      throw new ConfigError(name, `cannot read ${env.CDS_CLIENTS_FILE}: ${(e as Error).message}`);
    }
  }
  if (raw === undefined || raw.trim() === '') return [];
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    throw new ConfigError(name, 'must be a JSON array of clients');
  }
  return parseShape(
    CLIENTS,
    list,
    (message) => new ConfigError(name, message),
    (at) => `${name}${at}`,
  );
}

export function onOff(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['on', 'true', '1'].includes(raw)) return true;
  if (['off', 'false', '0'].includes(raw)) return false;
  throw new ConfigError(name, `must be on or off, got "${env[name]}"`);
}

function dir(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? fallback : path.resolve(raw);
}

/** Slow-client limits: headers must arrive within HEADERS_TIMEOUT_MS, the whole request within REQUEST_TIMEOUT_MS. */
function clientTimeouts(env: NodeJS.ProcessEnv): {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
} {
  const headersTimeoutMs = integer(env, 'HEADERS_TIMEOUT_MS', 10000, 1000, 600000);
  const requestTimeoutMs = integer(env, 'REQUEST_TIMEOUT_MS', 30000, 1000, 3600000);
  if (headersTimeoutMs > requestTimeoutMs)
    throw new ConfigError(
      'HEADERS_TIMEOUT_MS',
      `must not exceed REQUEST_TIMEOUT_MS (${requestTimeoutMs})`,
    );
  return { headersTimeoutMs, requestTimeoutMs };
}

/** Where feedback and the decisions behind returned cards are kept (append-only JSON lines). */
function logFiles(env: NodeJS.ProcessEnv): Pick<Config, 'feedbackLog' | 'decisionLog'> {
  return {
    feedbackLog: dir(env, 'FEEDBACK_LOG', path.join(REPO_ROOT, 'data', 'feedback.jsonl')),
    decisionLog: dir(env, 'DECISION_LOG', path.join(REPO_ROOT, 'data', 'decisions.jsonl')),
  };
}

function readLogLevel(env: NodeJS.ProcessEnv): LogLevel {
  const logLevel = (env.LOG_LEVEL ?? 'info').trim().toLowerCase();
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel))
    throw new ConfigError(
      'LOG_LEVEL',
      `must be debug, info, warn, error or silent, got "${env.LOG_LEVEL}"`,
    );
  return logLevel as LogLevel;
}

/** "system|value" identifiers, comma-separated (PAYER_IDENTIFIERS). */
function payerIdentifiers(env: NodeJS.ProcessEnv): string[] {
  const raw = env.PAYER_IDENTIFIERS?.trim();
  if (!raw) return [];
  return raw.split(',').map((s) => {
    const id = s.trim();
    if (!/^[^|\s]+\|[^|\s]+$/.test(id))
      throw new ConfigError(
        'PAYER_IDENTIFIERS',
        `must list payer identifiers as system|value, comma-separated; got "${id}"`,
      );
    return id;
  });
}

/** The payer's switches (off unless set) and the payers this endpoint handles. */
function payerSwitches(
  env: NodeJS.ProcessEnv,
): Pick<Config, 'realtimeDetermination' | 'payerIdentifiers'> {
  return {
    realtimeDetermination: onOff(env, 'REALTIME_DETERMINATION', false),
    payerIdentifiers: payerIdentifiers(env),
  };
}

/** Reads the configuration once, from the environment; anything wrong throws a ConfigError. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const logLevel = readLogLevel(env);
  const cardsDir = dir(env, 'CARDS_DIR', DEFAULT_CONTENT.cardsDir);
  const production = env.NODE_ENV === 'production';
  const authEnabled = onOff(env, 'AUTH', production);
  const clients = trustedClients(env);
  if (authEnabled && clients.length === 0)
    throw new ConfigError(
      'CDS_CLIENTS_FILE',
      'AUTH is on but no trusted CDS client is configured (CDS_CLIENTS_FILE or CDS_CLIENTS)',
    );
  const publicBaseUrl = env.PUBLIC_BASE_URL?.trim();
  if (publicBaseUrl) servers({ PUBLIC_BASE_URL: publicBaseUrl }, 'PUBLIC_BASE_URL');
  return Object.freeze({
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: env.HOST?.trim() || '0.0.0.0',
    bodyLimitBytes: bytes(env, 'BODY_LIMIT', 5 * 1024 * 1024),
    fhirTimeoutMs: integer(env, 'FHIR_TIMEOUT_MS', 8000, 100, 120000),
    fhirMaxPages: integer(env, 'FHIR_MAX_PAGES', 20, 1, 1000),
    allowedFhirServers: servers(env, 'ALLOWED_FHIR_SERVERS'),
    logLevel,
    content: {
      cardsDir,
      elmDir: dir(env, 'ELM_DIR', DEFAULT_CONTENT.elmDir),
      cqlDir: dir(env, 'CQL_DIR', DEFAULT_CONTENT.cqlDir),
      valueSetDir: dir(env, 'VALUESET_DIR', DEFAULT_CONTENT.valueSetDir),
    },
    serviceFile: path.join(cardsDir, 'service.json'),
    ...logFiles(env),
    ...stateStore(env),
    decisionsRequired: onOff(env, 'DECISIONS_REQUIRED', true),
    auth: {
      enabled: authEnabled,
      clients,
      clockSkewSeconds: integer(env, 'AUTH_CLOCK_SKEW_SECONDS', 30, 0, 300),
    },
    ...(publicBaseUrl ? { publicBaseUrl: publicBaseUrl.replace(/\/+$/, '') } : {}),
    ...payerSwitches(env),
    limits: {
      maxDraftOrders: integer(env, 'MAX_DRAFT_ORDERS', 20, 1, 1000),
      maxPrefetchResources: integer(env, 'MAX_PREFETCH_RESOURCES', 5000, 1, 1_000_000),
      fhirMaxResources: integer(env, 'FHIR_MAX_RESOURCES', 10000, 1, 1_000_000),
      fhirMaxResponseBytes: bytes(env, 'FHIR_MAX_RESPONSE_BYTES', 20 * 1024 * 1024),
      maxConcurrent: integer(env, 'MAX_CONCURRENT', 8, 1, 1000),
      maxQueue: integer(env, 'MAX_QUEUE', 16, 0, 10000),
      ratePerMinute: integer(env, 'RATE_LIMIT_PER_MINUTE', 30_000, 0, 1_000_000),
    },
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10000, 0, 600000),
    ...clientTimeouts(env),
    // One core stays with the event loop (HTTP, JSON, data gathering); the others evaluate.
    evaluationWorkers: integer(
      env,
      'EVALUATION_WORKERS',
      Math.max(0, Math.min(4, os.availableParallelism() - 1)),
      0,
      64,
    ),
  });
}
