// Length-prefixed msgpack frames: a 4-byte big-endian payload length, then the payload. The
// length comes first so that a hostile or broken peer is refused before we buffer its data.
import { Packr } from 'msgpackr';

// JS numbers travel as float64 or smaller ints; only bigints (KV flags) use the 64-bit forms and
// come back as bigints.
const packr = new Packr({ useRecords: false });

export const FRAME_HEADER_BYTES = 4;
/** Default bound on one frame's payload for request/response traffic. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

export function encodePayload(value: unknown): Buffer {
  return packr.pack(value);
}

export function decodePayload(payload: Uint8Array): unknown {
  return packr.unpack(payload);
}

/** One frame: header and payload in one buffer (one write, one syscall when corked). */
export function encodeFrame(value: unknown): Buffer {
  const payload = packr.pack(value);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  payload.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

/** Why a connection's byte stream was refused. */
export class FrameError extends Error {
  override name = 'FrameError';
}

/**
 * Splits a byte stream into frame payloads. `push` returns the complete payloads in order and
 * throws FrameError when a frame announces more than `maxFrameBytes`.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Payload length of the frame being assembled, once its header is in. */
  private expected = -1;

  constructor(readonly maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {}

  /** Bytes held for an incomplete frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.expected < 0) {
        if (this.buffered < FRAME_HEADER_BYTES) break;
        const length = this.take(FRAME_HEADER_BYTES).readUInt32BE(0);
        if (length > this.maxFrameBytes) {
          throw new FrameError(
            `frame of ${length} bytes exceeds the ${this.maxFrameBytes}-byte limit`,
          );
        }
        this.expected = length;
      }
      if (this.buffered < this.expected) break;
      frames.push(this.take(this.expected));
      this.expected = -1;
    }
    return frames;
  }

  /** Removes and returns the first `n` buffered bytes (copying only when they span chunks). */
  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    this.buffered -= n;
    const first = this.chunks[0];
    if (first.length === n) {
      this.chunks.shift();
      return first;
    }
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0];
      const used = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      if (used === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(used);
    }
    return out;
  }
}
