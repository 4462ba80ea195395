// msgpack as hashicorp/go-msgpack 0.5.x writes it with a zero `MsgpackHandle{}` (what serf uses):
// strings and []byte are both "raw" (fixstr / str16 / str32, never str8 or bin on encode), nil
// slices and maps are 0xc0, integers take their smallest form. Decoding is lenient (str8, bin*,
// any key order), as go-msgpack's is. Structs are written as maps with their Go field names.

/** A decoded msgpack value. Raw strings stay bytes: the schema says whether a field is text. */
export type MsgValue = null | boolean | number | Uint8Array | MsgValue[] | MsgMap;

/** A decoded msgpack map; keys are decoded as UTF-8 text. */
export type MsgMap = Map<string, MsgValue>;

export class MsgpackError extends Error {}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

export class MsgWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): this {
    this.reserve(1);
    this.buf[this.len++] = b & 0xff;
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this;
  }

  private be(value: number, width: 2 | 4): void {
    for (let i = width - 1; i >= 0; i--) this.byte(Math.floor(value / 2 ** (8 * i)) & 0xff);
  }

  nil(): this {
    return this.byte(0xc0);
  }

  bool(v: boolean): this {
    return this.byte(v ? 0xc3 : 0xc2);
  }

  /** An unsigned (or non-negative signed) integer in its smallest form. */
  uint(v: number): this {
    if (!Number.isInteger(v) || v < 0) throw new MsgpackError(`not an unsigned integer: ${v}`);
    if (v < 0x80) return this.byte(v);
    if (v < 0x100) return this.byte(0xcc).byte(v);
    if (v < 0x10000) {
      this.byte(0xcd);
      this.be(v, 2);
      return this;
    }
    if (v < 0x100000000) {
      this.byte(0xce);
      this.be(v, 4);
      return this;
    }
    this.byte(0xcf);
    const big = BigInt(v);
    for (let i = 7; i >= 0; i--) this.byte(Number((big >> BigInt(8 * i)) & 0xffn));
    return this;
  }

  /** A signed integer: non-negative values are written as unsigned, as go-msgpack does. */
  int(v: number): this {
    if (v >= 0) return this.uint(v);
    if (v >= -32) return this.byte(0x100 + v);
    if (v >= -128) return this.byte(0xd0).byte(v & 0xff);
    if (v >= -32768) {
      this.byte(0xd1);
      this.be(v & 0xffff, 2);
      return this;
    }
    if (v >= -2147483648) {
      this.byte(0xd2);
      this.be(v >>> 0, 4);
      return this;
    }
    this.byte(0xd3);
    const big = BigInt.asUintN(64, BigInt(v));
    for (let i = 7; i >= 0; i--) this.byte(Number((big >> BigInt(8 * i)) & 0xffn));
    return this;
  }

  /** A raw string (Go string or []byte): fixstr, else str16, else str32. */
  bytes(b: Uint8Array): this {
    const n = b.length;
    if (n < 32) this.byte(0xa0 | n);
    else if (n < 0x10000) {
      this.byte(0xda);
      this.be(n, 2);
    } else {
      this.byte(0xdb);
      this.be(n, 4);
    }
    return this.raw(b);
  }

  /** A []byte that may be nil (written as 0xc0, as Go writes a nil slice). */
  bytesOrNil(b: Uint8Array | null | undefined): this {
    return b == null ? this.nil() : this.bytes(b);
  }

  str(s: string): this {
    return this.bytes(textEncoder.encode(s));
  }

  arrayHeader(n: number): this {
    if (n < 16) return this.byte(0x90 | n);
    if (n < 0x10000) {
      this.byte(0xdc);
      this.be(n, 2);
      return this;
    }
    this.byte(0xdd);
    this.be(n, 4);
    return this;
  }

  mapHeader(n: number): this {
    if (n < 16) return this.byte(0x80 | n);
    if (n < 0x10000) {
      this.byte(0xde);
      this.be(n, 2);
      return this;
    }
    this.byte(0xdf);
    this.be(n, 4);
    return this;
  }

  /** A Go map[string]string (nil → 0xc0). */
  stringMap(m: Record<string, string> | null): this {
    if (m === null) return this.nil();
    const entries = Object.entries(m);
    this.mapHeader(entries.length);
    for (const [k, v] of entries) this.str(k).str(v);
    return this;
  }

  /** A Go []string (nil → 0xc0). */
  stringArray(a: string[] | null): this {
    if (a === null) return this.nil();
    this.arrayHeader(a.length);
    for (const s of a) this.str(s);
    return this;
  }

  /**
   * A Go struct: fields written in Go's order (sorted by name); `write` emits each value.
   * Fields whose writer is `undefined` are left out (codec:",omitempty").
   */
  struct(fields: Array<[string, ((w: MsgWriter) => void) | undefined]>): this {
    const present = fields
      .filter(([, f]) => f !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.mapHeader(present.length);
    for (const [name, write] of present) {
      this.str(name);
      (write as (w: MsgWriter) => void)(this);
    }
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Reads one msgpack value from `buf` at `offset`; returns it with the offset after it. */
export function decodeValue(buf: Uint8Array, offset = 0): { value: MsgValue; offset: number } {
  const reader = new MsgReader(buf, offset);
  const value = reader.value(0);
  return { value, offset: reader.pos };
}

/** Decodes exactly the value that starts `buf` (trailing bytes are ignored, as Go's decoder does). */
export function decode(buf: Uint8Array): MsgValue {
  return decodeValue(buf, 0).value;
}

const MAX_DEPTH = 32;

class MsgReader {
  constructor(
    private readonly buf: Uint8Array,
    public pos: number,
  ) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new MsgpackError('unexpected end of msgpack data');
  }

  private u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  private uintBE(width: number): number {
    this.need(width);
    let v = 0;
    for (let i = 0; i < width; i++) v = v * 256 + this.buf[this.pos++];
    return v;
  }

  private take(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  value(depth: number): MsgValue {
    if (depth > MAX_DEPTH) throw new MsgpackError('msgpack nesting too deep');
    const b = this.u8();
    if (b < 0x80) return b;
    if (b >= 0xe0) return b - 0x100;
    if ((b & 0xe0) === 0xa0) return this.take(b & 0x1f);
    if ((b & 0xf0) === 0x90) return this.array(b & 0x0f, depth);
    if ((b & 0xf0) === 0x80) return this.map(b & 0x0f, depth);
    switch (b) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
      case 0xd9:
        return this.take(this.uintBE(1));
      case 0xc5:
      case 0xda:
        return this.take(this.uintBE(2));
      case 0xc6:
      case 0xdb:
        return this.take(this.uintBE(4));
      case 0xca: {
        this.need(4);
        const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0);
        this.pos += 4;
        return v;
      }
      case 0xcb: {
        this.need(8);
        const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0);
        this.pos += 8;
        return v;
      }
      case 0xcc:
        return this.uintBE(1);
      case 0xcd:
        return this.uintBE(2);
      case 0xce:
        return this.uintBE(4);
      case 0xcf:
        return this.uintBE(8);
      case 0xd0: {
        const v = this.uintBE(1);
        return v >= 0x80 ? v - 0x100 : v;
      }
      case 0xd1: {
        const v = this.uintBE(2);
        return v >= 0x8000 ? v - 0x10000 : v;
      }
      case 0xd2: {
        const v = this.uintBE(4);
        return v >= 0x80000000 ? v - 0x100000000 : v;
      }
      case 0xd3: {
        this.need(8);
        const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getBigInt64(0);
        this.pos += 8;
        return Number(v);
      }
      case 0xdc:
        return this.array(this.uintBE(2), depth);
      case 0xdd:
        return this.array(this.uintBE(4), depth);
      case 0xde:
        return this.map(this.uintBE(2), depth);
      case 0xdf:
        return this.map(this.uintBE(4), depth);
      default:
        throw new MsgpackError(`unsupported msgpack type byte 0x${b.toString(16)}`);
    }
  }

  private array(n: number, depth: number): MsgValue[] {
    // Each element takes at least one byte: a length beyond the data is corrupt, not a huge array.
    if (n > this.buf.length - this.pos) throw new MsgpackError('msgpack array longer than data');
    const out: MsgValue[] = [];
    for (let i = 0; i < n; i++) out.push(this.value(depth + 1));
    return out;
  }

  private map(n: number, depth: number): MsgMap {
    if (n * 2 > this.buf.length - this.pos) throw new MsgpackError('msgpack map longer than data');
    const out: MsgMap = new Map();
    for (let i = 0; i < n; i++) {
      const key = this.value(depth + 1);
      const value = this.value(depth + 1);
      out.set(key instanceof Uint8Array ? textDecoder.decode(key) : String(key), value);
    }
    return out;
  }
}

// Typed field access on decoded structs: missing or nil fields read as Go's zero value, a field
// of the wrong type is an error naming the field.

export function asMap(v: MsgValue, what: string): MsgMap {
  if (v instanceof Map) return v;
  throw new MsgpackError(`${what}: expected a map`);
}

export function fieldUint(m: MsgMap, name: string): number {
  const v = m.get(name);
  if (v == null) return 0;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  throw new MsgpackError(`field ${name}: expected an unsigned integer`);
}

export function fieldInt(m: MsgMap, name: string): number {
  const v = m.get(name);
  if (v == null) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  throw new MsgpackError(`field ${name}: expected an integer`);
}

export function fieldBool(m: MsgMap, name: string): boolean {
  const v = m.get(name);
  if (v == null) return false;
  if (typeof v === 'boolean') return v;
  throw new MsgpackError(`field ${name}: expected a bool`);
}

export function fieldBytes(m: MsgMap, name: string): Uint8Array | null {
  const v = m.get(name);
  if (v == null) return null;
  if (v instanceof Uint8Array) return v;
  throw new MsgpackError(`field ${name}: expected bytes`);
}

export function asText(v: MsgValue, what: string): string {
  if (v == null) return '';
  if (v instanceof Uint8Array) return textDecoder.decode(v);
  throw new MsgpackError(`${what}: expected a string`);
}

export function fieldStr(m: MsgMap, name: string): string {
  return asText(m.get(name) ?? null, `field ${name}`);
}

export function asArray(v: MsgValue, what: string): MsgValue[] {
  if (v == null) return [];
  if (Array.isArray(v)) return v;
  throw new MsgpackError(`${what}: expected an array`);
}

export function fieldStrArray(m: MsgMap, name: string): string[] {
  return asArray(m.get(name) ?? null, `field ${name}`).map((x) => asText(x, `field ${name}`));
}

export function asStringMap(v: MsgValue, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (v == null) return out;
  for (const [k, x] of asMap(v, what)) out[k] = asText(x, `${what}[${k}]`);
  return out;
}

export function utf8(s: string): Uint8Array {
  return textEncoder.encode(s);
}

export function text(b: Uint8Array): string {
  return textDecoder.decode(b);
}
