import request from 'supertest';
import { testApp } from './helpers';

/**
 * A public sandbox (https://sandbox.cds-hooks.org) calling this service on localhost: Chrome's
 * Private Network Access preflight carries `Access-Control-Request-Private-Network: true` and the
 * request goes ahead only if the answer carries `Access-Control-Allow-Private-Network: true`.
 * Only such a preflight gets the header; a normal preflight and the real request do not.
 */
const SANDBOX = 'https://sandbox.cds-hooks.org';
const { app, url } = testApp();
const authed = testApp({
  auth: {
    enabled: true,
    clockSkewSeconds: 30,
    jwksCooldownSeconds: 0,
    clients: [{ iss: 'https://ehr.example.org', jwksUrl: 'https://ehr.example.org/jwks' }],
  },
});

function preflight(target: typeof app, path: string, method = 'POST') {
  return request(target)
    .options(path)
    .set('Origin', SANDBOX)
    .set('Access-Control-Request-Method', method)
    .set('Access-Control-Request-Headers', 'authorization, content-type');
}

const PATHS: [string, string, string][] = [
  ['discovery', '/cds-services', 'GET'],
  ['the service', url, 'POST'],
  ['feedback', `${url}/feedback`, 'POST'],
];

describe.each(PATHS)('a preflight for %s (%s)', (_name, path, method) => {
  it('from a public page to the private network is allowed', async () => {
    const res = await preflight(app, path, method)
      .set('Access-Control-Request-Private-Network', 'true')
      .expect(204);
    expect(res.headers['access-control-allow-private-network']).toBe('true');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-methods']).toMatch(new RegExp(method));
    expect(res.headers['access-control-allow-headers']).toMatch(/Authorization/);
    expect(res.headers['access-control-allow-headers']).toMatch(/Content-Type/);
  });

  it('without the private-network request header gets no private-network header', async () => {
    const res = await preflight(app, path, method).expect(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers).not.toHaveProperty('access-control-allow-private-network');
  });
});

describe('the private-network header', () => {
  it('is not given for any other value of the request header', async () => {
    for (const value of ['false', '', '1', 'yes']) {
      const res = await preflight(app, url)
        .set('Access-Control-Request-Private-Network', value)
        .expect(204);
      expect(res.headers).not.toHaveProperty('access-control-allow-private-network');
    }
  });

  it('accepts "true" in any letter case', async () => {
    const res = await preflight(app, url)
      .set('Access-Control-Request-Private-Network', 'TRUE')
      .expect(204);
    expect(res.headers['access-control-allow-private-network']).toBe('true');
  });

  it('is not sent on a real (non-preflight) request, even one that names it', async () => {
    const res = await request(app)
      .get('/cds-services')
      .set('Origin', SANDBOX)
      .set('Access-Control-Request-Private-Network', 'true')
      .expect(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers).not.toHaveProperty('access-control-allow-private-network');
  });

  it('is given with client authentication on: the preflight needs no token', async () => {
    const res = await preflight(authed.app, authed.url)
      .set('Access-Control-Request-Private-Network', 'true')
      .expect(204);
    expect(res.headers['access-control-allow-private-network']).toBe('true');
    await request(authed.app).post(authed.url).set('Origin', SANDBOX).send({}).expect(401);
  });
});
