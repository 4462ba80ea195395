// What `snapshot inspect` reports about a state snapshot: records per type and their encoded
// size, named as Consul names its FSM message types, largest first.
import { decodeSnapshot } from './snapshot';
import { packr } from './wire';

export interface SnapshotRecordStats {
  name: string;
  count: number;
  /** Encoded bytes of those records. */
  size: number;
}

// Snapshot section → Consul's message type name (nodes, services and checks are all Register).
const SECTIONS: readonly [string, string][] = [
  ['kvs', 'KVS'],
  ['tombstones', 'Tombstone'],
  ['nodes', 'Register'],
  ['services', 'Register'],
  ['checks', 'Register'],
  ['preparedQueries', 'PreparedQuery'],
  ['indexes', 'Index'],
  ['coordinates', 'CoordinateBatchUpdate'],
];

/** Throws the decoder's WireError when `data` is not a readable state snapshot. */
export function snapshotStats(data: Uint8Array): SnapshotRecordStats[] {
  decodeSnapshot(data);
  const body = packr.unpack(data.subarray(5)) as Record<string, unknown>;
  const byName = new Map<string, SnapshotRecordStats>();
  const add = (name: string, records: readonly unknown[]): void => {
    const stats = byName.get(name) ?? { name, count: 0, size: 0 };
    for (const record of records) stats.size += packr.pack(record).length;
    stats.count += records.length;
    byName.set(name, stats);
  };
  for (const [section, name] of SECTIONS) {
    const records = body[section];
    if (Array.isArray(records) && records.length > 0) add(name, records);
  }
  if (body.autopilot !== undefined) add('Autopilot', [body.autopilot]);
  return [...byName.values()].sort((a, b) => b.size - a.size || a.name.localeCompare(b.name));
}
