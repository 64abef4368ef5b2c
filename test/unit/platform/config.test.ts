import { readConfig } from '../../../src/platform/config';

describe('readConfig', () => {
  it('has working defaults', () => {
    const c = readConfig({});
    expect(c).toMatchObject({
      port: 3000,
      bodyLimitBytes: 5 * 1024 * 1024,
      fhirTimeoutMs: 8000,
      fhirMaxPages: 20,
      allowedFhirServers: ['*'],
      logLevel: 'info',
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads every variable', () => {
    const c = readConfig({
      PORT: '8080',
      BODY_LIMIT: '512kb',
      FHIR_TIMEOUT_MS: '2500',
      FHIR_MAX_PAGES: '3',
      ALLOWED_FHIR_SERVERS: 'https://a.example/fhir/, https://b.example/r4',
      LOG_LEVEL: 'WARN',
      FEEDBACK_LOG: '/tmp/x.jsonl',
      PAYER_IDENTIFIERS:
        'http://hl7.org/fhir/sid/us-npi|1234567893, urn:oid:2.16.840.1.113883.3.7|PAYER01',
    });
    expect(c).toMatchObject({
      port: 8080,
      bodyLimitBytes: 512 * 1024,
      fhirTimeoutMs: 2500,
      fhirMaxPages: 3,
      allowedFhirServers: ['https://a.example/fhir', 'https://b.example/r4'],
      logLevel: 'warn',
      feedbackLog: '/tmp/x.jsonl',
      payerIdentifiers: [
        'http://hl7.org/fhir/sid/us-npi|1234567893',
        'urn:oid:2.16.840.1.113883.3.7|PAYER01',
      ],
    });
    expect(readConfig({}).payerIdentifiers).toEqual([]);
  });

  it('withholds unrecorded answers unless DECISIONS_REQUIRED is off, and refuses another value', () => {
    expect(readConfig({}).decisionsRequired).toBe(true);
    expect(readConfig({ DECISIONS_REQUIRED: 'off' }).decisionsRequired).toBe(false);
    expect(readConfig({ DECISIONS_REQUIRED: 'on' }).decisionsRequired).toBe(true);
    expect(() => readConfig({ DECISIONS_REQUIRED: 'sometimes' })).toThrow(
      /^DECISIONS_REQUIRED: must be on or off/,
    );
  });

  it('turns authentication on in production, and needs trusted clients then', () => {
    expect(() => readConfig({ NODE_ENV: 'production' })).toThrow(
      /^CDS_CLIENTS_FILE: AUTH is on but no trusted CDS client/,
    );
    const clients = JSON.stringify([
      {
        iss: 'https://ehr.example.org',
        jwksUrl: 'https://ehr.example.org/jwks',
        fhirServers: ['https://ehr.example.org/fhir/'],
      },
    ]);
    const c = readConfig({
      NODE_ENV: 'production',
      CDS_CLIENTS: clients,
      PUBLIC_BASE_URL: 'https://cds.example.org/',
    });
    expect(c.auth).toMatchObject({
      enabled: true,
      clients: [{ iss: 'https://ehr.example.org', fhirServers: ['https://ehr.example.org/fhir'] }],
    });
    expect(c.publicBaseUrl).toBe('https://cds.example.org');
    expect(readConfig({}).auth.enabled).toBe(false);
  });

  it.each([
    [{ AUTH: 'maybe' }, /^AUTH: /],
    [
      { PAYER_IDENTIFIERS: 'PAYER01' },
      /^PAYER_IDENTIFIERS: must list payer identifiers as system\|value/,
    ],
    [{ CDS_CLIENTS: '{"iss":"x"}' }, /^CDS_CLIENTS: must be a JSON array/],
    [{ CDS_CLIENTS: '[{"iss":"x"}]' }, /^CDS_CLIENTS: CDS_CLIENTS\[0\] needs jwksUrl or jkuAllow/],
    [
      { CDS_CLIENTS: '[{"iss":"x","jwksUrl":"ftp://k"}]' },
      /^CDS_CLIENTS: .*jwksUrl must be an http\(s\) URL/,
    ],
    [{ CDS_CLIENTS_FILE: '/no/such/file.json' }, /^CDS_CLIENTS_FILE: cannot read/],
    [
      { CDS_CLIENTS: '[{"iss":"x","jwksUrl":"https://k","ratePerMinute":-1}]' },
      /^CDS_CLIENTS: .*ratePerMinute must be a whole number from 0 \(no limit\) to 1000000/,
    ],
    [
      { CDS_CLIENTS: '[{"iss":"x","jwksUrl":"https://k","ratePerMinute":"lots"}]' },
      /^CDS_CLIENTS: .*ratePerMinute must be a whole number/,
    ],
    [{ MAX_CONCURRENT: '0' }, /^MAX_CONCURRENT: /],
    [{ PORT: '70000' }, /^PORT: /],
    [{ BODY_LIMIT: 'huge' }, /^BODY_LIMIT: /],
    [{ FHIR_TIMEOUT_MS: '-5' }, /^FHIR_TIMEOUT_MS: /],
    [{ ALLOWED_FHIR_SERVERS: 'ftp://x' }, /^ALLOWED_FHIR_SERVERS: /],
    [{ ALLOWED_FHIR_SERVERS: 'not a url' }, /^ALLOWED_FHIR_SERVERS: /],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL: /],
  ])('rejects %j naming the variable', (env, message) => {
    expect(() => readConfig(env)).toThrow(message);
  });
});
