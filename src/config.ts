import path from 'node:path';
import { DEFAULT_CONTENT, REPO_ROOT, type ContentPaths } from './runtime';

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
  /** Serve the "try it" page and the embedded demo FHIR server (seeded with demo patients). */
  demo: boolean;
  /** The FHIR server the try page names in its requests; unset = the embedded one. */
  demoFhirServer?: string;
}

/** A setting that cannot be used; the message names the variable. */
export class ConfigError extends Error {
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(name, `must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };

function bytes(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const m = /^(\d+)\s*(b|kb|mb)?$/i.exec(raw.trim());
  if (!m) throw new ConfigError(name, `must be a size such as 5mb, 512kb or 1048576, got "${raw}"`);
  const n = Number(m[1]) * (UNITS[(m[2] ?? 'b').toLowerCase()] ?? 1);
  if (n < 1024 || n > 100 * 1024 * 1024) throw new ConfigError(name, 'must be between 1kb and 100mb');
  return n;
}

function servers(env: NodeJS.ProcessEnv, name: string): string[] {
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
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(name, `"${v}" must be http or https`);
    return v.replace(/\/+$/, '');
  });
}

function dir(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? fallback : path.resolve(raw);
}

/** Reads the configuration once, from the environment; anything wrong throws a ConfigError. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const logLevel = (env.LOG_LEVEL ?? 'info').trim().toLowerCase();
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be debug, info, warn, error or silent, got "${env.LOG_LEVEL}"`);
  }
  const cardsDir = dir(env, 'CARDS_DIR', DEFAULT_CONTENT.cardsDir);
  const demoRaw = (env.DEMO ?? (env.NODE_ENV === 'production' ? 'off' : 'on')).trim().toLowerCase();
  if (!['on', 'off', 'true', 'false', '1', '0'].includes(demoRaw)) throw new ConfigError('DEMO', `must be on or off, got "${env.DEMO}"`);
  const demoFhir = env.DEMO_FHIR_SERVER?.trim();
  if (demoFhir) servers({ DEMO_FHIR_SERVER: demoFhir }, 'DEMO_FHIR_SERVER');
  return Object.freeze({
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: env.HOST?.trim() || '0.0.0.0',
    bodyLimitBytes: bytes(env, 'BODY_LIMIT', 5 * 1024 * 1024),
    fhirTimeoutMs: integer(env, 'FHIR_TIMEOUT_MS', 8000, 100, 120000),
    fhirMaxPages: integer(env, 'FHIR_MAX_PAGES', 20, 1, 1000),
    allowedFhirServers: servers(env, 'ALLOWED_FHIR_SERVERS'),
    logLevel: logLevel as LogLevel,
    content: {
      cardsDir,
      elmDir: dir(env, 'ELM_DIR', DEFAULT_CONTENT.elmDir),
      valueSetDir: dir(env, 'VALUESET_DIR', DEFAULT_CONTENT.valueSetDir),
    },
    serviceFile: path.join(cardsDir, 'service.json'),
    feedbackLog: dir(env, 'FEEDBACK_LOG', path.join(REPO_ROOT, 'data', 'feedback.jsonl')),
    demo: ['on', 'true', '1'].includes(demoRaw),
    ...(demoFhir ? { demoFhirServer: demoFhir.replace(/\/+$/, '') } : {}),
  });
}
