import { isAllowedServer } from '../../../src/patient-data/fhir-client';

/**
 * ALLOWED_FHIR_SERVERS (and a client's fhirServers): a fhirServer is allowed when it is an allowed
 * base URL or a path under one, never because its text merely starts with one.
 */
describe('isAllowedServer', () => {
  const HOST = ['https://ehr.example.org'];
  const PATH = ['https://ehr.example.org/fhir'];

  it.each([
    [HOST, 'https://ehr.example.org'],
    [HOST, 'https://ehr.example.org/fhir'],
    [HOST, 'https://ehr.example.org/fhir/r4'],
    [PATH, 'https://ehr.example.org/fhir'],
    [PATH, 'https://ehr.example.org/fhir/r4'],
    [['https://ehr.example.org/fhir/'], 'https://ehr.example.org/fhir/r4'],
    [['https://other.example.com', 'https://ehr.example.org'], 'https://ehr.example.org/fhir'],
    [['*'], 'https://anything.example.net/fhir'],
  ])('allows, for %j, %s', (allowed, server) => {
    expect(isAllowedServer(server, allowed)).toBe(true);
  });

  it.each([
    ['another host that starts with the allowed one', HOST, 'https://ehr.example.org.evil.net'],
    ['the same, with a path', HOST, 'https://ehr.example.org.evil.net/fhir'],
    ['the allowed host as user info of another host', HOST, 'https://ehr.example.org@evil.net'],
    ['the same, with a path', HOST, 'https://ehr.example.org@evil.net/fhir'],
    [
      'the allowed host with a password before another host',
      HOST,
      'https://ehr.example.org:x@evil.net',
    ],
    ['another port', HOST, 'https://ehr.example.org:444'],
    ['another port, with a path', HOST, 'https://ehr.example.org:444/fhir'],
    ['http for an allowed https', HOST, 'http://ehr.example.org'],
    ['https for an allowed http', ['http://ehr.example.org'], 'https://ehr.example.org'],
    [
      'a sibling path that starts with the allowed path',
      PATH,
      'https://ehr.example.org/fhir-other',
    ],
    ['a parent of the allowed path', PATH, 'https://ehr.example.org'],
    [
      'a path that leaves the allowed one once resolved',
      PATH,
      'https://ehr.example.org/fhir/../admin',
    ],
    ['the same, percent-encoded', PATH, 'https://ehr.example.org/fhir/%2e%2e/admin'],
    ['no allowed server at all', [], 'https://ehr.example.org'],
  ])('refuses %s (%j, %s)', (_why, allowed, server) => {
    expect(isAllowedServer(server, allowed)).toBe(false);
  });
});
