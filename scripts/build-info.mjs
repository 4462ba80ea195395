#!/usr/bin/env node
// Records what was built into dist/build-info.json (commit and build date), so that an
// installed package, which has no .git, can still say which commit it is.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

function commit() {
  try {
    const root = new URL('..', import.meta.url).pathname;
    const hash = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
    return dirty === '' ? hash : `${hash}+dirty`;
  } catch {
    return 'unknown';
  }
}

writeFileSync(
  new URL('../dist/build-info.json', import.meta.url),
  `${JSON.stringify({ commit: commit(), buildDate: new Date().toISOString() })}\n`,
);
