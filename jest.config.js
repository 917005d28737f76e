/** Two tiers: `unit` needs no network; `integration` runs against a real Kafka, a real schema
 * registry (test/stack/global-setup.ts finds or starts them) and the simulator over real HTTP. */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json' }];
/** ESM-only packages in node_modules are compiled to CommonJS (see test/jest/esm-to-cjs.js). */
const transform = {
  '^.+\\.ts$': tsJest,
  '/node_modules/@platformatic/.+\\.js$': '<rootDir>/test/jest/esm-to-cjs.js',
};
const transformIgnorePatterns = ['/node_modules/(?!@platformatic/)'];

/** @type {import('jest').Config} */
module.exports = {
  // Integration tests run against real services; jest takes this option only at the top level.
  testTimeout: 180000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/stack/global-setup.ts',
      globalTeardown: '<rootDir>/test/stack/global-teardown.ts',
    },
  ],
};
