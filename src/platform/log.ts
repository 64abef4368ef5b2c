import pino from 'pino';
import type { LogLevel } from './config';

export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

/** Field names whose values are never written, wherever they appear (at any depth). */
const REDACT = [
  'access_token',
  'authorization',
  'Authorization',
  'token',
  'fhirAuthorization',
  'prefetch',
  'patientId',
  'birthDate',
  'name',
];
const REDACT_PATHS = [...REDACT, ...REDACT.map((k) => `*.${k}`)];
const REDACT_KEYS = new Set(REDACT);
/** Deeper than this, an object is not written at all (callers log identifiers and counts). */
const MAX_DEPTH = 6;

/** Anything that looks like a bearer token or a JWT inside a logged string is masked too. */
const SECRET_TEXT =
  /(Bearer\s+)[A-Za-z0-9._~+/=-]+|\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;

/** Token-like text masked, PHI-named fields redacted at any depth, nothing deeper than MAX_DEPTH. */
function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string')
    return value.replace(SECRET_TEXT, (_m, bearer?: string) => `${bearer ?? ''}[REDACTED]`);
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return '[TOO DEEP]';
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      REDACT_KEYS.has(k) ? '[REDACTED]' : scrub(v, depth + 1),
    ]),
  );
}

/**
 * Structured logs (pino): one JSON object per line. Callers pass identifiers and counts only;
 * as a second line of defence, token-like strings and PHI-named fields are redacted.
 */
export function createLogger(level: LogLevel, write?: (line: string) => void): Logger {
  const destination = write
    ? { write: (s: string) => write(s.replace(/\n$/, '')) }
    : pino.destination({ sync: false });
  const logger = pino(
    {
      level: level === 'silent' ? 'silent' : level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'event',
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => scrub(obj) as Record<string, unknown>,
      },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    },
    destination,
  );
  const at =
    (lvl: 'debug' | 'info' | 'warn' | 'error') =>
    (event: string, fields: Record<string, unknown> = {}) =>
      logger[lvl](fields, event);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
