// LZW as Go's compress/lzw with LSB bit order and 8-bit literals (memberlist's compression):
// codes start at 9 bits and grow to 12; clear = 256, eof = 257; the writer emits a clear code
// first and again whenever the table fills. Output is byte-identical to Go's writer.

const LIT_WIDTH = 8;
const MAX_WIDTH = 12;
const CLEAR = 1 << LIT_WIDTH;
const EOF = CLEAR + 1;
const MAX_CODE = (1 << MAX_WIDTH) - 1;
/** Decompressed output larger than this is refused (a zip bomb in one packet). */
const MAX_OUTPUT = 32 * 1024 * 1024;

export class LzwError extends Error {}

export function lzwCompress(input: Uint8Array): Uint8Array {
  const out: number[] = [];
  let bits = 0;
  let nBits = 0;
  let width = LIT_WIDTH + 1;
  let hi = EOF;
  let overflow = 1 << (LIT_WIDTH + 1);
  let table = new Map<number, number>();

  const write = (code: number): void => {
    bits |= code << nBits;
    nBits += width;
    while (nBits >= 8) {
      out.push(bits & 0xff);
      bits >>>= 8;
      nBits -= 8;
    }
  };
  // Returns false when the table ran out and was reset (Go's errOutOfCodes).
  const incHi = (): boolean => {
    hi++;
    if (hi === overflow) {
      width++;
      overflow <<= 1;
    }
    if (hi === MAX_CODE) {
      write(CLEAR);
      width = LIT_WIDTH + 1;
      hi = CLEAR + 1;
      overflow = CLEAR << 1;
      table = new Map();
      return false;
    }
    return true;
  };

  write(CLEAR);
  if (input.length > 0) {
    let code = input[0];
    for (let i = 1; i < input.length; i++) {
      const literal = input[i];
      const key = (code << 8) | literal;
      const hit = table.get(key);
      if (hit !== undefined) {
        code = hit;
        continue;
      }
      write(code);
      code = literal;
      if (!incHi()) continue;
      table.set(key, hi);
    }
    write(code);
    incHi();
  }
  write(EOF);
  if (nBits > 0) out.push(bits & 0xff);
  return Uint8Array.from(out);
}

export function lzwDecompress(input: Uint8Array): Uint8Array {
  const prefix = new Uint16Array(1 << MAX_WIDTH);
  const suffix = new Uint8Array(1 << MAX_WIDTH);
  const out: number[] = [];
  let width = LIT_WIDTH + 1;
  let hi = EOF;
  let overflow = 1 << width;
  let last = -1;
  let bits = 0;
  let nBits = 0;
  let pos = 0;
  const scratch = new Uint8Array(1 << MAX_WIDTH);

  for (;;) {
    while (nBits < width) {
      if (pos >= input.length) throw new LzwError('unexpected EOF');
      bits |= input[pos++] << nBits;
      nBits += 8;
    }
    const code = bits & ((1 << width) - 1);
    bits >>>= width;
    nBits -= width;

    if (code < CLEAR) {
      out.push(code);
      if (last !== -1) {
        suffix[hi] = code;
        prefix[hi] = last;
      }
    } else if (code === CLEAR) {
      width = LIT_WIDTH + 1;
      hi = EOF;
      overflow = 1 << width;
      last = -1;
      continue;
    } else if (code === EOF) {
      return Uint8Array.from(out);
    } else if (code <= hi) {
      // Walk the chain backwards into scratch, then append it in order.
      let i = scratch.length - 1;
      let c = code;
      if (code === hi && last !== -1) {
        // The KwKwK case: the code being defined is the one just read.
        c = last;
        while (c >= CLEAR) c = prefix[c];
        scratch[i--] = c;
        c = last;
      }
      while (c >= CLEAR) {
        scratch[i--] = suffix[c];
        c = prefix[c];
      }
      scratch[i] = c;
      for (let j = i; j < scratch.length; j++) out.push(scratch[j]);
      if (last !== -1) {
        suffix[hi] = c;
        prefix[hi] = last;
      }
    } else {
      throw new LzwError('invalid code');
    }
    if (out.length > MAX_OUTPUT) throw new LzwError('decompressed payload too large');
    last = code;
    hi++;
    if (hi >= overflow) {
      if (width === MAX_WIDTH) {
        last = -1;
        hi--;
      } else {
        width++;
        overflow = 1 << width;
      }
    }
  }
}
