/** Tests talk to the real Postgres and Redis named by TEST_DATABASE_URL / TEST_REDIS_URL
 *  (defaults: the local services). Each test file gets its own database and Redis prefix. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  setupFiles: ['reflect-metadata'],
  testTimeout: 30000,
  slowTestThreshold: 10,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
