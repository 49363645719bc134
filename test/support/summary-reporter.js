const fs = require('node:fs');

/**
 * Prints the plain closing line CI reads: "N passed, N failed[, N skipped]". Under
 * scripts/test.mjs (SB_SUMMARY_FILE set) it records the counts there instead, and the script
 * prints one line for all its runs.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const file = process.env.SB_SUMMARY_FILE;
    if (file) {
      const counts = { passed: results.numPassedTests, failed: results.numFailedTests, skipped, suitesFailed: results.numFailedTestSuites + (results.numRuntimeErrorTestSuites ?? 0) };
      fs.appendFileSync(file, `${JSON.stringify(counts)}\n`);
      return;
    }
    const line = `${results.numPassedTests} passed, ${results.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`;
    process.stdout.write(`\nTests: ${line}\n`);
  }
}
module.exports = SummaryReporter;
