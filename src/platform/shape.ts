import { z } from 'zod';

/**
 * Checking the JSON shape of input (requests, content files, settings) with zod schemas, and
 * turning the first issue into the one message the caller's error carries.
 *
 * A message reads `<path> <issue message>`, e.g. `context.draftOrders.entry[0].resource must be a
 * FHIR resource`, or is the issue message alone for the value itself. An issue message that starts
 * with ":" is joined to the path without a space (`entry[0]: a MedicationRequest needs ...`).
 */

/** A dotted path with array indices in brackets: `context.draftOrders.entry[0].resource`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

/** The message for one issue; `label` turns the formatted path into how the caller names it. */
export function issueMessage(
  issue: z.core.$ZodIssue,
  label: (path: string) => string = (path) => path,
): string {
  if (issue.path.length === 0) return issue.message;
  const at = label(formatPath(issue.path));
  return issue.message.startsWith(':') ? `${at}${issue.message}` : `${at} ${issue.message}`;
}

/** `value` parsed by `schema`; if it does not fit, throws `fail(message)` for the first issue. */
export function parseShape<S extends z.ZodType>(
  schema: S,
  value: unknown,
  fail: (message: string) => Error,
  label?: (path: string) => string,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const [first] = result.error.issues;
  throw fail(first ? issueMessage(first, label) : 'is not valid');
}

/** A string that is not blank; `message` for anything else. */
export function nonEmptyString(message = 'must be a non-empty string') {
  return z
    .string({ error: message })
    .refine((s) => s.trim() !== '', { error: message, abort: true });
}

/** `schema`, but anything wrong inside the value is one issue on the value itself, with `message`. */
export function whole<S extends z.ZodType>(schema: S, message: string) {
  return z
    .custom((value) => schema.safeParse(value).success, { error: message, abort: true })
    .pipe(schema);
}

/** `schema` for an object; a value that is not an object is checked as {}, so as missing its fields. */
export function fieldsOf<S extends z.ZodType>(schema: S) {
  return z.preprocess(
    (value) => (typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {}),
    schema,
  );
}
