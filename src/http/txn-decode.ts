// Decoding a /v1/txn body into ops the way Go decodes `api.TxnOps`: keys matched
// case-insensitively, Value as standard base64, Flags/Index as uint64, type mismatches reported
// with Go's `json: cannot unmarshal …` wording. Node/Service/Check ops are decoded into the
// state store's catalog txn ops (api.Node / api.AgentService / api.HealthCheck fields).
import type { CatalogTxnOp } from '../state';
import { decodeTxnCheck, decodeTxnNode, decodeTxnService } from './catalog-decode';
import { fieldSite, isObject, jsonKind, type Site } from './go-decode';
import { JsonNumber, type ParsedJson } from './json-parse';

export class TxnDecodeError extends Error {}

export interface KvOpInput {
  kind: 'kv';
  verb: string;
  key: string;
  value: Uint8Array;
  flags: bigint;
  index: bigint;
  session: string;
}

export interface CatalogOpInput {
  kind: 'Node' | 'Service' | 'Check';
  verb: string;
  op: CatalogTxnOp;
}

export type TxnOpInput = KvOpInput | CatalogOpInput;

const UINT64_MAX = (1n << 64n) - 1n;
const UINT_TEXT = /^[0-9]+$/;
const CATALOG_KINDS = ['Node', 'Service', 'Check'] as const;
const CATALOG_TYPES: Record<CatalogOpInput['kind'], string> = {
  Node: 'api.NodeTxnOp',
  Service: 'api.ServiceTxnOp',
  Check: 'api.CheckTxnOp',
};

/** Ops in body order; an op with none of KV/Node/Service/Check set is skipped, as in Consul. */
export function decodeTxnOps(body: ParsedJson): TxnOpInput[] {
  if (body === null) return [];
  if (!Array.isArray(body)) throw typeError(body, 'Go value', 'api.TxnOps');
  const ops: TxnOpInput[] = [];
  for (const element of body) {
    if (element === null) continue;
    if (!isObject(element)) throw typeError(element, 'Go value', 'api.TxnOp');
    const fields = foldFields(element, ['KV', 'Node', 'Service', 'Check']);
    const kv = fields.get('KV');
    if (kv !== undefined && kv !== null) {
      ops.push(decodeKvOp(kv));
      continue;
    }
    for (const kind of CATALOG_KINDS) {
      const op = fields.get(kind);
      if (op === undefined || op === null) continue;
      if (!isObject(op)) throw typeError(op, `Go struct field TxnOp.${kind}`, CATALOG_TYPES[kind]);
      ops.push(decodeCatalogOp(kind, op));
      break;
    }
  }
  return ops;
}

function decodeCatalogOp(
  kind: CatalogOpInput['kind'],
  raw: { [key: string]: ParsedJson },
): CatalogOpInput {
  const fields = foldFields(raw, ['Verb', 'Node', 'Service', 'Check']);
  const verbField = fields.get('Verb');
  const verb = typeof verbField === 'string' ? verbField : '';
  const at = (field: string): Site =>
    fieldSite({ struct: 'TxnOp', path: kind }, `${kind}TxnOp`, field);
  const get = (field: string): ParsedJson => fields.get(field) ?? null;
  switch (kind) {
    case 'Node': {
      const { node, modifyIndex } = decodeTxnNode(get('Node'), at('Node'));
      return { kind, verb, op: { kind: 'node', verb, node, modifyIndex } };
    }
    case 'Service': {
      const nodeName = get('Node');
      if (nodeName !== null && typeof nodeName !== 'string') {
        throw typeError(nodeName, `Go struct field ServiceTxnOp.Service.Node`, 'string');
      }
      const { service, modifyIndex } = decodeTxnService(get('Service'), at('Service'));
      const node = nodeName ?? '';
      return { kind, verb, op: { kind: 'service', verb, node, service, modifyIndex } };
    }
    case 'Check': {
      const { check, modifyIndex } = decodeTxnCheck(get('Check'), at('Check'));
      return { kind, verb, op: { kind: 'check', verb, check, modifyIndex } };
    }
  }
}

function decodeKvOp(raw: ParsedJson): KvOpInput {
  if (!isObject(raw)) throw typeError(raw, 'Go struct field TxnOp.KV', 'api.KVTxnOp');
  const fields = foldFields(raw, [
    'Verb',
    'Key',
    'Value',
    'Flags',
    'Index',
    'Session',
    'Namespace',
    'Partition',
  ]);
  const op: KvOpInput = {
    kind: 'kv',
    verb: '',
    key: '',
    value: new Uint8Array(0),
    flags: 0n,
    index: 0n,
    session: '',
  };
  // Go decodes fields in document order and reports the first mismatch.
  for (const [name, value] of fields) {
    if (value === null) continue;
    const where = `Go struct field KVTxnOp.KV.${name}`;
    switch (name) {
      case 'Verb':
        op.verb = stringField(value, where, 'api.KVOp');
        break;
      case 'Key':
      case 'Session':
      case 'Namespace':
      case 'Partition': {
        const text = stringField(value, where, 'string');
        if (name === 'Key') op.key = text;
        if (name === 'Session') op.session = text;
        break;
      }
      case 'Value':
        op.value = base64Field(value, where);
        break;
      case 'Flags':
        op.flags = uint64Field(value, where);
        break;
      case 'Index':
        op.index = uint64Field(value, where);
        break;
    }
  }
  return op;
}

/**
 * The object's members keyed by the struct field they fill: an exact name match, else a
 * case-insensitive one (Go's rule); a later duplicate overwrites an earlier one.
 */
function foldFields(
  object: { [key: string]: ParsedJson },
  names: readonly string[],
): Map<string, ParsedJson> {
  const fields = new Map<string, ParsedJson>();
  for (const key of Object.keys(object)) {
    const name = names.includes(key)
      ? key
      : names.find((candidate) => candidate.toLowerCase() === key.toLowerCase());
    if (name === undefined) continue;
    fields.delete(name);
    fields.set(name, object[key]);
  }
  return fields;
}

function stringField(value: ParsedJson, where: string, goType: string): string {
  if (typeof value !== 'string') throw typeError(value, where, goType);
  return value;
}

function uint64Field(value: ParsedJson, where: string): bigint {
  if (!(value instanceof JsonNumber)) throw typeError(value, where, 'uint64');
  if (!UINT_TEXT.test(value.text) || BigInt(value.text) > UINT64_MAX) {
    throw typeError(value, where, 'uint64');
  }
  return BigInt(value.text);
}

// Go's base64.StdEncoding: padded alphabet; CR and LF are skipped; the error names the offset.
function base64Field(value: ParsedJson, where: string): Uint8Array {
  if (typeof value !== 'string') throw typeError(value, where, '[]uint8');
  const text = value.replace(/[\r\n]/g, '');
  const bad = firstBadBase64Byte(text);
  if (bad !== -1) throw new TxnDecodeError(`illegal base64 data at input byte ${bad}`);
  return Buffer.from(text, 'base64');
}

function firstBadBase64Byte(text: string): number {
  const padAt = text.indexOf('=');
  const body = padAt === -1 ? text : text.slice(0, padAt);
  for (let i = 0; i < body.length; i++) {
    if (!/[A-Za-z0-9+/]/.test(body[i])) return i;
  }
  if (padAt === -1) return body.length % 4 === 0 ? -1 : body.length - (body.length % 4);
  const padding = text.slice(padAt);
  const needed = (4 - (body.length % 4)) % 4;
  if (body.length % 4 === 1 || padding !== '='.repeat(needed) || needed === 0) {
    return padAt;
  }
  return -1;
}

function typeError(value: ParsedJson, where: string, goType: string): TxnDecodeError {
  return new TxnDecodeError(
    `json: cannot unmarshal ${jsonKind(value)} into ${where} of type ${goType}`,
  );
}
