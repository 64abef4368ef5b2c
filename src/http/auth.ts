import type { Config } from '../platform/config';
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  jwtVerify,
  type JWTVerifyGetKey,
} from 'jose';
import type { TrustedClient } from '../platform/config';
import { UnauthorizedError } from '../platform/errors';
import type { ReplayCache } from '../ports';

export interface AuthOptions {
  clients: TrustedClient[];
  clockSkewSeconds: number;
  /** Longest accepted token lifetime from now (CDS Hooks: at most five minutes). */
  maxLifetimeSeconds?: number;
  /** Least time between two JWKS fetches for an unknown kid (default 30 s). */
  jwksCooldownSeconds?: number;
  /** Where jtis are claimed: a database shared by replicas, or this process's memory. */
  replay: ReplayCache;
}

const ALGORITHMS = ['ES384', 'RS384'];

/**
 * CDS Hooks 2.0 client authentication: the `Authorization: Bearer <JWT>` of each service call is
 * signed ES384 or RS384 with a `kid`, by a configured issuer, with a key from that issuer's JWKS
 * URL (or an allow-listed `jku`), for this exact service URL, unexpired, and its `jti` is not
 * reused. Any failure is a 401 that says only "authentication required".
 */
export class Authenticator {
  private readonly byIss = new Map<string, TrustedClient>();
  private readonly keySets = new Map<string, JWTVerifyGetKey>();

  constructor(private readonly options: AuthOptions) {
    for (const c of options.clients) this.byIss.set(c.iss, c);
  }

  private keySet(url: string): JWTVerifyGetKey {
    let set = this.keySets.get(url);
    if (!set) {
      // Cached; refetched on an unknown kid (at most every 30 s) and every 10 minutes.
      set = createRemoteJWKSet(new URL(url), {
        timeoutDuration: 3000,
        cooldownDuration: (this.options.jwksCooldownSeconds ?? 30) * 1000,
        cacheMaxAge: 600_000,
      });
      this.keySets.set(url, set);
    }
    return set;
  }

  /** Verifies the header for a call to `audience` (the exact service URL); returns the client. */
  async verify(authorization: string | undefined, audience: string): Promise<TrustedClient> {
    const m = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(
      authorization ?? '',
    );
    if (!m)
      throw new UnauthorizedError(
        authorization ? 'malformed Authorization header' : 'no Authorization header',
      );
    const token = m[1] as string;
    let header: ReturnType<typeof decodeProtectedHeader>;
    let claims: ReturnType<typeof decodeJwt>;
    try {
      header = decodeProtectedHeader(token);
      claims = decodeJwt(token);
    } catch {
      throw new UnauthorizedError('token does not decode');
    }
    if (!ALGORITHMS.includes(header.alg ?? ''))
      throw new UnauthorizedError(`alg ${String(header.alg)} not accepted`);
    if (typeof header.kid !== 'string' || header.kid === '') throw new UnauthorizedError('no kid');
    const client = typeof claims.iss === 'string' ? this.byIss.get(claims.iss) : undefined;
    if (!client) throw new UnauthorizedError('issuer not trusted');
    let keyUrl: string | undefined;
    if (header.jku !== undefined) {
      if (typeof header.jku !== 'string' || !(client.jkuAllow ?? []).includes(header.jku))
        throw new UnauthorizedError('jku not allowed for this issuer');
      keyUrl = header.jku;
    } else {
      keyUrl = client.jwksUrl;
    }
    if (!keyUrl) throw new UnauthorizedError('no key source for this issuer');
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    try {
      ({ payload } = await jwtVerify(token, this.keySet(keyUrl), {
        algorithms: ALGORITHMS,
        issuer: client.iss,
        audience,
        clockTolerance: this.options.clockSkewSeconds,
        requiredClaims: ['iss', 'aud', 'exp', 'iat', 'jti'],
      }));
    } catch (e) {
      throw new UnauthorizedError(
        `verification failed: ${(e as { code?: string }).code ?? (e as Error).name}`,
      );
    }
    const now = Math.floor(Date.now() / 1000);
    const exp = payload.exp as number;
    if (exp > now + (this.options.maxLifetimeSeconds ?? 300) + this.options.clockSkewSeconds)
      throw new UnauthorizedError('exp too far in the future');
    // Claimed once (across every replica when the store is shared), until exp + skew.
    const expiresAt = (exp + this.options.clockSkewSeconds) * 1000;
    if (!(await this.options.replay.claim(`${client.iss}|${String(payload.jti)}`, expiresAt)))
      throw new UnauthorizedError('jti reused');
    return client;
  }
}

/** The client authenticator when authentication is on (jtis claimed in `replay`). */
export function authenticatorFor(
  auth: Config['auth'],
  replay: ReplayCache,
): Authenticator | undefined {
  if (!auth.enabled) return undefined;
  return new Authenticator({
    clients: auth.clients,
    clockSkewSeconds: auth.clockSkewSeconds,
    replay,
    ...(auth.jwksCooldownSeconds !== undefined
      ? { jwksCooldownSeconds: auth.jwksCooldownSeconds }
      : {}),
  });
}
