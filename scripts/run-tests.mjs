#!/usr/bin/env node
// Runs every compiled *.test.js under dist/ with Node's own test runner.
// `--only unit` keeps the fast in-process tests (files not under dist/test/).
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
const onlyUnit = process.argv.includes('--only') && process.argv.includes('unit');

function findTests(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

let files = findTests(dist).sort();
if (onlyUnit) files = files.filter((f) => !relative(dist, f).startsWith('test/'));
if (files.length === 0) {
  console.error('no test files found under dist/: did the build run?');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  [
    '--enable-source-maps',
    '--import',
    join(root, 'scripts', 'test-guard.mjs'),
    '--test',
    '--test-concurrency=2',
    '--test-reporter=spec',
    ...files,
  ],
  { stdio: 'inherit', cwd: root },
);
process.exit(result.status ?? 1);
