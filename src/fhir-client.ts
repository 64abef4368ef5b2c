import type { Bundle, FhirResource } from 'fhir/r4';
import { DataUnavailableError } from './errors';

export interface FhirClientOptions {
  /** The FHIR server base URL (no trailing slash). */
  baseUrl: string;
  /** Bearer token for the server; sent only to URLs under baseUrl, never logged. */
  accessToken?: string;
  /** Epoch milliseconds by which every call of this request must be done. */
  deadline: number;
  /** Most search pages followed for one query. */
  maxPages: number;
}

/** Whether configuration allows calling this FHIR server (prefix match on the base URL). */
export function isAllowedServer(baseUrl: string, allowed: string[]): boolean {
  if (allowed.includes('*')) return true;
  return allowed.some((a) => baseUrl === a || baseUrl.startsWith(a.endsWith('/') ? a : `${a}/`));
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
    if (body.resourceType !== 'Bundle') return body.resourceType === 'OperationOutcome' ? [] : [body as FhirResource];
    const out: FhirResource[] = [];
    let bundle = body as Bundle;
    for (let page = 1; ; page++) {
      for (const e of bundle.entry ?? []) {
        if (e.resource && (e.search?.mode === undefined || e.search.mode !== 'outcome')) out.push(e.resource);
      }
      const next = bundle.link?.find((l) => l.relation === 'next')?.url;
      if (!next) return out;
      if (page >= this.options.maxPages) {
        throw new DataUnavailableError(`${relative}: more than ${this.options.maxPages} pages of results (FHIR_MAX_PAGES)`);
      }
      if (!this.onServer(next)) throw new DataUnavailableError(`${relative}: the server's next link leaves the FHIR server; not followed`);
      const nextBody = await this.get(next, relative);
      if (nextBody.resourceType !== 'Bundle') throw new DataUnavailableError(`${relative}: a result page is not a Bundle`);
      bundle = nextBody as Bundle;
    }
  }

  private onServer(url: string): boolean {
    return url === this.options.baseUrl || url.startsWith(`${this.options.baseUrl}/`) || url.startsWith(`${this.options.baseUrl}?`);
  }

  private async get(url: string, what: string): Promise<{ resourceType?: string }> {
    const remaining = this.options.deadline - Date.now();
    if (remaining <= 0) throw new DataUnavailableError(`${what}: the FHIR server did not answer in time (FHIR_TIMEOUT_MS)`);
    const headers: Record<string, string> = { Accept: 'application/fhir+json, application/json' };
    if (this.options.accessToken) headers.Authorization = `Bearer ${this.options.accessToken}`;
    let res: Response;
    try {
      res = await fetch(url, { headers, redirect: 'error', signal: AbortSignal.timeout(remaining) });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      if (err.name === 'TimeoutError' || err.name === 'AbortError') {
        throw new DataUnavailableError(`${what}: the FHIR server did not answer in time (FHIR_TIMEOUT_MS)`);
      }
      throw new DataUnavailableError(`${what}: could not reach the FHIR server (${err.cause?.code ?? err.name})`);
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw new DataUnavailableError(`${what}: the FHIR server refused the access token (${res.status})`);
    }
    if (res.status === 404) {
      await res.body?.cancel();
      throw new DataUnavailableError(`${what}: not found on the FHIR server (404)`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new DataUnavailableError(`${what}: the FHIR server answered ${res.status}`);
    }
    let json: unknown;
    try {
      json = await res.json();
    } catch {
      throw new DataUnavailableError(`${what}: the FHIR server's answer is not JSON`);
    }
    if (typeof json !== 'object' || json === null || typeof (json as { resourceType?: unknown }).resourceType !== 'string') {
      throw new DataUnavailableError(`${what}: the FHIR server's answer is not a FHIR resource`);
    }
    return json as { resourceType?: string };
  }
}
