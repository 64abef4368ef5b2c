/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testTimeout: 60000,
  // The replica tests leave sockets to a service killed with SIGKILL to the OS; Jest must not
  // wait on them once every test has finished (it would hang CI).
  forceExit: true,
};
