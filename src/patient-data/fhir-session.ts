import { FhirTechnicalError } from '../platform/errors';
import { FhirClient, isAllowedServer } from './fhir-client';

/** How one request may use a FHIR server: the allow-list and the limits of configuration. */
export interface FhirOptions {
  allowedFhirServers: string[];
  /** Time budget for every FHIR call of one request, in milliseconds. */
  timeoutMs: number;
  maxPages: number;
  maxResponseBytes: number;
  /** Most resources accepted from the FHIR server for one request. */
  maxResources: number;
  observe?: (ms: number, result: string) => void;
}

/**
 * The FHIR server of one request, shared by every step that calls it (resolving the draft
 * orders' Medications, gathering the record): the request's fhirServer when configuration allows
 * it, its bearer token, one deadline and one resource budget for the whole request.
 */
export class FhirSession {
  /** The server that may be called, or undefined when there is none or it is not allowed. */
  readonly server: string | undefined;
  /** A client for `server`; undefined exactly when `server` is. */
  readonly client: FhirClient | undefined;
  private received = 0;

  constructor(
    /** The request's fhirServer, allowed or not (named in messages). */
    readonly requested: string | undefined,
    accessToken: string | undefined,
    private readonly options: FhirOptions,
  ) {
    // A server configuration does not allow is treated as no server at all.
    this.server =
      requested && isAllowedServer(requested, options.allowedFhirServers) ? requested : undefined;
    this.client = this.server
      ? new FhirClient({
          baseUrl: this.server,
          ...(accessToken ? { accessToken } : {}),
          deadline: Date.now() + options.timeoutMs,
          maxPages: options.maxPages,
          maxResponseBytes: options.maxResponseBytes,
          ...(options.observe ? { observe: options.observe } : {}),
        })
      : undefined;
  }

  /** Why no server can be asked, to end a 412 message ("... and <reason>"). */
  noServerReason(what = 'it'): string {
    return this.requested
      ? `fhirServer ${this.requested} is not allowed by this service (ALLOWED_FHIR_SERVERS)`
      : `the request has no fhirServer to fetch ${what} from`;
  }

  /** Counts resources taken from the server; more than FHIR_MAX_RESOURCES in one request is a 412. */
  receive(count: number): void {
    this.received += count;
    if (this.received > this.options.maxResources) {
      throw new FhirTechnicalError(
        `the FHIR server returned more than ${this.options.maxResources} resources for this patient (FHIR_MAX_RESOURCES)`,
      );
    }
  }
}
