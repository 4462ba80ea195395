// msgpack exactly as hashicorp/go-msgpack 0.5.x writes it with a zero MsgpackHandle (the codec
// memberlist and serf use): strings AND byte slices are "raw" (fixstr / 0xda / 0xdb, never str8
// or bin), integers take their smallest form, struct fields are map keys sorted bytewise.
// Decoding accepts every msgpack form, since newer peers may send str8/bin.

/** A decoded msgpack value. Raw strings decode to bytes: the caller knows whether it wants text. */
export type MsgValue =
  null | boolean | number | bigint | Uint8Array | MsgValue[] | Map<string, MsgValue>;

/** Values the encoder accepts. Plain objects become maps with sorted keys (Go structs). */
export type MsgInput =
  | null
  | undefined
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | MsgInput[]
  | Map<string, MsgInput>
  | { [key: string]: MsgInput };

/** Input ran out before a value was complete (a stream may simply need more bytes). */
export class TruncatedError extends Error {
  constructor() {
    super('unexpected EOF');
  }
}

export class MsgpackError extends Error {}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

export class MsgpackWriter {
  private buf: Uint8Array;
  private len = 0;

  constructor(initial = 128) {
    this.buf = new Uint8Array(initial);
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b & 0xff;
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  private u16(v: number): void {
    this.byte(v >>> 8);
    this.byte(v);
  }

  private u32(v: number): void {
    this.byte(v >>> 24);
    this.byte(v >>> 16);
    this.byte(v >>> 8);
    this.byte(v);
  }

  nil(): void {
    this.byte(0xc0);
  }

  bool(v: boolean): void {
    this.byte(v ? 0xc3 : 0xc2);
  }

  uint(v: number | bigint): void {
    if (typeof v === 'bigint') {
      if (v <= 0xffffffffn) return this.uint(Number(v));
      this.byte(0xcf);
      this.u32(Number(v >> 32n));
      this.u32(Number(v & 0xffffffffn));
      return;
    }
    if (v < 0x80) this.byte(v);
    else if (v < 0x100) {
      this.byte(0xcc);
      this.byte(v);
    } else if (v < 0x10000) {
      this.byte(0xcd);
      this.u16(v);
    } else if (v < 0x100000000) {
      this.byte(0xce);
      this.u32(v);
    } else this.uint(BigInt(v));
  }

  /** Signed integer: go-msgpack writes non-negative signed values as unsigned. */
  int(v: number | bigint): void {
    if (v >= 0) return this.uint(v);
    const n = typeof v === 'bigint' ? v : BigInt(v);
    if (n >= -32n) this.byte(Number(n) & 0xff);
    else if (n >= -128n) {
      this.byte(0xd0);
      this.byte(Number(n) & 0xff);
    } else if (n >= -32768n) {
      this.byte(0xd1);
      this.u16(Number(n) & 0xffff);
    } else if (n >= -2147483648n) {
      this.byte(0xd2);
      this.u32(Number(n) >>> 0);
    } else {
      const u = BigInt.asUintN(64, n);
      this.byte(0xd3);
      this.u32(Number(u >> 32n));
      this.u32(Number(u & 0xffffffffn));
    }
  }

  float64(v: number): void {
    this.byte(0xcb);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v);
    this.raw(b);
  }

  /** A raw string header and bytes (Go string or []byte). */
  rawString(bytes: Uint8Array): void {
    const n = bytes.length;
    if (n < 32) this.byte(0xa0 | n);
    else if (n < 0x10000) {
      this.byte(0xda);
      this.u16(n);
    } else {
      this.byte(0xdb);
      this.u32(n);
    }
    this.raw(bytes);
  }

  str(s: string): void {
    // Short ASCII (every struct key, most names) is written directly: no encoder allocation.
    if (s.length < 32 && isAscii(s)) {
      this.ensure(s.length + 1);
      this.buf[this.len++] = 0xa0 | s.length;
      for (let i = 0; i < s.length; i++) this.buf[this.len++] = s.charCodeAt(i);
      return;
    }
    this.rawString(textEncoder.encode(s));
  }

  /** A Go []byte: nil slices are msgpack nil. */
  bin(b: Uint8Array | null | undefined): void {
    if (b === null || b === undefined) this.nil();
    else this.rawString(b);
  }

  arrayHeader(n: number): void {
    if (n < 16) this.byte(0x90 | n);
    else if (n < 0x10000) {
      this.byte(0xdc);
      this.u16(n);
    } else {
      this.byte(0xdd);
      this.u32(n);
    }
  }

  mapHeader(n: number): void {
    if (n < 16) this.byte(0x80 | n);
    else if (n < 0x10000) {
      this.byte(0xde);
      this.u16(n);
    } else {
      this.byte(0xdf);
      this.u32(n);
    }
  }

  value(v: MsgInput): void {
    if (v === null || v === undefined) return this.nil();
    if (typeof v === 'boolean') return this.bool(v);
    if (typeof v === 'number') {
      if (Number.isInteger(v)) return this.int(v);
      return this.float64(v);
    }
    if (typeof v === 'bigint') return this.int(v);
    if (typeof v === 'string') return this.str(v);
    if (v instanceof Uint8Array) return this.rawString(v);
    if (Array.isArray(v)) {
      this.arrayHeader(v.length);
      for (const item of v) this.value(item);
      return;
    }
    if (v instanceof Map) {
      this.mapHeader(v.size);
      for (const [k, item] of v) {
        this.str(k);
        this.value(item);
      }
      return;
    }
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort(compareBytewise);
    this.mapHeader(keys.length);
    for (const k of keys) {
      this.str(k);
      this.value(v[k]);
    }
  }
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

// UTF-16 code unit order equals UTF-8 byte order outside the surrogate range, which Go
// struct field names never reach.
function compareBytewise(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Encodes one value (struct-like objects with their keys sorted, as go-msgpack does). */
export function encode(v: MsgInput): Uint8Array {
  const w = new MsgpackWriter();
  w.value(v);
  return w.bytes();
}

/** Encodes a message: one type byte, then the msgpack body. */
export function encodeMessage(type: number, body: MsgInput): Uint8Array {
  const w = new MsgpackWriter();
  w.byte(type);
  w.value(body);
  return w.bytes();
}

const MAX_DEPTH = 64;

export class MsgpackReader {
  offset: number;

  constructor(
    readonly buf: Uint8Array,
    offset = 0,
  ) {
    this.offset = offset;
  }

  private need(n: number): void {
    if (this.offset + n > this.buf.length) throw new TruncatedError();
  }

  private u8(): number {
    this.need(1);
    return this.buf[this.offset++];
  }

  private u16(): number {
    this.need(2);
    const v = (this.buf[this.offset] << 8) | this.buf[this.offset + 1];
    this.offset += 2;
    return v;
  }

  private u32(): number {
    this.need(4);
    const b = this.buf;
    const o = this.offset;
    this.offset += 4;
    return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  }

  private take(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /** Raw bytes following the current offset (for payloads appended after msgpack values). */
  takeRaw(n: number): Uint8Array {
    return this.take(n);
  }

  private u64(signed: boolean): number | bigint {
    const hi = this.u32();
    const lo = this.u32();
    let v = (BigInt(hi) << 32n) | BigInt(lo);
    if (signed) v = BigInt.asIntN(64, v);
    if (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)) {
      return Number(v);
    }
    return v;
  }

  value(depth = 0): MsgValue {
    if (depth > MAX_DEPTH) throw new MsgpackError('msgpack value nested too deeply');
    const t = this.u8();
    if (t <= 0x7f) return t;
    if (t >= 0xe0) return t - 0x100;
    if ((t & 0xe0) === 0xa0) return this.take(t & 0x1f);
    if ((t & 0xf0) === 0x90) return this.array(t & 0x0f, depth);
    if ((t & 0xf0) === 0x80) return this.map(t & 0x0f, depth);
    switch (t) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
      case 0xd9:
        return this.take(this.u8());
      case 0xc5:
      case 0xda:
        return this.take(this.u16());
      case 0xc6:
      case 0xdb:
        return this.take(this.u32());
      case 0xca: {
        const b = this.take(4);
        return new DataView(b.buffer, b.byteOffset, 4).getFloat32(0);
      }
      case 0xcb: {
        const b = this.take(8);
        return new DataView(b.buffer, b.byteOffset, 8).getFloat64(0);
      }
      case 0xcc:
        return this.u8();
      case 0xcd:
        return this.u16();
      case 0xce:
        return this.u32();
      case 0xcf:
        return this.u64(false);
      case 0xd0:
        return (this.u8() << 24) >> 24;
      case 0xd1:
        return (this.u16() << 16) >> 16;
      case 0xd2:
        return this.u32() | 0;
      case 0xd3:
        return this.u64(true);
      case 0xdc:
        return this.array(this.u16(), depth);
      case 0xdd:
        return this.array(this.u32(), depth);
      case 0xde:
        return this.map(this.u16(), depth);
      case 0xdf:
        return this.map(this.u32(), depth);
      default:
        throw new MsgpackError(`unsupported msgpack type byte 0x${t.toString(16)}`);
    }
  }

  private array(n: number, depth: number): MsgValue[] {
    // Every element takes at least one byte: a huge count in a short buffer is truncation.
    this.need(n);
    const out: MsgValue[] = [];
    for (let i = 0; i < n; i++) out.push(this.value(depth + 1));
    return out;
  }

  private map(n: number, depth: number): Map<string, MsgValue> {
    this.need(n * 2);
    const out = new Map<string, MsgValue>();
    for (let i = 0; i < n; i++) {
      const k = this.value(depth + 1);
      const key =
        k instanceof Uint8Array ? textDecoder.decode(k) : typeof k === 'number' ? String(k) : null;
      if (key === null) throw new MsgpackError('msgpack map key is not a string');
      out.set(key, this.value(depth + 1));
    }
    return out;
  }
}

/** Decodes exactly one value from the start of buf (trailing bytes are ignored, as Go does). */
export function decode(buf: Uint8Array): MsgValue {
  return new MsgpackReader(buf).value();
}

// Field accessors with Go's decoding rules: a missing field is the zero value, a wrong type fails.

export function asStruct(v: MsgValue, what: string): Map<string, MsgValue> {
  if (v instanceof Map) return v;
  throw new MsgpackError(`${what}: expected a map`);
}

export function fieldUint(m: Map<string, MsgValue>, key: string): number {
  const v = m.get(key);
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new MsgpackError(`field ${key}: expected an integer`);
}

export function fieldBigUint(m: Map<string, MsgValue>, key: string): bigint {
  const v = m.get(key);
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'bigint') return v;
  throw new MsgpackError(`field ${key}: expected an integer`);
}

export function fieldString(m: Map<string, MsgValue>, key: string): string {
  const v = m.get(key);
  if (v === undefined || v === null) return '';
  if (v instanceof Uint8Array) return textDecoder.decode(v);
  throw new MsgpackError(`field ${key}: expected a string`);
}

export function fieldBytes(m: Map<string, MsgValue>, key: string): Uint8Array | null {
  const v = m.get(key);
  if (v === undefined || v === null) return null;
  if (v instanceof Uint8Array) return v;
  // go-msgpack also decodes an array of small integers into []byte.
  if (Array.isArray(v) && v.every((x) => typeof x === 'number' && x >= 0 && x <= 255)) {
    return Uint8Array.from(v as number[]);
  }
  throw new MsgpackError(`field ${key}: expected bytes`);
}

export function fieldBool(m: Map<string, MsgValue>, key: string): boolean {
  const v = m.get(key);
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  throw new MsgpackError(`field ${key}: expected a bool`);
}

export function bytesToText(b: Uint8Array): string {
  return textDecoder.decode(b);
}

export function textToBytes(s: string): Uint8Array {
  return textEncoder.encode(s);
}
