// The coordinates table (Consul's state/coordinate.go): each node's network coordinate per
// network segment ("" in CE), written in batches by the servers' Coordinate.Update flush and
// dropped with the node. One table index, "coordinates", for every read.
import type { Coordinate, CoordinateUpdate } from '../coordinate';
import { foldName, nodeKey } from './catalog-keys';
import { tableIndex, type ReadTxn, type WriteTxn } from './tables';
import { readArray, readObject, readString, WireError } from './wire';

export interface CoordinateRow {
  node: string;
  segment: string;
  coord: Coordinate;
}

export const COORDINATES_WATCH_KEY = 'coordinates';

const coordinateKey = (node: string, segment: string): string => `${foldName(node)}\0${segment}`;
const coordinatePrefix = (node: string): string => `${foldName(node)}\0`;

/**
 * Stores every update whose node is in the catalog (the others are dropped: a coordinate lives
 * and dies with its node). Returns how many were stored.
 */
export function coordinateBatchUpdateTxn(tx: WriteTxn, updates: CoordinateUpdate[]): number {
  let stored = 0;
  for (const { node, segment, coord } of updates) {
    if (tx.tables.nodes.get(nodeKey(node)) === undefined) continue;
    tx.put(tx.tables.coordinates, coordinateKey(node, segment), { node, segment, coord });
    stored++;
  }
  if (stored > 0) coordinatesChangedTxn(tx);
  return stored;
}

/** Drops every coordinate of a node (it left the catalog). */
export function deleteNodeCoordinatesTxn(tx: WriteTxn, node: string): void {
  const rows = [...tx.tables.coordinates.scanPrefix(coordinatePrefix(node))];
  for (const [key] of rows) tx.remove(tx.tables.coordinates, key);
  if (rows.length > 0) coordinatesChangedTxn(tx);
}

function coordinatesChangedTxn(tx: WriteTxn): void {
  tx.touchIndex('coordinates');
  tx.changed(tx.watches.catalog, COORDINATES_WATCH_KEY);
}

/** Every coordinate by node then segment, optionally of one segment only. */
export function coordinatesList(
  tx: ReadTxn,
  segment: string | null,
): { value: CoordinateRow[]; index: number } {
  const value: CoordinateRow[] = [];
  for (const [, row] of tx.tables.coordinates.scanPrefix('')) {
    if (segment === null || row.segment === segment) value.push(row);
  }
  return { value, index: tableIndex(tx.tables, 'coordinates') };
}

/** One node's coordinates, one per segment. */
export function nodeCoordinates(
  tx: ReadTxn,
  node: string,
): { value: CoordinateRow[]; index: number } {
  const value = [...tx.tables.coordinates.scanPrefix(coordinatePrefix(node))].map(([, r]) => r);
  return { value, index: tableIndex(tx.tables, 'coordinates') };
}

// ---- wire (Raft commands and snapshots) --------------------------------------------------

function readFloat(value: unknown, field: string): number {
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new WireError(`${field} must be a finite number`);
  }
  return n;
}

export function readCoordinate(raw: unknown, field: string): Coordinate {
  const fields = readObject(raw, field);
  return {
    Vec: readArray(fields.Vec, `${field}.Vec`).map((v, i) => readFloat(v, `${field}.Vec[${i}]`)),
    Error: readFloat(fields.Error, `${field}.Error`),
    Adjustment: readFloat(fields.Adjustment, `${field}.Adjustment`),
    Height: readFloat(fields.Height, `${field}.Height`),
  };
}

/** An update or a stored row: both are {node, segment, coord}. */
export function readCoordinateRow(raw: unknown, field: string): CoordinateRow {
  const fields = readObject(raw, field);
  return {
    node: readString(fields.node, `${field}.node`),
    segment: readString(fields.segment, `${field}.segment`),
    coord: readCoordinate(fields.coord, `${field}.coord`),
  };
}

/** The snapshot section: rows in key order. */
export function encodeCoordinates(tx: ReadTxn): CoordinateRow[] {
  return [...tx.tables.coordinates.scanPrefix('')].map(([, row]) => row);
}

/** Rows of a snapshot section (absent in snapshots written before coordinates: none). */
export function readCoordinatesSection(raw: unknown): [string, CoordinateRow][] {
  if (raw === undefined) return [];
  return readArray(raw, 'snapshot.coordinates').map((row, i) => {
    const parsed = readCoordinateRow(row, `snapshot.coordinates[${i}]`);
    return [coordinateKey(parsed.node, parsed.segment), parsed];
  });
}
