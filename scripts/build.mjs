#!/usr/bin/env node
// The build: the server (tsc into dist/), the frontends' type check, their bundles (dist-web/).
//
//   node scripts/build.mjs               build (npm run build)
//   node scripts/build.mjs --if-changed  build only if an input changed since the last build
//                                        (npm test, npm start: right after `npm ci`, whose
//                                        prepare step built, nothing is built twice)
//
// "Changed" is decided by content, not by dates: a SHA-256 over every input file's path and
// bytes (src/, migrations/, web/, the tsconfigs, package-lock.json), kept in dist/.inputs.sha256
// once a build succeeded. A missing output builds too.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const INPUTS = ['src', 'migrations', 'web', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
const OUTPUTS = ['dist/src/main.js', 'dist-web/widget.js'];
const stamp = path.join(root, 'dist', '.inputs.sha256');

function files(rel) {
  const full = path.join(root, rel);
  if (!fs.existsSync(full)) return [];
  if (!fs.statSync(full).isDirectory()) return [rel];
  return fs
    .readdirSync(full, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => files(path.join(rel, entry.name)));
}

function inputsHash() {
  const hash = createHash('sha256');
  for (const rel of INPUTS.flatMap(files)) hash.update(`${rel}\0`).update(fs.readFileSync(path.join(root, rel))).update('\0');
  return hash.digest('hex');
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const hash = inputsHash();
const fresh = OUTPUTS.every((rel) => fs.existsSync(path.join(root, rel))) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').trim() === hash;
if (process.argv.includes('--if-changed') && fresh) {
  console.log('build: dist/ and dist-web/ are up to date with the sources');
  process.exit(0);
}
fs.rmSync(stamp, { force: true });
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
run(process.execPath, [tsc, '-p', 'tsconfig.build.json']);
run(process.execPath, [tsc, '-p', 'web/tsconfig.json']);
run(process.execPath, [path.join(root, 'web', 'build.mjs')]);
fs.writeFileSync(stamp, `${hash}\n`);
