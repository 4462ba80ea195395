import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTextLine } from './logger';

test('pino records print as Consul-style text lines', () => {
  const line = formatTextLine(
    JSON.stringify({
      level: 30,
      time: Date.UTC(2024, 0, 2, 3, 4, 5),
      module: 'raft',
      msg: 'elected',
      term: 2,
      id: 'a b',
    }),
  );
  assert.equal(line, '2024-01-02T03:04:05.000Z [INFO]  raft: elected: term=2 id="a b"\n');
  const warn = formatTextLine(JSON.stringify({ level: 40, time: 0, msg: 'careful' }));
  assert.equal(warn, '1970-01-01T00:00:00.000Z [WARN]  agent: careful\n');
  const error = formatTextLine(
    JSON.stringify({ level: 50, time: 0, msg: 'boom', err: { message: 'bad' } }),
  );
  assert.equal(error, '1970-01-01T00:00:00.000Z [ERROR] agent: boom: err="bad"\n');
});
