// The whole store as one byte string: a 5-byte header ("CSNP" + format version) and a msgpack
// map with one section per table family. Decoding checks every field before anything is built,
// so a corrupt snapshot throws and the caller's state is left as it was.
// Version 1: KV only, indexes as a map. Version 2 adds the catalog and lists every index entry
// (per-service and per-node ones too) as [name, index] pairs. Both are read; 2 is written.
import { readAclSection } from './acl-wire';
import { checkKey, instanceKey, nodeKey, serviceKey } from './catalog';
import { readCheckRow, readNodeRow, readServiceRow } from './catalog-wire';
import { kvSessionKey } from './kv';
import { compareKeys, OrderedTable } from './ordered-table';
import { encodeSystemSections, readSystemSections } from './restore';
import { preparedQueryIndexRows } from './prepared-query';
import { readPreparedQueryRow } from './prepared-query-wire';
import { encodeCoordinates, readCoordinatesSection } from './coordinates';
import { sessionCheckIDs } from './session';
import { readSessionRow } from './session-wire';
import { newTables, type IndexedTable, type IndexName, type Tables } from './tables';
import type { KvEntry } from './types';
import {
  packr,
  readArray,
  readBytes,
  readIndex,
  readNullableString,
  readObject,
  readString,
  readUint64,
  WireError,
} from './wire';

const MAGIC = [0x43, 0x53, 0x4e, 0x50]; // "CSNP"
const FORMAT_VERSION = 2;
const READABLE_VERSIONS: ReadonlySet<number> = new Set([1, 2]);
const HEADER_LENGTH = MAGIC.length + 1;
const V1_INDEXED_TABLES: readonly IndexedTable[] = ['kvs', 'tombstones'];
const INDEXED_TABLES: ReadonlySet<string> = new Set<IndexedTable>([
  'kvs',
  'tombstones',
  'nodes',
  'services',
  'checks',
  'acl-tokens',
  'acl-policies',
  'acl-roles',
  'acl-bootstrap',
  'sessions',
  'prepared-queries',
  'coordinates',
]);

export interface SnapshotContents {
  tables: Tables;
  /** The last Raft index applied to the store when the snapshot was taken. */
  lastIndex: number;
}

type KvRow = [string, Uint8Array, bigint, string | null, number, number, number];

export function encodeSnapshot({ tables, lastIndex }: SnapshotContents): Uint8Array {
  // Sorted, zeros left out: replicas that reached the same state write the same bytes.
  const indexes = [...tables.indexes]
    .filter(([, index]) => index !== 0)
    .sort(([a], [b]) => compareKeys(a, b));
  const kvs: KvRow[] = [];
  for (const [, e] of tables.kvs.scanPrefix('')) {
    kvs.push([e.key, e.value, e.flags, e.session, e.lockIndex, e.createIndex, e.modifyIndex]);
  }
  const tombstones = [...tables.tombstones.scanPrefix('')];
  // The row readers build every field in one fixed order, whatever order the row was built in.
  const nodes = [...tables.nodes.scanPrefix('')].map(([, row]) => readNodeRow(row, 'node'));
  const services = [...tables.services.scanPrefix('')].map(([, row]) =>
    readServiceRow(row, 'service'),
  );
  const checks = [...tables.checks.scanPrefix('')].map(([, row]) => readCheckRow(row, 'check'));
  const sessions = [...tables.sessions.scanPrefix('')].map(([, row]) =>
    readSessionRow(row, 'session'),
  );
  const preparedQueries = [...tables.preparedQueries.scanPrefix('')].map(([, row]) =>
    readPreparedQueryRow(row, 'preparedQuery'),
  );
  const acl = {
    tokens: [...tables.aclTokens.scanPrefix('')].map(([, row]) => row),
    policies: [...tables.aclPolicies.scanPrefix('')].map(([, row]) => row),
    roles: [...tables.aclRoles.scanPrefix('')].map(([, row]) => row),
  };
  const body = packr.pack({
    lastIndex,
    indexes,
    kvs,
    tombstones,
    nodes,
    services,
    checks,
    ...encodeSystemSections(tables),
    sessions,
    acl,
    preparedQueries,
    coordinates: encodeCoordinates({ tables }),
  });
  const snapshot = new Uint8Array(HEADER_LENGTH + body.length);
  snapshot.set(MAGIC, 0);
  snapshot[MAGIC.length] = FORMAT_VERSION;
  snapshot.set(body, HEADER_LENGTH);
  return snapshot;
}

export function decodeSnapshot(data: Uint8Array): SnapshotContents {
  if (data.length < HEADER_LENGTH || MAGIC.some((byte, i) => data[i] !== byte)) {
    throw new WireError('not a Consulate state snapshot (bad header)');
  }
  const version = data[MAGIC.length];
  if (!READABLE_VERSIONS.has(version)) {
    throw new WireError(`unsupported snapshot format version ${version} (want ${FORMAT_VERSION})`);
  }
  let raw: unknown;
  try {
    raw = packr.unpack(data.subarray(HEADER_LENGTH));
  } catch (error) {
    throw new WireError(`snapshot body is not valid msgpack: ${(error as Error).message}`);
  }
  const body = readObject(raw, 'snapshot');
  const tables = newTables();
  if (version === 1) {
    const indexes = readObject(body.indexes, 'snapshot.indexes');
    for (const table of V1_INDEXED_TABLES) {
      tables.indexes.set(table, readIndex(indexes[table], `snapshot.indexes.${table}`));
    }
  } else {
    readArray(body.indexes, 'snapshot.indexes').forEach((raw, i) => {
      const [name, index] = readIndexEntry(raw, `snapshot.indexes[${i}]`);
      tables.indexes.set(name, index);
    });
    readCatalog(body, tables);
    readSystemSections(body, tables);
    readAcl(body, tables);
    readCoordinates(body, tables);
  }
  tables.kvs = uniqueTable(readArray(body.kvs, 'snapshot.kvs').map(readKvRow), 'snapshot.kvs');
  tables.tombstones = uniqueTable(
    readArray(body.tombstones, 'snapshot.tombstones').map(readTombstone),
    'snapshot.tombstones',
  );
  readSessions(body, tables);
  readPreparedQueries(body, tables);
  return { tables, lastIndex: readIndex(body.lastIndex, 'snapshot.lastIndex') };
}

function readKvRow(raw: unknown, i: number): [string, KvEntry] {
  const field = `snapshot.kvs[${i}]`;
  const row = readArray(raw, field);
  if (row.length !== 7) throw new WireError(`${field} must have 7 fields, got ${row.length}`);
  const entry: KvEntry = {
    key: readString(row[0], `${field}.key`),
    value: readBytes(row[1], `${field}.value`),
    flags: readUint64(row[2], `${field}.flags`),
    session: readNullableString(row[3], `${field}.session`),
    lockIndex: readIndex(row[4], `${field}.lockIndex`),
    createIndex: readIndex(row[5], `${field}.createIndex`),
    modifyIndex: readIndex(row[6], `${field}.modifyIndex`),
  };
  return [entry.key, entry];
}

function readIndexEntry(raw: unknown, field: string): [IndexName, number] {
  const entry = readArray(raw, field);
  if (entry.length !== 2) throw new WireError(`${field} must have 2 fields, got ${entry.length}`);
  const name = readString(entry[0], `${field}.name`);
  if (!INDEXED_TABLES.has(name) && !name.startsWith('service.') && !name.startsWith('node.')) {
    throw new WireError(`${field}.name: unknown index ${JSON.stringify(name)}`);
  }
  return [name as IndexName, readIndex(entry[1], `${field}.index`)];
}

// Rows keyed as the catalog keys them; the serviceInstances index is rebuilt from services.
function readCatalog(body: Record<string, unknown>, tables: Tables): void {
  const nodes = readArray(body.nodes, 'snapshot.nodes').map((raw, i) =>
    readNodeRow(raw, `snapshot.nodes[${i}]`),
  );
  const services = readArray(body.services, 'snapshot.services').map((raw, i) =>
    readServiceRow(raw, `snapshot.services[${i}]`),
  );
  const checks = readArray(body.checks, 'snapshot.checks').map((raw, i) =>
    readCheckRow(raw, `snapshot.checks[${i}]`),
  );
  tables.nodes = uniqueTable(
    nodes.map((row) => [nodeKey(row.node), row]),
    'snapshot.nodes',
  );
  tables.services = uniqueTable(
    services.map((row) => [serviceKey(row.node, row.id), row]),
    'snapshot.services',
  );
  tables.checks = uniqueTable(
    checks.map((row) => [checkKey(row.node, row.checkID), row]),
    'snapshot.checks',
  );
  tables.serviceInstances = OrderedTable.from(
    services.map((row) => [instanceKey(row), serviceKey(row.node, row.id)]),
  );
  services.forEach((row, i) => {
    if (tables.nodes.get(nodeKey(row.node)) === undefined) {
      throw new WireError(`snapshot.services[${i}] is on unknown node ${JSON.stringify(row.node)}`);
    }
  });
  checks.forEach((row, i) => {
    const orphan =
      tables.nodes.get(nodeKey(row.node)) === undefined ||
      (row.serviceID !== '' &&
        tables.services.get(serviceKey(row.node, row.serviceID)) === undefined);
    if (orphan) throw new WireError(`snapshot.checks[${i}] is on an unknown node or service`);
  });
}

// Absent in snapshots written before ACLs: then there are no tokens, policies or roles.
function readAcl(body: Record<string, unknown>, tables: Tables): void {
  const { tokens, policies, roles } = readAclSection(body.acl, 'snapshot.acl');
  tables.aclTokens = uniqueTable(
    tokens.map((row) => [row.accessorId, row]),
    'snapshot.acl.tokens',
  );
  tables.aclTokenSecrets = OrderedTable.from(tokens.map((row) => [row.secretId, row.accessorId]));
  tables.aclPolicies = uniqueTable(
    policies.map((row) => [row.id, row]),
    'snapshot.acl.policies',
  );
  tables.aclPolicyNames = uniqueTable(
    policies.map((row) => [row.name, row.id]),
    'snapshot.acl.policies (names)',
  );
  tables.aclRoles = uniqueTable(
    roles.map((row) => [row.id, row]),
    'snapshot.acl.roles',
  );
  tables.aclRoleNames = uniqueTable(
    roles.map((row) => [row.name, row.id]),
    'snapshot.acl.roles (names)',
  );
}

// Sessions arrived within format 2 (absent: none). Their indexes, and the index of held keys,
// are rebuilt from the rows.
function readSessions(body: Record<string, unknown>, tables: Tables): void {
  const sessions =
    body.sessions === undefined
      ? []
      : readArray(body.sessions, 'snapshot.sessions').map((raw, i) =>
          readSessionRow(raw, `snapshot.sessions[${i}]`),
        );
  tables.sessions = uniqueTable(
    sessions.map((row) => [row.id, row]),
    'snapshot.sessions',
  );
  const nodeSessions: [string, string][] = [];
  const sessionChecks: [string, string][] = [];
  for (const session of sessions) {
    nodeSessions.push([`${nodeKey(session.node)}\0${session.id}`, session.id]);
    for (const checkID of new Set(sessionCheckIDs(session))) {
      sessionChecks.push([`${checkKey(session.node, checkID)}\0${session.id}`, session.id]);
    }
  }
  tables.nodeSessions = OrderedTable.from(nodeSessions);
  tables.sessionChecks = OrderedTable.from(sessionChecks);
  const held: [string, string][] = [];
  for (const [key, entry] of tables.kvs.scanPrefix('')) {
    if (entry.session === null || entry.session === '') continue;
    if (tables.sessions.get(entry.session) === undefined) {
      throw new WireError(`snapshot.kvs ${JSON.stringify(key)} is held by an unknown session`);
    }
    held.push([kvSessionKey(entry), key]);
  }
  tables.kvSessions = OrderedTable.from(held);
}

// Prepared queries arrived within format 2 (absent: none); their indexes are rebuilt from the
// rows, and a query bound to a session needs that session.
function readPreparedQueries(body: Record<string, unknown>, tables: Tables): void {
  const rows =
    body.preparedQueries === undefined
      ? []
      : readArray(body.preparedQueries, 'snapshot.preparedQueries').map((raw, i) =>
          readPreparedQueryRow(raw, `snapshot.preparedQueries[${i}]`),
        );
  tables.preparedQueries = uniqueTable(
    rows.map((row) => [row.id.toLowerCase(), row]),
    'snapshot.preparedQueries',
  );
  const names: [string, string][] = [];
  const templates: [string, string][] = [];
  const sessions: [string, string][] = [];
  for (const row of rows) {
    const id = row.id.toLowerCase();
    const { name, template, session } = preparedQueryIndexRows(row);
    if (name !== null) names.push([name, id]);
    if (template !== null) templates.push([template, id]);
    if (session !== null) {
      if (tables.sessions.get(row.session) === undefined) {
        throw new WireError(`snapshot.preparedQueries ${id} is bound to an unknown session`);
      }
      sessions.push([session, id]);
    }
  }
  tables.preparedQueryNames = uniqueTable(names, 'snapshot.preparedQueries (names)');
  tables.preparedQueryTemplates = uniqueTable(templates, 'snapshot.preparedQueries (templates)');
  tables.preparedQuerySessions = OrderedTable.from(sessions);
}

// Coordinates arrived within format 2 (absent: none); each must belong to a catalog node.
function readCoordinates(body: Record<string, unknown>, tables: Tables): void {
  const rows = readCoordinatesSection(body.coordinates);
  tables.coordinates = uniqueTable(rows, 'snapshot.coordinates');
  rows.forEach(([, row], i) => {
    if (tables.nodes.get(nodeKey(row.node)) === undefined) {
      throw new WireError(
        `snapshot.coordinates[${i}] is on unknown node ${JSON.stringify(row.node)}`,
      );
    }
  });
}

function readTombstone(raw: unknown, i: number): [string, number] {
  const field = `snapshot.tombstones[${i}]`;
  const row = readArray(raw, field);
  if (row.length !== 2) throw new WireError(`${field} must have 2 fields, got ${row.length}`);
  return [readString(row[0], `${field}.key`), readIndex(row[1], `${field}.index`)];
}

function uniqueTable<V>(rows: [string, V][], field: string): OrderedTable<V> {
  const table = OrderedTable.from(rows);
  if (table.size !== rows.length) throw new WireError(`${field} holds a key more than once`);
  return table;
}
