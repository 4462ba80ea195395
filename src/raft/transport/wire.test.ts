import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AppendRequest } from '../messages';
import { EntryType } from '../types';
import { parseRaftMessage, RaftWireError, splitAppend } from './wire';

function append(sizes: number[]): AppendRequest {
  return {
    type: 'append',
    from: 'a',
    to: 'b',
    term: 3,
    prevIndex: 10,
    prevTerm: 2,
    commit: 12,
    entries: sizes.map((size, i) => ({
      index: 11 + i,
      term: 3,
      type: EntryType.Command,
      data: new Uint8Array(size),
    })),
  };
}

describe('raft wire', () => {
  it('a well-formed message is rebuilt field by field, dropping unknown fields', () => {
    const msg = parseRaftMessage({
      type: 'heartbeat',
      from: 'a',
      to: 'b',
      term: 4,
      commit: 9,
      context: 2,
      fromAddress: '10.0.0.1:8300',
      extra: 'ignored',
    });
    assert.deepEqual(msg, {
      type: 'heartbeat',
      from: 'a',
      to: 'b',
      term: 4,
      commit: 9,
      context: 2,
      fromAddress: '10.0.0.1:8300',
    });
  });

  it('a malformed message is refused naming the bad field', () => {
    const base = {
      type: 'append',
      from: 'a',
      to: 'b',
      term: 1,
      prevIndex: 0,
      prevTerm: 0,
      commit: 0,
    };
    assert.throws(
      () => parseRaftMessage({ ...base, entries: [{ index: 1, term: 1, type: 0, data: 'x' }] }),
      new RaftWireError('entries[0].data is not bytes'),
    );
    assert.throws(
      () => parseRaftMessage({ ...base, term: -1, entries: [] }),
      new RaftWireError('append.term is not a non-negative integer'),
    );
    assert.throws(
      () => parseRaftMessage({ ...base, type: 'gossip' }),
      /unknown message type gossip/,
    );
    assert.throws(() => parseRaftMessage([1, 2]), /message is not a map/);
  });

  it('an append within the limit is sent as is', () => {
    const msg = append([10, 10]);
    assert.deepEqual(splitAppend(msg, 1000), [msg]);
  });

  it('a large append becomes consecutive appends, each chained to the one before', () => {
    const msg = append([400, 400, 400, 2000, 10]);
    const pieces = splitAppend(msg, 1000);
    assert.deepEqual(
      pieces.map((p) => [p.prevIndex, p.prevTerm, p.entries.map((e) => e.index)]),
      [
        [10, 2, [11, 12]],
        [12, 3, [13]],
        [13, 3, [14]],
        [14, 3, [15]],
      ],
    );
    assert.ok(pieces.every((p) => p.commit === 12 && p.term === 3));
  });
});
