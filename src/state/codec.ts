// Commands on the wire (Raft entry payloads). Both directions go through parseCommand, so a
// malformed command is refused when proposed, and a corrupt entry is refused when applied.
import { parseAclCommand } from './acl-wire';
import type { MixedTxnOp } from './catalog-txn';
import {
  readCheckRegistration,
  readDeregistration,
  readNodeRow,
  readRegistration,
  readServiceRegistration,
  readSyncOp,
} from './catalog-wire';
import type {
  Command,
  KvDeleteCommand,
  KvSetCommand,
  MixedTxnCommand,
  TxnCommand,
} from './commands';
import { readCoordinateRow } from './coordinates';
import { parseSystemCommand } from './restore-codec';
import { KV_VERBS as KV_VERB_LIST, type KvTxnOp, type KvVerb } from './types';
import { readSessionWrite } from './session-wire';
import { readPreparedQueryWrite } from './prepared-query-wire';
import {
  packr,
  readArray,
  readBytes,
  readIndex,
  readObject,
  readOptional,
  readString,
  readUint64,
  WireError,
  type Fields,
} from './wire';

const KV_VERBS: ReadonlySet<string> = new Set<KvVerb>(KV_VERB_LIST);

export function encodeCommand(cmd: Command): Uint8Array {
  return packr.pack(parseCommand(cmd));
}

/** Decodes a command; throws a WireError naming the bad field when the bytes are not one. */
export function decodeCommand(data: Uint8Array): Command {
  let raw: unknown;
  try {
    raw = packr.unpack(data);
  } catch (error) {
    throw new WireError(`command is not valid msgpack: ${(error as Error).message}`);
  }
  return parseCommand(raw);
}

/** A fresh, checked copy of `raw` holding only the fields of its command type. */
export function parseCommand(raw: unknown): Command {
  const fields = readObject(raw, 'command');
  const type = readString(fields.type, 'command.type');
  const acl = parseAclCommand(type, fields);
  if (acl !== null) return acl;
  switch (type) {
    case 'kv-set':
      return parseKvSet(fields);
    case 'kv-delete':
      return parseKvDelete(fields);
    case 'kv-delete-tree':
      return { type, prefix: readString(fields.prefix, 'kv-delete-tree.prefix') };
    case 'txn':
      return parseTxn(fields);
    case 'txn-mixed':
      return parseMixedTxn(fields);
    case 'tombstone-reap':
      return { type, upto: readIndex(fields.upto, 'tombstone-reap.upto') };
    case 'catalog-register':
      return { type, registration: readRegistration(fields.registration, `${type}.registration`) };
    case 'catalog-deregister':
      return {
        type,
        deregistration: readDeregistration(fields.deregistration, `${type}.deregistration`),
      };
    case 'catalog-sync':
      return {
        type,
        node: readString(fields.node, `${type}.node`),
        ops: readArray(fields.ops, `${type}.ops`).map((op, i) =>
          readSyncOp(op, `${type}.ops[${i}]`),
        ),
      };
    case 'snapshot-chunk':
    case 'snapshot-restore':
    case 'autopilot-set':
      return parseSystemCommand(type, fields);
    case 'session-create':
      return { type, session: readSessionWrite(fields.session, `${type}.session`) };
    case 'session-destroy':
      return { type, id: readString(fields.id, `${type}.id`) };
    case 'prepared-query-apply': {
      const op = readString(fields.op, `${type}.op`);
      if (op !== 'create' && op !== 'update' && op !== 'delete') {
        throw new WireError(`${type}.op: unknown operation ${JSON.stringify(op)}`);
      }
      return { type, op, query: readPreparedQueryWrite(fields.query, `${type}.query`) };
    }
    case 'coordinate-batch-update':
      return {
        type,
        updates: readArray(fields.updates, `${type}.updates`).map((u, i) =>
          readCoordinateRow(u, `${type}.updates[${i}]`),
        ),
      };
    default:
      throw new WireError(`unknown command type ${JSON.stringify(type)}`);
  }
}

function parseKvSet(fields: Fields): KvSetCommand {
  const cmd: KvSetCommand = {
    type: 'kv-set',
    key: readString(fields.key, 'kv-set.key'),
    value: readBytes(fields.value, 'kv-set.value'),
    flags: readUint64(fields.flags, 'kv-set.flags'),
  };
  const cas = readOptional(fields.cas, 'kv-set.cas', readIndex);
  if (cas !== undefined) cmd.cas = cas;
  return cmd;
}

function parseKvDelete(fields: Fields): KvDeleteCommand {
  const cmd: KvDeleteCommand = { type: 'kv-delete', key: readString(fields.key, 'kv-delete.key') };
  const cas = readOptional(fields.cas, 'kv-delete.cas', readIndex);
  if (cas !== undefined) cmd.cas = cas;
  return cmd;
}

function parseTxn(fields: Fields): TxnCommand {
  const ops = readArray(fields.ops, 'txn.ops').map((op, i) => parseKvTxnOp(op, `txn.ops[${i}]`));
  return { type: 'txn', ops };
}

function parseMixedTxn(fields: Fields): MixedTxnCommand {
  const ops = readArray(fields.ops, 'txn-mixed.ops').map((op, i) =>
    parseMixedTxnOp(op, `txn-mixed.ops[${i}]`),
  );
  return { type: 'txn-mixed', ops };
}

function parseMixedTxnOp(raw: unknown, field: string): MixedTxnOp {
  const fields = readObject(raw, field);
  const kind = readString(fields.kind, `${field}.kind`);
  if (kind === 'kv') return { kind, op: parseKvTxnOp(fields.op, `${field}.op`) };
  const verb = readString(fields.verb, `${field}.verb`);
  const modifyIndex = readIndex(fields.modifyIndex, `${field}.modifyIndex`);
  switch (kind) {
    case 'node': {
      const { id, node, address, datacenter, taggedAddresses, meta } = readNodeRow(
        fields.node,
        `${field}.node`,
      );
      const write = { id, node, address, datacenter, taggedAddresses, meta };
      return { kind, verb, node: write, modifyIndex };
    }
    case 'service':
      return {
        kind,
        verb,
        node: readString(fields.node, `${field}.node`),
        service: readServiceRegistration(fields.service, `${field}.service`),
        modifyIndex,
      };
    case 'check':
      return {
        kind,
        verb,
        check: readCheckRegistration(fields.check, `${field}.check`),
        modifyIndex,
      };
    default:
      throw new WireError(`${field}.kind: unknown txn op kind ${JSON.stringify(kind)}`);
  }
}

function parseKvTxnOp(raw: unknown, field: string): KvTxnOp {
  const fields = readObject(raw, field);
  const verb = readString(fields.verb, `${field}.verb`);
  if (!KV_VERBS.has(verb))
    throw new WireError(`${field}.verb: unknown KV verb ${JSON.stringify(verb)}`);
  const op: KvTxnOp = { verb: verb as KvVerb, key: readString(fields.key, `${field}.key`) };
  const value = readOptional(fields.value, `${field}.value`, readBytes);
  const flags = readOptional(fields.flags, `${field}.flags`, readUint64);
  const index = readOptional(fields.index, `${field}.index`, readIndex);
  const session = readOptional(fields.session, `${field}.session`, readString);
  if (value !== undefined) op.value = value;
  if (flags !== undefined) op.flags = flags;
  if (index !== undefined) op.index = index;
  if (session !== undefined) op.session = session;
  return op;
}
