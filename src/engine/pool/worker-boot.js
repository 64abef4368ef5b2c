// Entry of an evaluation worker when the service runs from its TypeScript sources: registers
// tsx for this thread, then loads the worker.
require('tsx/cjs');
require('./worker.ts');
