import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Progress } from './output';

function captureStderr(isTTY: boolean, body: () => void): string {
  const stderr = process.stderr as NodeJS.WriteStream & { isTTY: boolean };
  const original = { write: stderr.write, isTTY: stderr.isTTY };
  let written = '';
  stderr.isTTY = isTTY;
  stderr.write = ((chunk: string | Uint8Array) => {
    written += String(chunk);
    return true;
  }) as typeof stderr.write;
  try {
    body();
  } finally {
    stderr.write = original.write;
    stderr.isTTY = original.isTTY;
  }
  return written;
}

test('a progress line shows on a terminal for runs of more than 1000 items, then is cleared', () => {
  const written = captureStderr(true, () => {
    const progress = new Progress('Importing', 1500);
    progress.update(1);
    progress.update(1500);
    progress.finish();
  });
  assert.match(written, /\rImporting 1\/1500/);
  assert.match(written, /\rImporting 1500\/1500/);
  assert.ok(written.endsWith('\r\x1b[K'));
});

test('no progress line for short runs or when stderr is not a terminal', () => {
  const short = captureStderr(true, () => {
    const progress = new Progress('Importing', 10);
    progress.update(10);
    progress.finish();
  });
  assert.equal(short, '');
  const piped = captureStderr(false, () => {
    const progress = new Progress('Importing', 5000);
    progress.update(5000);
    progress.finish();
  });
  assert.equal(piped, '');
});
