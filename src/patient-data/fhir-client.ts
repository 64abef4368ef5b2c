import type { Bundle, FhirResource } from 'fhir/r4';
import { FhirTechnicalError } from '../platform/errors';

export interface FhirClientOptions {
  /** The FHIR server base URL (no trailing slash). */
  baseUrl: string;
  /** Bearer token for the server; sent only to URLs under baseUrl, never logged. */
  accessToken?: string;
  /** Epoch milliseconds by which every call of this request must be done. */
  deadline: number;
  /** Most search pages followed for one query. */
  maxPages: number;
  /** Largest response body read, in bytes. */
  maxResponseBytes: number;
  /** Called after each HTTP call with its duration and result ("2xx", "4xx", "5xx", "error"). */
  observe?: (ms: number, result: string) => void;
}

/**
 * The FHIR server could not give what was asked (a 412 for the caller). Carries the URL and the
 * server's HTTP status for callers and tests; the URL can hold a patient id, so it is never logged.
 */
export class FhirUpstreamError extends FhirTechnicalError {
  constructor(
    message: string,
    readonly url: string,
    readonly upstreamStatus?: number,
  ) {
    super(message);
  }
}

/**
 * Whether `url` is at or under the base URL `base`: the same scheme, host and port, and a path
 * that is the base path or goes on below it ("/fhir" covers "/fhir/Patient", not "/fhirx" nor
 * "/fhir/../admin"). Compared as parsed URLs, never as strings: "https://ehr.example.org.evil.net"
 * is not under "https://ehr.example.org". A URL with credentials is under nothing.
 */
export function isUnder(url: string, base: string): boolean {
  const u = URL.parse(url);
  const b = URL.parse(base);
  if (!u || !b || u.username || u.password || b.username || b.password) return false;
  if (!['https:', 'http:'].includes(u.protocol) || u.origin !== b.origin) return false;
  const prefix = b.pathname.replace(/\/+$/, '');
  return u.pathname === prefix || u.pathname.startsWith(`${prefix}/`);
}

/** Whether configuration allows calling this FHIR server: under one of the allowed base URLs. */
export function isAllowedServer(baseUrl: string, allowed: string[]): boolean {
  if (allowed.includes('*')) return true;
  return allowed.some((a) => isUnder(baseUrl, a));
}

/** The `next` link of a search page, if it has one. */
export function nextLink(bundle: Bundle): string | undefined {
  const links: unknown = bundle.link;
  if (!Array.isArray(links)) return undefined;
  const next = links.find(
    (l): l is { url: string } =>
      typeof l === 'object' && l !== null && l.relation === 'next' && typeof l.url === 'string',
  );
  return next?.url;
}

/** The resources of a search page, without OperationOutcome entries (search.mode "outcome"). */
function pageResources(bundle: Bundle): FhirResource[] {
  const out: FhirResource[] = [];
  for (const e of Array.isArray(bundle.entry) ? bundle.entry : []) {
    if (e?.resource && e.search?.mode !== 'outcome') out.push(e.resource);
  }
  return out;
}

/**
 * The only outbound HTTP of the service: FHIR reads and searches against the EHR's server, with
 * the hook's bearer token, a per-request deadline and paging through `next` links (which must
 * stay on the same server, so the token never leaves it). Every failure is a 412 whose message
 * says what could not be had, without the token.
 */
export class FhirClient {
  constructor(private readonly options: FhirClientOptions) {}

  /** Runs a relative query ("Condition?patient=1", "Patient/1"); returns the resources found. */
  async query(relative: string): Promise<FhirResource[]> {
    const first = `${this.options.baseUrl}/${relative.replace(/^\/+/, '')}`;
    const body = await this.get(first, relative);
    if (body.resourceType !== 'Bundle')
      return body.resourceType === 'OperationOutcome' ? [] : [body as FhirResource];
    return [...pageResources(body as Bundle), ...(await this.nextPages(body as Bundle, relative))];
  }

  /**
   * The resources of the pages after `first`, a first page already in hand (a prefetch
   * searchset), following `next` links: at most maxPages pages in all, each on this server.
   * `what` names the search in messages.
   */
  async nextPages(first: Bundle, what: string): Promise<FhirResource[]> {
    const out: FhirResource[] = [];
    let bundle = first;
    for (let page = 1; ; page++) {
      const next = nextLink(bundle);
      if (next === undefined) return out;
      if (page >= this.options.maxPages) {
        throw new FhirTechnicalError(
          `${what}: more than ${this.options.maxPages} pages of results (FHIR_MAX_PAGES)`,
        );
      }
      // The token goes only to this server: a link elsewhere is never called.
      if (!isUnder(next, this.options.baseUrl))
        throw new FhirTechnicalError(
          `${what}: a next link leaves the FHIR server ${this.options.baseUrl}; not followed`,
        );
      const body = await this.get(new URL(next).href, what);
      if (body.resourceType !== 'Bundle')
        throw new FhirTechnicalError(`${what}: a result page is not a Bundle`);
      bundle = body as Bundle;
      out.push(...pageResources(bundle));
    }
  }

  private async get(url: string, what: string): Promise<{ resourceType?: string }> {
    const started = Date.now();
    let result = 'error';
    try {
      const res = await this.fetch(url, what);
      result = `${Math.floor(res.status / 100)}xx`;
      return await this.body(res, url, what);
    } finally {
      this.options.observe?.(Date.now() - started, result);
    }
  }

  private async fetch(url: string, what: string): Promise<Response> {
    const remaining = this.options.deadline - Date.now();
    if (remaining <= 0)
      throw new FhirTechnicalError(
        `${what}: the FHIR server did not answer in time (FHIR_TIMEOUT_MS)`,
      );
    const headers: Record<string, string> = { Accept: 'application/fhir+json, application/json' };
    if (this.options.accessToken) headers.Authorization = `Bearer ${this.options.accessToken}`;
    try {
      // Redirects are never followed: the token must not travel to another URL.
      return await fetch(url, {
        headers,
        redirect: 'manual',
        signal: AbortSignal.timeout(remaining),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      if (err.name === 'TimeoutError' || err.name === 'AbortError') {
        throw new FhirUpstreamError(
          `${what}: the FHIR server did not answer in time (FHIR_TIMEOUT_MS)`,
          url,
        );
      }
      throw new FhirUpstreamError(
        `${what}: could not reach the FHIR server (${err.cause?.code ?? err.name})`,
        url,
      );
    }
  }

  private async body(res: Response, url: string, what: string): Promise<{ resourceType?: string }> {
    const refuse = async (message: string): Promise<never> => {
      await res.body?.cancel().catch(() => undefined);
      throw new FhirUpstreamError(`${what}: ${message}`, url, res.status);
    };
    if (res.status >= 300 && res.status < 400)
      return refuse(`the FHIR server redirected (${res.status}); redirects are not followed`);
    if (res.status === 401 || res.status === 403)
      return refuse(`the FHIR server refused the access token (${res.status})`);
    if (res.status === 404) return refuse('not found on the FHIR server (404)');
    if (!res.ok) return refuse(`the FHIR server answered ${res.status}`);
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > this.options.maxResponseBytes)
      return refuse(
        `the FHIR server's answer is larger than ${this.options.maxResponseBytes} bytes (FHIR_MAX_RESPONSE_BYTES)`,
      );
    let text: string;
    try {
      text = await readLimited(res, this.options.maxResponseBytes, this.options.deadline);
    } catch (e) {
      if (e instanceof FhirTechnicalError)
        throw new FhirUpstreamError(`${what}: ${e.message}`, url, res.status);
      throw new FhirUpstreamError(`${what}: the FHIR server's answer broke off`, url, res.status);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new FhirUpstreamError(`${what}: the FHIR server's answer is not JSON`, url, res.status);
    }
    if (
      typeof json !== 'object' ||
      json === null ||
      typeof (json as { resourceType?: unknown }).resourceType !== 'string'
    ) {
      throw new FhirUpstreamError(
        `${what}: the FHIR server's answer is not a FHIR resource`,
        url,
        res.status,
      );
    }
    return json as { resourceType?: string };
  }
}

/** Reads a response body as text, stopping at maxBytes or the deadline. */
async function readLimited(res: Response, maxBytes: number, deadline: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    if (Date.now() > deadline) {
      await reader.cancel().catch(() => undefined);
      throw new FhirTechnicalError('the FHIR server did not answer in time (FHIR_TIMEOUT_MS)');
    }
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new FhirTechnicalError(
        `the FHIR server's answer is larger than ${maxBytes} bytes (FHIR_MAX_RESPONSE_BYTES)`,
      );
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
