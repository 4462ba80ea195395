import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { decodeCommand, encodeCommand } from './codec';
import type { Command } from './commands';
import { packr } from './wire';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function roundTrip(cmd: Command): Command {
  return decodeCommand(encodeCommand(cmd));
}

describe('command codec', () => {
  it('round-trips every command type', () => {
    const commands: Command[] = [
      { type: 'kv-set', key: 'a/b', value: bytes('hello'), flags: 0n },
      { type: 'kv-set', key: 'k', value: new Uint8Array(0), flags: 3n, cas: 0 },
      { type: 'kv-delete', key: 'k' },
      { type: 'kv-delete', key: 'k', cas: 17 },
      { type: 'kv-delete-tree', prefix: '' },
      {
        type: 'txn',
        ops: [
          { verb: 'set', key: 'x', value: bytes('1'), flags: 9n },
          { verb: 'lock', key: 'l', value: bytes(''), session: 'sess' },
          { verb: 'check-index', key: 'x', index: 2 ** 40 },
          { verb: 'delete-tree', key: 'p/' },
        ],
      },
      { type: 'tombstone-reap', upto: 123456 },
    ];
    for (const cmd of commands) assert.deepEqual(roundTrip(cmd), cmd);
  });

  it('keeps uint64 flags exact, above 2^53 and at the maximum', () => {
    for (const flags of [0n, 1n, 2n ** 53n + 1n, 0x2ddccbc058a50c18n, 2n ** 64n - 1n]) {
      const decoded = roundTrip({ type: 'kv-set', key: 'k', value: new Uint8Array(0), flags });
      assert.equal(decoded.type === 'kv-set' && decoded.flags, flags);
      const op = roundTrip({ type: 'txn', ops: [{ verb: 'set', key: 'k', flags }] });
      assert.equal(op.type === 'txn' && op.ops[0].flags, flags);
    }
  });

  it('decodes values as plain Uint8Arrays holding every byte value', () => {
    const value = Uint8Array.from({ length: 256 }, (_, i) => i);
    const decoded = roundTrip({ type: 'kv-set', key: 'bin', value, flags: 0n });
    assert.ok(decoded.type === 'kv-set');
    assert.equal(Object.getPrototypeOf(decoded.value), Uint8Array.prototype);
    assert.deepEqual(decoded.value, value);
  });

  it('refuses flags outside uint64 when encoding', () => {
    assert.throws(
      () => encodeCommand({ type: 'kv-set', key: 'k', value: bytes(''), flags: -1n }),
      /kv-set\.flags must be a uint64, got -1n/,
    );
    assert.throws(
      () => encodeCommand({ type: 'kv-set', key: 'k', value: bytes(''), flags: 2n ** 64n }),
      /kv-set\.flags must be a uint64/,
    );
  });

  it('refuses malformed commands with the offending field named', () => {
    const cases: [unknown, RegExp][] = [
      [
        { type: 'kv-set', key: 5, value: bytes(''), flags: 0n },
        /kv-set\.key must be a string, got 5/,
      ],
      [{ type: 'kv-set', key: 'k', value: 'text', flags: 0n }, /kv-set\.value must be bytes/],
      [{ type: 'kv-delete', key: 'k', cas: -2 }, /kv-delete\.cas must be a non-negative integer/],
      [{ type: 'teleport' }, /unknown command type "teleport"/],
      [{ type: 'txn', ops: [{ verb: 'explode', key: 'k' }] }, /txn\.ops\[0\]\.verb/],
      [{ type: 'txn', ops: 'nope' }, /txn\.ops must be an array/],
      [[1, 2], /command must be a map/],
    ];
    for (const [raw, message] of cases) {
      assert.throws(() => decodeCommand(packr.pack(raw)), message);
    }
  });

  it('refuses bytes that are not msgpack', () => {
    assert.throws(() => decodeCommand(new Uint8Array([0x81])), /not valid msgpack/);
    assert.throws(() => decodeCommand(new Uint8Array(0)), /not valid msgpack/);
    const trailing = Uint8Array.from([...encodeCommand({ type: 'tombstone-reap', upto: 1 }), 0]);
    assert.throws(() => decodeCommand(trailing), /not valid msgpack/);
    assert.throws(() => decodeCommand(new Uint8Array([0xc1])), /command must be a map/);
  });

  it('drops fields a command type does not have', () => {
    const raw = { type: 'kv-delete-tree', prefix: 'p', key: 'extra' };
    assert.deepEqual(decodeCommand(packr.pack(raw)), { type: 'kv-delete-tree', prefix: 'p' });
  });
});
