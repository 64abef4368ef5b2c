/**
 * Applies the database migrations and exits: `npm run migrate` (DATABASE_URL, else the embedded
 * PGlite in STATE_DIR). The image runs the same as `node dist/main.js migrate`.
 */
import { migrateOnly, runMain } from '../src/main';

runMain(migrateOnly);
