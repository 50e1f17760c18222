// The reliability suite (`npm run test:faults`): fuzzing and fault injection against the real
// vault, bounded to a few minutes; kept out of `npm test` (jest.config.js ignores test/faults/).
import unit from './jest.config.js';

export default {
  ...unit,
  testMatch: ['<rootDir>/test/faults/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 300_000,
};
