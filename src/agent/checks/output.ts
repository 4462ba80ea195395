// Keeping check output within outputMaxSize, the three ways Consul does it.

/** TTL updates: keep the head and say so (Consul's CheckTTL.SetStatus). */
export function truncateTtlOutput(output: string, maxSize: number): string {
  const bytes = Buffer.from(output, 'utf8');
  if (bytes.length <= maxSize) return output;
  const head = bytes.subarray(0, maxSize).toString('utf8');
  return `${head} ... (captured ${maxSize} of ${bytes.length} bytes)`;
}

/**
 * Script output: a ring that keeps the last `size` bytes written (Consul's circbuf), rendered
 * with a `Captured N of M bytes` preamble when anything was dropped.
 */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private kept = 0;
  private total = 0;

  constructor(private readonly size: number) {}

  write(chunk: Buffer): void {
    this.total += chunk.length;
    this.chunks.push(chunk);
    this.kept += chunk.length;
    while (this.kept - this.chunks[0].length >= this.size) {
      this.kept -= this.chunks[0].length;
      this.chunks.shift();
    }
  }

  toString(): string {
    let bytes = Buffer.concat(this.chunks);
    if (bytes.length > this.size) bytes = bytes.subarray(bytes.length - this.size);
    const text = bytes.toString('utf8');
    if (this.total > this.size) return `Captured ${this.size} of ${this.total} bytes\n...\n${text}`;
    return text;
  }
}

/**
 * HTTP bodies: collects at most `size + 1` bytes (the extra byte only tells that there was
 * more) and renders the first `size`.
 */
export class HeadBuffer {
  private chunks: Buffer[] = [];
  private length = 0;

  constructor(private readonly size: number) {}

  /** Adds what still fits; returns false once more than `size` bytes have been seen. */
  write(chunk: Buffer): boolean {
    const room = this.size + 1 - this.length;
    if (room > 0) {
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      this.chunks.push(part);
      this.length += part.length;
    }
    return this.length <= this.size;
  }

  toString(): string {
    const bytes = Buffer.concat(this.chunks);
    return bytes.subarray(0, Math.min(bytes.length, this.size)).toString('utf8');
  }
}
