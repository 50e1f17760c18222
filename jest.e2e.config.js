// End-to-end suite (`npm run test:e2e`): real Chromium (Debian's) driven by playwright-core.
import unit from './jest.config.js';

export default { ...unit, testMatch: ['<rootDir>/test/e2e/**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/'] };
