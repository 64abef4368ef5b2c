import { z } from 'zod';
import {
  fieldsOf,
  formatPath,
  nonEmptyString,
  parseShape,
  whole,
} from '../../../src/platform/shape';

const fail = (message: string) => new Error(message);
const messageOf = (schema: z.ZodType, value: unknown, label?: (path: string) => string): string => {
  try {
    parseShape(schema, value, fail, label);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a failure');
};

describe('formatPath', () => {
  it('dots keys and brackets array indices', () => {
    expect(formatPath(['context', 'draftOrders', 'entry', 0, 'resource'])).toBe(
      'context.draftOrders.entry[0].resource',
    );
    expect(formatPath([0, 'iss'])).toBe('[0].iss');
    expect(formatPath(['cards', 2])).toBe('cards[2]');
    expect(formatPath(['nextSteps', 'II.A'])).toBe('nextSteps.II.A');
    expect(formatPath([])).toBe('');
  });
});

describe('parseShape', () => {
  const entry = z.looseObject(
    { resource: z.looseObject({}, { error: 'must be a FHIR resource' }) },
    { error: 'must be an object' },
  );
  const bundle = z.object(
    { entry: z.array(entry, { error: 'must be an array' }) },
    { error: 'the body must be a JSON object' },
  );

  it('returns the parsed value when it fits', () => {
    expect(parseShape(bundle, { entry: [{ resource: { id: 'x' } }] }, fail)).toEqual({
      entry: [{ resource: { id: 'x' } }],
    });
  });

  it('names the path of the first issue, then its message', () => {
    expect(messageOf(bundle, { entry: [{ resource: {} }, { resource: 5 }, 7] })).toBe(
      'entry[1].resource must be a FHIR resource',
    );
    expect(messageOf(z.object({ context: bundle }), { context: { entry: {} } })).toBe(
      'context.entry must be an array',
    );
  });

  it('gives the message alone for the value itself', () => {
    expect(messageOf(bundle, [])).toBe('the body must be a JSON object');
  });

  it('joins a message that starts with ":" to its path without a space', () => {
    const noted = z.object({ a: z.string().refine(() => false, { error: ': no such thing' }) });
    expect(messageOf(noted, { a: 'x' })).toBe('a: no such thing');
  });

  it('lets the caller label the path', () => {
    const clients = z.array(z.object({ iss: z.string({ error: 'must be the issuer' }) }));
    expect(messageOf(clients, [{ iss: 'a' }, {}], (at) => `CLIENTS${at}`)).toBe(
      'CLIENTS[1].iss must be the issuer',
    );
    expect(
      messageOf(z.object({ id: z.string({ error: 'must be text' }) }), {}, (at) => `field "${at}"`),
    ).toBe('field "id" must be text');
  });

  it('throws what fail makes', () => {
    class Custom extends Error {}
    expect(() => parseShape(z.string(), 1, (m) => new Custom(m))).toThrow(Custom);
  });
});

describe('shape helpers', () => {
  it('nonEmptyString refuses blanks and non-strings with one message', () => {
    const s = z.object({ id: nonEmptyString() });
    expect(messageOf(s, { id: '  ' })).toBe('id must be a non-empty string');
    expect(messageOf(s, { id: 4 })).toBe('id must be a non-empty string');
    expect(messageOf(s, {})).toBe('id must be a non-empty string');
    expect(
      messageOf(z.object({ card: nonEmptyString("must be the card's uuid") }), { card: '' }),
    ).toBe("card must be the card's uuid");
  });

  it('whole reports anything wrong inside as one issue on the value, and keeps the parsed output', () => {
    const s = z.object({
      criteria: whole(z.array(z.string()).min(1), 'must list the criterion ids'),
    });
    expect(messageOf(s, { criteria: ['I', 2] })).toBe('criteria must list the criterion ids');
    expect(messageOf(s, { criteria: [] })).toBe('criteria must list the criterion ids');
    expect(messageOf(s, {})).toBe('criteria must list the criterion ids');
    const ids = whole(z.array(z.object({ id: z.string() })), 'must list ids');
    expect(parseShape(ids, [{ id: 'a', extra: 1 }], fail)).toEqual([{ id: 'a' }]);
  });

  it('fieldsOf checks a value that is not an object as {}', () => {
    const s = z.array(fieldsOf(z.object({ iss: z.string({ error: 'must be the issuer' }) })));
    expect(messageOf(s, [5])).toBe('[0].iss must be the issuer');
    expect(messageOf(s, [[]])).toBe('[0].iss must be the issuer');
    expect(parseShape(s, [{ iss: 'x' }], fail)).toEqual([{ iss: 'x' }]);
  });
});
