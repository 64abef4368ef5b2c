import type { Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import request from 'supertest';
import { createServer } from '../../src/main';
import type { Config } from '../../src/platform/config';
import { content, example, scenario, testApp, testConfig, type TestAppOptions } from './helpers';

/** The front door: content codings, bodies declared or inflated over BODY_LIMIT, slow clients. */
const LIMIT = 64 * 1024;
const SCENARIO = example('myelomaMet');
const ORDER_SIGN = JSON.stringify(scenario(SCENARIO).request);
const FEEDBACK = JSON.stringify({
  feedback: [{ card: 'c-1', outcome: 'accepted', outcomeTimestamp: '2026-06-15T12:00:00Z' }],
});

const plain = (json: string) => Buffer.from(json);
const gzip = (json: string | Buffer) => zlib.gzipSync(json);
const deflate = (json: string) => zlib.deflateSync(json);
const br = (json: string) => zlib.brotliCompressSync(json);

/** An error answer as every error must be: a 4xx OperationOutcome with CORS, no stack, no internals. */
function expectClientError(res: request.Response, status: number, message: RegExp): void {
  expect(res.status).toBe(status);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue[0].diagnostics).toMatch(message);
  expect(res.headers['access-control-allow-origin']).toBe('*');
  expect(res.text).not.toMatch(/\n\s+at |node_modules|Error:/);
}

// name, Content-Encoding sent, body sent from the JSON, expected status, expected message
const CODINGS: [string, string | undefined, (json: string) => Buffer, number, RegExp?][] = [
  ['no Content-Encoding', undefined, plain, 200],
  ['identity', 'identity', plain, 200],
  ['gzip', 'gzip', gzip, 200],
  ['GZIP (upper case)', 'GZIP', gzip, 200],
  ['deflate', 'deflate', deflate, 200],
  ['br', 'br', br, 200],
  [
    'gzip over a plain body',
    'gzip',
    plain,
    400,
    /Content-Encoding "gzip" could not be decoded: the body is not valid gzip/,
  ],
  ['GZIP over a plain body', 'GZIP', plain, 400, /Content-Encoding "gzip" could not be decoded/],
  [
    'gzip cut short',
    'gzip',
    (j) => gzip(j).subarray(0, 40),
    400,
    /Content-Encoding "gzip" could not be decoded/,
  ],
  [
    'deflate over a plain body',
    'deflate',
    plain,
    400,
    /Content-Encoding "deflate" could not be decoded: the body is not valid deflate/,
  ],
  [
    'deflate over a gzip body',
    'deflate',
    gzip,
    400,
    /Content-Encoding "deflate" could not be decoded/,
  ],
  [
    'br over a plain body',
    'br',
    plain,
    400,
    /Content-Encoding "br" could not be decoded: the body is not valid br/,
  ],
  ['br over a gzip body', 'br', gzip, 400, /Content-Encoding "br" could not be decoded/],
  [
    'compress',
    'compress',
    plain,
    415,
    /Content-Encoding "compress": it is not supported; send the body as is or with one of gzip, deflate, br/,
  ],
  ['x-foo', 'x-foo', plain, 415, /Content-Encoding "x-foo": it is not supported/],
  [
    'zstd (not inflated on any Node version)',
    'zstd',
    plain,
    415,
    /Content-Encoding "zstd": it is not supported/,
  ],
  [
    'gzip, gzip (stacked)',
    'gzip, gzip',
    (j) => gzip(gzip(j)),
    415,
    /Content-Encoding "gzip, gzip": stacked codings are not supported/,
  ],
];

describe.each([
  ['order-sign', '', ORDER_SIGN],
  ['feedback', '/feedback', FEEDBACK],
])('Content-Encoding on %s', (_name, suffix, json) => {
  const { app, url } = testApp({ bodyLimitBytes: LIMIT });
  const post = (coding: string | undefined, body: Buffer) => {
    // The bytes as they are: superagent would serialise a Buffer as JSON.
    const req = request(app)
      .post(`${url}${suffix}`)
      .set('Content-Type', 'application/json')
      .serialize((b: Buffer) => b as unknown as string);
    return (coding === undefined ? req : req.set('Content-Encoding', coding)).send(body);
  };
  let expected: unknown;
  beforeAll(async () => {
    const res = await post(undefined, plain(json)).expect(200);
    expected = suffix ? res.body : res.body.cards.map((c: any) => [c.summary, c.extension]);
  });

  // A rest parameter: a callback with more parameters than a row has values would be given jest's `done`.
  it.each(CODINGS)('%s', async (...[, coding, encode, status, message]) => {
    const res = await post(coding, encode(json));
    if (status !== 200) return expectClientError(res, status, message!);
    expect(res.status).toBe(200);
    expect(suffix ? res.body : res.body.cards.map((c: any) => [c.summary, c.extension])).toEqual(
      expected,
    );
  });

  it.each([
    ['gzip', gzip],
    ['deflate', deflate],
    ['br', br],
  ])(
    'a %s bomb (small body, inflating to 32 MB) → 413 at BODY_LIMIT, quickly',
    async (coding, encode) => {
      const bomb = encode(`${' '.repeat(32 * 1024 * 1024)}{}`);
      expect(bomb.length).toBeLessThan(LIMIT);
      const started = Date.now();
      expectClientError(await post(coding, bomb), 413, /larger than 65536 bytes \(BODY_LIMIT\)/);
      expect(Date.now() - started).toBeLessThan(2000);
    },
  );
});

describe('a body at BODY_LIMIT', () => {
  const { app, url } = testApp({ bodyLimitBytes: LIMIT });
  /** The order-sign JSON padded with trailing white space to exactly `bytes` bytes. */
  const padded = (bytes: number) => {
    const body = Buffer.from(ORDER_SIGN.padEnd(bytes, ' '));
    expect(body.length).toBe(bytes);
    return body;
  };
  const post = (body: Buffer, coding?: string) => {
    const req = request(app)
      .post(url)
      .set('Content-Type', 'application/json')
      .serialize((b: Buffer) => b as unknown as string);
    return (coding ? req.set('Content-Encoding', coding) : req).send(body);
  };

  it.each([
    ['as is (declared Content-Length)', undefined, (b: Buffer) => b],
    ['gzip (counted once inflated)', 'gzip', (b: Buffer) => gzip(b)],
  ])('%s: exactly BODY_LIMIT bytes pass, one byte more is a 413', async (_name, coding, encode) => {
    const at = await post(encode(padded(LIMIT)), coding);
    expect(at.status).toBe(200);
    expect(at.body.cards).toHaveLength(1);
    expectClientError(
      await post(encode(padded(LIMIT + 1)), coding),
      413,
      /larger than 65536 bytes \(BODY_LIMIT\)/,
    );
  });
});

/** The app behind the server main creates (its timeouts), listening on loopback. */
async function listening(
  config: Partial<Config>,
  options: TestAppOptions = {},
): Promise<{ server: Server; port: number; url: string }> {
  const { app, url } = testApp(config, options);
  const server = createServer(app, testConfig(config));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as AddressInfo).port, url };
}

/** A raw client: writes `head`, then `drip` every 200 ms; resolves with what came back and when it ended. */
function rawExchange(
  port: number,
  head: string,
  drip?: string,
  giveUpMs = 8000,
): Promise<{ text: string; firstMs: number; closedMs: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    let text = '';
    let firstMs = -1;
    const socket = net.connect(port, '127.0.0.1', () => socket.write(head));
    const timer = drip ? setInterval(() => socket.writable && socket.write(drip), 200) : undefined;
    const end = () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ text, firstMs, closedMs: Date.now() - started });
    };
    const giveUp = setTimeout(end, giveUpMs);
    socket.on('data', (d) => {
      if (firstMs < 0) firstMs = Date.now() - started;
      text += d.toString();
      if (!drip) end();
    });
    socket.on('error', () => undefined);
    socket.on('close', end);
  });
}

describe('a body declared over BODY_LIMIT', () => {
  let server: Server;
  let port: number;
  let url: string;
  beforeAll(async () => ({ server, port, url } = await listening({ bodyLimitBytes: LIMIT })));
  afterAll(() => new Promise((r) => server.close(r)));

  it.each(['', '/feedback'])(
    'is refused with 413 at once, without waiting for the body (POST …%s)',
    async (suffix) => {
      const head = `POST ${url}${suffix} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n`;
      const { text, firstMs } = await rawExchange(port, head, undefined, 3000);
      expect(text).toMatch(/^HTTP\/1\.1 413 /);
      expect(text).toMatch(/larger than 65536 bytes \(BODY_LIMIT\)/);
      expect(firstMs).toBeGreaterThanOrEqual(0);
      expect(firstMs).toBeLessThan(2000);
    },
  );
});

describe('slow clients', () => {
  const slowEvaluate: TestAppOptions['evaluate'] = async (...args) => {
    await new Promise((r) => setTimeout(r, 2500));
    return content().engine.evaluator.evaluate(...args);
  };
  let server: Server;
  let port: number;
  let url: string;
  beforeAll(
    async () =>
      ({ server, port, url } = await listening(
        { headersTimeoutMs: 1000, requestTimeoutMs: 2000 },
        { evaluate: slowEvaluate },
      )),
  );
  afterAll(() => {
    server.closeAllConnections();
    return new Promise((r) => server.close(r));
  });

  it('headers sent slowly are cut after HEADERS_TIMEOUT_MS with 408 and a closed connection', async () => {
    const { text, closedMs } = await rawExchange(
      port,
      `POST ${url} HTTP/1.1\r\nHost: 127.0.0.1\r\n`,
      'X-Slow: 1\r\n',
    );
    expect(text === '' || /^HTTP\/1\.1 408 /.test(text)).toBe(true);
    expect(closedMs).toBeGreaterThanOrEqual(900);
    expect(closedMs).toBeLessThan(5000);
  });

  it('a body sent slowly is cut after REQUEST_TIMEOUT_MS with 408 and a closed connection', async () => {
    const head = `POST ${url} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":`;
    const { text, closedMs } = await rawExchange(port, head, ' ');
    expect(text === '' || /^HTTP\/1\.1 408 /.test(text)).toBe(true);
    expect(closedMs).toBeGreaterThanOrEqual(1900);
    expect(closedMs).toBeLessThan(6000);
  });

  it('a slow answer is not cut: only receiving the request is timed', async () => {
    const res = await fetch(`http://127.0.0.1:${port}${url}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: ORDER_SIGN,
    });
    expect(res.status).toBe(200);
  }, 15000);
});
