/**
 * Prints the order-sign request of a test scenario with its relative dates resolved, ready to
 * POST (for curl examples and sandboxes).
 *
 *   npm run -s request -- test/patients/<policy-id>/<scenario>.json
 */
import { BadRequestError } from '../src/platform/errors';
import { readScenario } from './scenarios';

try {
  const file = process.argv[2];
  if (!file) throw new BadRequestError('usage: npm run -s request -- <scenario.json>');
  const scenario = readScenario(file, new Date());
  if (!scenario.request) throw new BadRequestError(`${file} is not a scenario (no "request")`);
  process.stdout.write(JSON.stringify(scenario.request, null, 2) + '\n');
} catch (e) {
  console.error(`request: ${(e as Error).message}`);
  process.exit(2);
}
