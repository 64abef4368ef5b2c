/**
 * Applies the database migrations and exits: `npm run migrate` (DATABASE_URL, else the embedded
 * PGlite in STATE_DIR). The service applies them at startup too; this is the migration Job's
 * command for deployments that run it once before the replicas start.
 */
import { openDatabase } from '../src/adapters/state';
import { migrate, MIGRATIONS } from '../src/adapters/sql/migrations';
import { readConfig } from '../src/platform/config';

async function main(): Promise<void> {
  const config = readConfig();
  const db = await openDatabase(config);
  try {
    const applied = await migrate(db);
    process.stdout.write(
      `${JSON.stringify({ database: db.kind, applied, current: MIGRATIONS.at(-1)?.version ?? 0 })}\n`,
    );
  } finally {
    await db.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`migrate: ${(e as Error).message}\n`);
  process.exit(1);
});
