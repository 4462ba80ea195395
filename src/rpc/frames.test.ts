import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePayload, encodeFrame, encodePayload, FrameDecoder, FrameError } from './frames';

describe('frames', () => {
  it('frames split at every byte boundary decode to the values sent', () => {
    const values = [{ a: 1, b: 'two' }, [1, 2, 3], new Uint8Array([9, 8, 7]), 2 ** 40 + 1, null];
    const stream = Buffer.concat(values.map((v) => encodeFrame(v)));
    for (let cut = 1; cut < stream.length; cut++) {
      const decoder = new FrameDecoder();
      const payloads = [
        ...decoder.push(stream.subarray(0, cut)),
        ...decoder.push(stream.subarray(cut)),
      ];
      assert.deepEqual(payloads.map(decodePayload), [
        { a: 1, b: 'two' },
        [1, 2, 3],
        Buffer.from([9, 8, 7]),
        2 ** 40 + 1,
        null,
      ]);
      assert.equal(decoder.pendingBytes, 0);
    }
  });

  it('a frame announcing more than the limit is refused before its payload arrives', () => {
    const decoder = new FrameDecoder(100);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(101);
    assert.throws(() => decoder.push(header), FrameError);
  });

  it('64-bit integers decode as BigInt, so that uint64 KV flags keep every bit', () => {
    const payload = Buffer.from([0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    assert.equal(decodePayload(payload), 2n ** 64n - 1n);
    assert.equal(decodePayload(encodePayload(2 ** 40)), 2 ** 40);
  });
});
