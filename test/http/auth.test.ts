import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import nock from 'nock';
import request from 'supertest';
import { clone, example, scenario, testApp } from './helpers';

/**
 * CDS Hooks 2.0 client authentication: every way a JWT can be wrong is a 401 that says nothing
 * useful to an attacker; a right one passes. Keys are served by a mocked JWKS endpoint.
 */
const EHR = 'https://ehr.example.org';
const JWKS_PATH = '/.well-known/jwks.json';
const JKU_PATH = '/keys/rotating.json';
const BASE = 'https://cds.example.org';
const SCENARIO = example('myelomaMet');

interface Key {
  kid: string;
  alg: 'ES384' | 'RS384';
  privateKey: KeyLike;
  publicJwk: Record<string, unknown>;
}

async function makeKey(kid: string, alg: 'ES384' | 'RS384'): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return {
    kid,
    alg,
    privateKey,
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' },
  };
}

let es: Key;
let rs: Key;
let other: Key;
let rotated: Key;
let jkuKey: Key;
let jti = 0;

const { app, url, logs } = testApp({
  publicBaseUrl: BASE,
  auth: {
    enabled: true,
    clockSkewSeconds: 30,
    jwksCooldownSeconds: 0,
    clients: [
      {
        iss: EHR,
        jwksUrl: `${EHR}${JWKS_PATH}`,
        jkuAllow: [`${EHR}${JKU_PATH}`],
        fhirServers: [`${EHR}/fhir`],
      },
      { iss: 'https://second-ehr.example.com', jwksUrl: 'https://second-ehr.example.com/jwks' },
    ],
  },
});
const AUD = `${BASE}${url}`;

async function sign(
  key: Key,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
  alg: string = key.alg,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const body = {
    iss: EHR,
    sub: 'ehr-client',
    aud: AUD,
    iat: now,
    exp: now + 120,
    jti: `jti-${++jti}`,
    ...claims,
  };
  for (const [k, v] of Object.entries(body))
    if (v === undefined) delete (body as Record<string, unknown>)[k];
  return new SignJWT(body)
    .setProtectedHeader({ alg, kid: key.kid, typ: 'JWT', ...header })
    .sign(key.privateKey);
}

function unsigned(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'none', kid: 'es-1', typ: 'JWT' })}.${b64(claims)}.`;
}

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  es = await makeKey('es-1', 'ES384');
  rs = await makeKey('rs-1', 'RS384');
  other = await makeKey('es-1', 'ES384'); // same kid, different key
  rotated = await makeKey('es-2', 'ES384');
  jkuKey = await makeKey('jku-1', 'ES384');
  nock(EHR)
    .persist()
    .get(JWKS_PATH)
    .reply(200, () => {
      jwksFetches++;
      return {
        keys: [es.publicJwk, rs.publicJwk, ...(rotatedPublished ? [rotated.publicJwk] : [])],
      };
    });
  nock('https://second-ehr.example.com').persist().get('/jwks').reply(200, { keys: [] });
});
let rotatedPublished = false;
let jwksFetches = 0;
afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

const post = (token?: string, body: unknown = scenario(SCENARIO).request) => {
  const r = request(app).post(url);
  return (token === undefined ? r : r.set('Authorization', token)).send(body as object);
};

describe('accepted', () => {
  it('an ES384 token from a trusted issuer for this service', async () => {
    const res = await post(`Bearer ${await sign(es)}`).expect(200);
    expect(res.body.cards).toHaveLength(1);
  });

  it('an RS384 token', async () => {
    await post(`Bearer ${await sign(rs)}`).expect(200);
  });

  it('a key published after the JWKS was cached (an unknown kid fetches the JWKS again)', async () => {
    const before = jwksFetches;
    expect(before).toBeGreaterThan(0);
    rotatedPublished = true;
    await post(`Bearer ${await sign(rotated)}`).expect(200);
    expect(jwksFetches).toBe(before + 1);
    // A known kid does not refetch.
    await post(`Bearer ${await sign(rotated)}`).expect(200);
    expect(jwksFetches).toBe(before + 1);
  });

  it('a key from an allow-listed jku', async () => {
    const scope = nock(EHR)
      .get(JKU_PATH)
      .reply(200, { keys: [jkuKey.publicJwk] });
    await post(`Bearer ${await sign(jkuKey, {}, { jku: `${EHR}${JKU_PATH}` })}`).expect(200);
    expect(scope.isDone()).toBe(true);
  });

  it('discovery and CORS preflight need no token', async () => {
    await request(app).get('/cds-services').expect(200);
    await request(app)
      .options(url)
      .set('Origin', 'https://sandbox.example')
      .set('Access-Control-Request-Method', 'POST')
      .expect(204);
  });
});

describe('refused with 401 and no detail', () => {
  const cases: [string, () => Promise<string | undefined>][] = [
    ['no Authorization header', async () => undefined],
    ['a Basic header', async () => 'Basic dXNlcjpwYXNz'],
    ['Bearer with no token', async () => 'Bearer '],
    ['a token that is not a JWT', async () => 'Bearer not-a-jwt'],
    [
      'alg none',
      async () =>
        `Bearer ${unsigned({ iss: EHR, aud: AUD, exp: Math.floor(Date.now() / 1000) + 60, iat: Math.floor(Date.now() / 1000), jti: 'x' })}`,
    ],
    [
      'HMAC (HS256) signed with the public key as secret',
      async () => {
        const secret = new TextEncoder().encode(JSON.stringify(es.publicJwk));
        return `Bearer ${await new SignJWT({ iss: EHR, aud: AUD, jti: 'h', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60 }).setProtectedHeader({ alg: 'HS256', kid: 'es-1' }).sign(secret)}`;
      },
    ],
    [
      'ES256',
      async () => {
        const k = await generateKeyPair('ES256');
        return `Bearer ${await new SignJWT({ iss: EHR, aud: AUD, jti: 'e', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60 }).setProtectedHeader({ alg: 'ES256', kid: 'es-1' }).sign(k.privateKey)}`;
      },
    ],
    [
      'RS256',
      async () => {
        const k = await generateKeyPair('RS256');
        return `Bearer ${await new SignJWT({ iss: EHR, aud: AUD, jti: 'r', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60 }).setProtectedHeader({ alg: 'RS256', kid: 'rs-1' }).sign(k.privateKey)}`;
      },
    ],
    ['no kid', async () => `Bearer ${await sign(es, {}, { kid: undefined })}`],
    [
      'an untrusted issuer',
      async () => `Bearer ${await sign(es, { iss: 'https://evil.example' })}`,
    ],
    ['no iss', async () => `Bearer ${await sign(es, { iss: undefined })}`],
    [
      'another audience',
      async () => `Bearer ${await sign(es, { aud: 'https://cds.example.org/cds-services/other' })}`,
    ],
    [
      'the feedback URL as audience on the service',
      async () => `Bearer ${await sign(es, { aud: `${AUD}/feedback` })}`,
    ],
    ['no aud', async () => `Bearer ${await sign(es, { aud: undefined })}`],
    [
      'expired beyond the clock skew',
      async () =>
        `Bearer ${await sign(es, { exp: Math.floor(Date.now() / 1000) - 120, iat: Math.floor(Date.now() / 1000) - 400 })}`,
    ],
    ['no exp', async () => `Bearer ${await sign(es, { exp: undefined })}`],
    [
      'exp an hour ahead',
      async () => `Bearer ${await sign(es, { exp: Math.floor(Date.now() / 1000) + 3600 })}`,
    ],
    [
      'not valid yet (nbf)',
      async () => `Bearer ${await sign(es, { nbf: Math.floor(Date.now() / 1000) + 600 })}`,
    ],
    ['no jti', async () => `Bearer ${await sign(es, { jti: undefined })}`],
    ['signed by another key with the same kid', async () => `Bearer ${await sign(other)}`],
    ['a kid the JWKS does not have', async () => `Bearer ${await sign({ ...es, kid: 'nope' })}`],
    [
      'a tampered payload',
      async () => {
        const [h, , sig] = (await sign(es)).split('.');
        const forged = Buffer.from(
          JSON.stringify({
            iss: EHR,
            aud: AUD,
            jti: 'forged',
            iat: Math.floor(Date.now() / 1000),
            exp: Math.floor(Date.now() / 1000) + 60,
            sub: 'admin',
          }),
        ).toString('base64url');
        return `Bearer ${h}.${forged}.${sig}`;
      },
    ],
    [
      'a jku that is not allow-listed (never fetched)',
      async () => `Bearer ${await sign(es, {}, { jku: 'https://evil.example/jwks.json' })}`,
    ],
    [
      'the second client issuer signing with the first client keys',
      async () => `Bearer ${await sign(es, { iss: 'https://second-ehr.example.com' })}`,
    ],
  ];

  it.each(cases)('%s', async (_name, token) => {
    const evil = nock('https://evil.example')
      .get(/.*/)
      .reply(200, { keys: [es.publicJwk] });
    const res = await post(await token());
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.body.issue[0].diagnostics).toBe('authentication required');
    expect(evil.isDone()).toBe(false);
    nock.abortPendingRequests();
    nock.removeInterceptor({ hostname: 'evil.example', path: /.*/ } as never);
  });

  it('a replayed jti', async () => {
    const token = `Bearer ${await sign(es)}`;
    await post(token).expect(200);
    const res = await post(token).expect(401);
    expect(res.body.issue[0].diagnostics).toBe('authentication required');
  });

  it('feedback without a token', async () => {
    await request(app)
      .post(`${url}/feedback`)
      .send({
        feedback: [{ card: 'x', outcome: 'accepted', outcomeTimestamp: '2026-01-01T00:00:00Z' }],
      })
      .expect(401);
  });
});

describe('per-client FHIR servers', () => {
  it('refuses (412) a fhirServer outside the client list without calling it', async () => {
    const scope = nock('https://elsewhere.example.org').get(/.*/).reply(200, {});
    const body: any = clone(scenario(SCENARIO).request);
    delete body.prefetch.conditions;
    body.fhirServer = 'https://elsewhere.example.org/fhir';
    body.fhirAuthorization = { access_token: 'tok-elsewhere-123', token_type: 'Bearer' };
    const res = await post(`Bearer ${await sign(es)}`, body).expect(412);
    expect(res.body.issue[0].diagnostics).toMatch(/not allowed/);
    expect(scope.isDone()).toBe(false);
  });

  it('never writes a JWT or access token to the log', () => {
    const text = logs.join('\n');
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
    expect(text).not.toContain('tok-elsewhere-123');
    expect(text).toMatch(/"reason":"(issuer not trusted|alg none not accepted|jti reused)/);
  });
});
