import { createLogger } from '../../../src/platform/log';

/**
 * The real logger (pino, the service's configuration) writing to a captured destination: secrets
 * and PHI-named fields a caller passes by mistake never reach the output.
 */
const JWT =
  'eyJhbGciOiJFUzM4NCIsImtpZCI6ImsxIn0.eyJpc3MiOiJodHRwczovL2Voci5leGFtcGxlLm9yZyJ9.c2lnbmF0dXJlLWJ5dGVz';
const ACCESS_TOKEN = 'opaque-fhir-token-7f3a91';
const HEADER_TOKEN = 'opaque-header-token-42bc';

function captured(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, log: createLogger('debug', (line) => lines.push(line)) };
}

describe('log redaction', () => {
  it('never writes the bearer token, the fhirAuthorization access token or an Authorization header', () => {
    const { lines, log } = captured();
    // A whole order-sign request and its headers, as a careless caller might log them.
    log.info('order-sign-request', {
      authorization: `Bearer ${JWT}`,
      fhirAuthorization: { access_token: ACCESS_TOKEN, token_type: 'Bearer' },
      headers: { Authorization: `Bearer ${HEADER_TOKEN}`, 'content-type': 'application/json' },
      body: {
        hook: 'order-sign',
        fhirServer: 'https://ehr.example.org/fhir',
        fhirAuthorization: { access_token: ACCESS_TOKEN },
      },
      access_token: ACCESS_TOKEN,
    });
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    for (const secret of [JWT, ACCESS_TOKEN, HEADER_TOKEN]) expect(line).not.toContain(secret);
    const entry = JSON.parse(line);
    expect(entry).toMatchObject({
      event: 'order-sign-request',
      level: 'info',
      authorization: '[REDACTED]',
      fhirAuthorization: '[REDACTED]',
      access_token: '[REDACTED]',
      headers: { Authorization: '[REDACTED]', 'content-type': 'application/json' },
      body: { hook: 'order-sign', fhirAuthorization: '[REDACTED]' },
    });
  });

  it('never writes patient identifiers or demographics passed by name', () => {
    const { lines, log } = captured();
    log.warn('careless', {
      patientId: 'pt-secret-1',
      prefetch: { patient: { resourceType: 'Patient', id: 'pt-secret-1' } },
      patient: { name: [{ family: 'Doe-Secret' }], birthDate: '1950-01-02' },
    });
    const line = lines.join('\n');
    for (const phi of ['pt-secret-1', 'Doe-Secret', '1950-01-02']) expect(line).not.toContain(phi);
  });

  it('redacts PHI-named fields at any depth, and writes nothing deeper than six levels', () => {
    const { lines, log } = captured();
    log.warn('careless-deep', {
      request: {
        body: {
          context: { draft: { subject: { patientId: 'pt-deep-1', birthDate: '1949-03-04' } } },
        },
      },
      a: { b: { c: { d: { e: { f: { g: { family: 'Deep-Secret' } } } } } } },
    });
    const line = lines.join('\n');
    for (const phi of ['pt-deep-1', '1949-03-04', 'Deep-Secret']) expect(line).not.toContain(phi);
    expect(JSON.parse(line).request.body.context.draft.subject.patientId).toBe('[REDACTED]');
  });

  it('masks a bearer token or a JWT inside a logged message, under any field name', () => {
    const { lines, log } = captured();
    log.error('request-failed', {
      error: `upstream said: invalid header "Bearer ${HEADER_TOKEN}"`,
      detail: { nested: { text: `token was ${JWT} (expired)` } },
    });
    const line = lines.join('\n');
    expect(line).not.toContain(HEADER_TOKEN);
    expect(line).not.toContain(JWT);
    const entry = JSON.parse(line);
    expect(entry.error).toBe('upstream said: invalid header "Bearer [REDACTED]"');
    expect(entry.detail.nested.text).toBe('token was [REDACTED] (expired)');
  });

  it('keeps the fields that are neither secret nor PHI', () => {
    const { lines, log } = captured();
    log.info('order-sign', { hookInstance: 'h-1', cards: 2, policies: ['P-1:criteria-met'] });
    expect(JSON.parse(lines[0]!)).toMatchObject({
      event: 'order-sign',
      hookInstance: 'h-1',
      cards: 2,
      policies: ['P-1:criteria-met'],
    });
  });
});
