// Jest in ESM mode (jose 6 is ESM-only): run through `node --experimental-vm-modules`.
// This config is the unit + integration suite on SQLite (`npm test`); jest.postgres.config.js runs
// it on PostgreSQL with test/postgres/; jest.e2e.config.js drives Chromium,
// jest.faults.config.js runs the reliability suite in test/faults/.
export default {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  testEnvironment: 'node',
  // Jest's default on a two-core machine is one worker; the files wait on child processes, SMTP
  // and HTTP as much as on the CPU, so two halve the suite's time (401 s → 229 s, .ci/run's unit
  // step). The faults config inherits it; `npm run test:e2e` runs in band (--runInBand).
  maxWorkers: 2,
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/', '<rootDir>/test/faults/', '<rootDir>/test/postgres/'],
};
