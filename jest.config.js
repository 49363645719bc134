/** Tests talk to the real Postgres and Redis named by TEST_DATABASE_URL / TEST_REDIS_URL
 *  (defaults: the local services). Each test file gets its own database and Redis prefix. */

/** ESM-only dependencies: Node 22.12+ require()s them natively, but jest's module loader cannot
 *  (it needs Node 24.9 and --experimental-vm-modules), so esbuild rewrites them to CommonJS. */
const ESM_ONLY = [
  'jose', 'pg-boss', 'serialize-error', 'non-error', 'rrule-temporal', 'temporal-spec',
  // file-type and its own ESM-only dependencies
  'file-type', 'strtok3', 'token-types', 'uint8array-extras', '@tokenizer/inflate', '@borewit/text-codec',
];

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    [`/node_modules/(${ESM_ONLY.join('|')})/.+\\.js$`]: '<rootDir>/test/support/esm-to-cjs.js',
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  setupFiles: ['reflect-metadata'],
  testTimeout: 30000,
  slowTestThreshold: 10,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
