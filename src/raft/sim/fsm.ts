// The simulated state machine: a running hash of every applied command, so that two servers
// agree on their state at an index exactly when they applied the same commands.
import type { LogEntry } from '../types';
import { EntryType } from '../types';

export function entryId(entry: LogEntry): number {
  if (entry.type === EntryType.Noop) return 0;
  const view = new DataView(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength);
  if (entry.type === EntryType.Command) return view.getUint32(0);
  let hash = 0x811c9dc5; // FNV-1a of a membership payload
  for (const byte of entry.data) hash = Math.imul(hash ^ byte, 16777619) >>> 0;
  return -hash - 1;
}

export function commandPayload(id: number): Uint8Array {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setUint32(0, id);
  return data;
}

export class SimFsm {
  hash = 0;
  applied = 0;

  apply(entry: LogEntry): void {
    if (entry.type === EntryType.Command) {
      this.hash = (Math.imul(this.hash ^ entryId(entry), 2654435761) + entry.index) >>> 0;
    }
    this.applied = entry.index;
  }

  /** Index, hash and a hash-dependent padding, so snapshot sizes (and chunk counts) vary. */
  snapshot(): Uint8Array {
    const data = new Uint8Array(12 + (this.hash % 97));
    const view = new DataView(data.buffer);
    view.setUint32(0, this.applied);
    view.setUint32(4, this.hash);
    view.setUint32(8, data.length);
    for (let i = 12; i < data.length; i++) data[i] = i & 0xff;
    return data;
  }

  restore(data: Uint8Array): void {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (view.getUint32(8) !== data.length)
      throw new Error(`corrupt snapshot: length ${data.length}`);
    for (let i = 12; i < data.length; i++) {
      if (data[i] !== (i & 0xff)) throw new Error(`corrupt snapshot byte ${i}`);
    }
    this.applied = view.getUint32(0);
    this.hash = view.getUint32(4);
  }
}
