/**
 * Loads the demo patients (demo/seed/demo-*.json transaction Bundles, relative dates
 * resolved now) into a FHIR server, once it answers /metadata. Used by docker-compose for HAPI.
 *
 *   npx tsx demo/seed-fhir-server.ts http://localhost:8080/fhir [--wait-seconds 300]
 */
import { readSeedBundles } from './fhir-server';

async function waitForServer(base: string, seconds: number): Promise<void> {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    try {
      const res = await fetch(`${base}/metadata`, {
        headers: { Accept: 'application/fhir+json' },
        signal: AbortSignal.timeout(5000),
      });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`${base}/metadata did not answer within ${seconds} s`);
    await new Promise((r) => setTimeout(r, 3000));
  }
}

async function main(): Promise<void> {
  const base = process.argv[2]?.replace(/\/+$/, '');
  if (!base || !/^https?:\/\//.test(base))
    throw new Error('usage: seed-fhir-server <FHIR base URL> [--wait-seconds N]');
  const w = process.argv.indexOf('--wait-seconds');
  await waitForServer(base, w > 0 ? Number(process.argv[w + 1]) : 300);
  for (const bundle of readSeedBundles(new Date())) {
    const res = await fetch(base, {
      method: 'POST',
      headers: { 'Content-Type': 'application/fhir+json', Accept: 'application/fhir+json' },
      body: JSON.stringify(bundle),
    });
    if (!res.ok)
      throw new Error(`bundle ${bundle.id}: ${res.status} ${(await res.text()).slice(0, 500)}`);
    console.log(`seeded ${bundle.id} (${bundle.entry?.length ?? 0} resources)`);
  }
}

main().catch((e: unknown) => {
  console.error(`seed: ${(e as Error).message}`);
  process.exit(1);
});
