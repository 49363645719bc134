#!/usr/bin/env node
// The suite on a small machine: the files that keep to one in-process server run two at a time;
// the ones that measure time, spawn several servers or drive Chromium run one at a time after them,
// so they are never slowed by a neighbour. One closing line for CI: "N passed, N failed".
//
//   node scripts/test.mjs           everything
//   node scripts/test.mjs --fast    the two-at-a-time part only (no browser, timing or multi-process file)
//   node scripts/test.mjs FILE…     those files, one at a time (as `jest --runInBand FILE…`)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const jest = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
/** One at a time: Chromium, several server processes, timing and load (statement-pool: its bursts must fit Postgres refusing connections for a few seconds), the process itself. */
const SERIAL = '/test/(browser|scale-|security-dos|operations|statement-pool|soak)';

/**
 * Files at once in the first part: two on two cores. Three was tried: no faster on a full run
 * (266 s against 252 + 73), and the files timing a retry window or a wake-up got flaky.
 */
const PARALLEL = 2;

const args = process.argv.slice(2);
const fast = args[0] === '--fast';
const files = fast ? args.slice(1) : args;
const summaries = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-test-')), 'summaries.jsonl');

function run(jestArgs) {
  const result = spawnSync(process.execPath, [jest, ...jestArgs], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, SB_SUMMARY_FILE: summaries },
  });
  return result.status ?? 1;
}

let status = 0;
if (files.length) {
  status = run(['--runInBand', ...files]);
} else {
  status |= run([`--maxWorkers=${PARALLEL}`, '--passWithNoTests', '--testPathIgnorePatterns', SERIAL]);
  if (!fast) status |= run(['--runInBand', '--passWithNoTests', '--testPathPatterns', SERIAL]);
}

const totals = { passed: 0, failed: 0, skipped: 0, suitesFailed: 0 };
for (const line of fs.existsSync(summaries) ? fs.readFileSync(summaries, 'utf8').split('\n') : []) {
  if (!line) continue;
  const s = JSON.parse(line);
  for (const key of Object.keys(totals)) totals[key] += s[key];
}
const failed = totals.failed + (totals.failed === 0 && status !== 0 ? Math.max(totals.suitesFailed, 1) : 0);
process.stdout.write(`\nTests: ${totals.passed} passed, ${failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}\n`);
process.exit(status === 0 && failed === 0 ? 0 : 1);
