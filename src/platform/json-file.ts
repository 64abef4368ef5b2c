import fs from 'node:fs';

/**
 * Reads and parses a JSON file. A file that cannot be read or parsed throws the error `fail`
 * makes from a message naming the file (a ContentError at startup, a BadRequestError in tools).
 */
export function readJsonFile(
  file: string,
  fail: (file: string, message: string) => Error,
): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw fail(file, `not readable JSON (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw fail(file, `not valid JSON (${(e as Error).message})`);
  }
}
