/**
 * The demo entry (what `npm start` runs): the service plus the "try it" page at /try and an
 * embedded FHIR R4 server at /demo/fhir seeded with the demo patients, in one process.
 *
 *   DEMO_FHIR_SERVER=https://…/fhir   the try page names that server instead (nothing embedded)
 */
import { servers } from '../src/platform/config';
import { runMain, startService } from '../src/main';
import { createDemoFhirServer, readSeedBundles } from './fhir-server';
import { demoRouter } from './router';

/** The demo's one setting, read once. */
function readDemoConfig(env: NodeJS.ProcessEnv = process.env): { fhirServer?: string } {
  const raw = env.DEMO_FHIR_SERVER?.trim();
  return raw
    ? { fhirServer: servers({ DEMO_FHIR_SERVER: raw }, 'DEMO_FHIR_SERVER')[0] as string }
    : {};
}

runMain(async () => {
  const demo = readDemoConfig();
  await startService({
    routers: async (content) => {
      // The embedded FHIR server is only needed when the page is not pointed at another one.
      const fhir = demo.fhirServer ? undefined : createDemoFhirServer();
      // Seeded after the service is up (its requests wait for it): startup does not wait on it.
      fhir?.load(readSeedBundles(new Date())).catch((e: unknown) => {
        console.error(`demo FHIR server: ${(e as Error).message}`);
      });
      return [
        {
          path: '/',
          router: demoRouter({
            serviceId: content.service.id,
            ...demo,
            ...(fhir ? { fhir: fhir.router } : {}),
          }),
        },
      ];
    },
    describe: (port) => ({ demo: `http://localhost:${port}/try` }),
  });
  if (process.env.npm_lifecycle_event === 'start') stopWithParent();
});

/**
 * Under `npm start` the service runs in a shell npm started. npm forwards SIGTERM/SIGINT to that
 * shell only, and the shell dies without passing them on, which would leave this process running
 * as an orphan. So when the parent goes away, stop as on SIGTERM (gracefully).
 */
function stopWithParent(): void {
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    process.kill(process.pid, 'SIGTERM');
  }, 250);
  watch.unref();
}
