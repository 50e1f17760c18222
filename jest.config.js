// Jest in ESM mode (jose 6 is ESM-only): run through `node --experimental-vm-modules`.
// This config is the unit + integration suite on SQLite (`npm test`); jest.postgres.config.js runs
// it on PostgreSQL with test/postgres/; jest.e2e.config.js drives Chromium,
// jest.faults.config.js runs the reliability suite in test/faults/.
export default {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/', '<rootDir>/test/faults/', '<rootDir>/test/postgres/'],
};
