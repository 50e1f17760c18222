// The reliability suite (`npm run test:faults`): fuzzing and fault injection against the real
// vault, bounded to a few minutes; kept out of `npm test` (jest.config.js ignores test/faults/).
// Two files at a time, as the unit suite (three runs in a row: 75–85 s against 126 s in band, all
// passing); the browser suite stays in band, as Chromium keeps both cores busy on its own.
import unit from './jest.config.js';

export default {
  ...unit,
  testMatch: ['<rootDir>/test/faults/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 300_000,
};
