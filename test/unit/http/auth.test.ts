import { MemoryReplayCache } from '../../../src/adapters/memory/security-state';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import nock from 'nock';
import { Authenticator } from '../../../src/http/auth';
import { UnauthorizedError } from '../../../src/platform/errors';

/**
 * The Authenticator on its own, with only Date faked (so token times and the replay cache can be
 * moved exactly): the jti replay cache at capacity and the token lifetime limit, on both sides.
 */
const ISS = 'https://ehr.example.org';
const JWKS = `${ISS}/.well-known/jwks.json`;
const AUD = 'https://cds.example.org/cds-services/prior-auth-criteria';
const SKEW = 30;
const START = Date.UTC(2026, 5, 15, 12, 0, 0);

let privateKey: KeyLike;

beforeAll(async () => {
  const pair = await generateKeyPair('ES384', { extractable: true });
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES384', use: 'sig' };
  nock.disableNetConnect();
  nock(ISS)
    .persist()
    .get('/.well-known/jwks.json')
    .reply(200, { keys: [jwk] });
});
afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

// Only Date is faked: jose's and the cache's clocks move with setSystemTime, timers stay real.
beforeEach(() => {
  jest.useFakeTimers({
    now: START,
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'requestAnimationFrame',
      'cancelAnimationFrame',
      'requestIdleCallback',
      'cancelIdleCallback',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
});
afterEach(() => jest.useRealTimers());

const nowSeconds = () => Math.floor(Date.now() / 1000);

function token(jti: string, lifetimeSeconds = 120): Promise<string> {
  const now = nowSeconds();
  return new SignJWT({ iss: ISS, aud: AUD, iat: now, exp: now + lifetimeSeconds, jti })
    .setProtectedHeader({ alg: 'ES384', kid: 'k1', typ: 'JWT' })
    .sign(privateKey);
}

function authenticator(maxRememberedJtis?: number): Authenticator {
  return new Authenticator({
    clients: [{ iss: ISS, jwksUrl: JWKS }],
    clockSkewSeconds: SKEW,
    replay: new MemoryReplayCache(maxRememberedJtis),
  });
}

/** The reason a verification was refused (the log's "reason"), or "accepted". */
async function outcome(auth: Authenticator, jwt: string): Promise<string> {
  try {
    await auth.verify(`Bearer ${jwt}`, AUD);
    return 'accepted';
  } catch (e) {
    if (e instanceof UnauthorizedError) return e.reason;
    throw e;
  }
}

describe('the jti replay cache', () => {
  it('full of live jtis: refuses new tokens and still refuses every live jti replayed', async () => {
    const auth = authenticator(3);
    const live = await Promise.all(['a', 'b', 'c'].map((j) => token(j)));
    for (const t of live) expect(await outcome(auth, t)).toBe('accepted');
    // At capacity, a new token is refused rather than making room by forgetting a live jti...
    expect(await outcome(auth, await token('d'))).toBe('replay cache full');
    expect(await outcome(auth, await token('e'))).toBe('replay cache full');
    // ...so each live one is still known: replaying it is refused, the oldest first.
    for (const t of live) expect(await outcome(auth, t)).toBe('jti reused');
  });

  it('forgets a jti only once its token has expired (exp + clock skew), then has room again', async () => {
    const auth = authenticator(2);
    const first = await token('a', 60);
    const second = await token('b', 300);
    expect(await outcome(auth, first)).toBe('accepted');
    expect(await outcome(auth, second)).toBe('accepted');
    // One second before the first expires (with the skew), the cache is still full.
    jest.setSystemTime(START + (60 + SKEW) * 1000);
    expect(await outcome(auth, await token('c'))).toBe('replay cache full');
    // Past it, the first jti is forgotten and a new token fits; the second is still live and known.
    jest.setSystemTime(START + (60 + SKEW + 1) * 1000);
    expect(await outcome(auth, await token('c'))).toBe('accepted');
    expect(await outcome(auth, second)).toBe('jti reused');
    expect(await outcome(auth, await token('d'))).toBe('replay cache full');
  });

  it('keeps a live jti across many other tokens (default capacity)', async () => {
    const auth = authenticator();
    const kept = await token('kept');
    expect(await outcome(auth, kept)).toBe('accepted');
    for (let i = 0; i < 1100; i++)
      expect(await outcome(auth, await token(`n${i}`))).toBe('accepted');
    expect(await outcome(auth, kept)).toBe('jti reused');
  });
});

describe('token lifetime (CDS Hooks: at most five minutes, plus the clock skew)', () => {
  it('accepts exp at now + 300 s + skew and refuses one second more', async () => {
    const auth = authenticator();
    expect(await outcome(auth, await token('at-limit', 300 + SKEW))).toBe('accepted');
    expect(await outcome(auth, await token('over-limit', 300 + SKEW + 1))).toBe(
      'exp too far in the future',
    );
  });

  it('accepts a token expired less than the clock skew ago and refuses one expired the skew ago', async () => {
    const auth = authenticator();
    const expiring = await token('expiring', 60);
    jest.setSystemTime(START + (60 + SKEW - 1) * 1000);
    expect(await outcome(auth, expiring)).toBe('accepted');
    const late = await token('late', 60);
    jest.setSystemTime(Date.now() + (60 + SKEW) * 1000);
    expect(await outcome(auth, late)).toBe('verification failed: ERR_JWT_EXPIRED');
  });
});
