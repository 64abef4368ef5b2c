// Entry of the PGlite thread when the service runs from its TypeScript sources: registers tsx for
// this thread, then loads the worker.
require('tsx/cjs');
require('./pglite-worker.ts');
