// The Node, Service and Check verbs of /v1/txn (get, set, cas, delete, delete-cas), as
// Consul's agent/consul/state/txn.go applies them inside one write transaction, with the
// pre-apply checks its Txn endpoint runs before proposing. Failures are CatalogErrors whose
// text is Consul's; the caller collects them per op and rolls the transaction back.
import {
  CatalogError,
  checkKey,
  deleteCheckTxn,
  deleteNodeTxn,
  deleteServiceTxn,
  ensureCheckTxn,
  ensureNodeTxn,
  ensureServiceTxn,
  nodeKey,
  serviceKey,
  type NodeWrite,
} from './catalog';
import { isUnspecifiedAddress, uuidProblem } from './catalog-register';
import type {
  CatalogNode,
  CheckRegistration,
  HealthCheck,
  NodeService,
  ServiceRegistration,
} from './catalog-types';
import { goQuote } from './go-quote';
import type { ReadTxn, WriteTxn } from './tables';
import type { KvEntry, KvTxnOp, TxnError } from './types';

export type CatalogVerb = 'get' | 'set' | 'cas' | 'delete' | 'delete-cas';

export interface NodeTxnOp {
  kind: 'node';
  verb: string;
  node: NodeWrite;
  /** The ModifyIndex a cas / delete-cas compares against (0: must not exist). */
  modifyIndex: number;
}

export interface ServiceTxnOp {
  kind: 'service';
  verb: string;
  /** The node the service is registered on. */
  node: string;
  service: ServiceRegistration;
  modifyIndex: number;
}

export interface CheckTxnOp {
  kind: 'check';
  verb: string;
  check: CheckRegistration;
  modifyIndex: number;
}

export type CatalogTxnOp = NodeTxnOp | ServiceTxnOp | CheckTxnOp;

/** One op of a transaction that mixes KV and catalog ops. */
export type MixedTxnOp = { kind: 'kv'; op: KvTxnOp } | CatalogTxnOp;

/** One result of a mixed transaction: a row under the key of its op's kind. */
export type TxnOpResult =
  { kv: KvEntry } | { node: CatalogNode } | { service: NodeService } | { check: HealthCheck };

export interface MixedTxnResult {
  results: TxnOpResult[] | null;
  errors: TxnError[] | null;
}

const VERBS: ReadonlySet<string> = new Set<CatalogVerb>([
  'get',
  'set',
  'cas',
  'delete',
  'delete-cas',
]);

/**
 * The checks Consul's Txn endpoint runs on an op before proposing anything, with the op as it
 * will be applied (service ID ← name, check ID ← name); an error text, or the op.
 */
export function precheckCatalogTxnOp(op: CatalogTxnOp): CatalogTxnOp | string {
  if (!VERBS.has(op.verb)) return `unknown ${op.kind} operation: ${op.verb}`;
  if (op.verb === 'get') return op;
  switch (op.kind) {
    case 'node':
      if (op.node.node === '') return 'Must provide node';
      if (op.node.id !== '') {
        const bad = uuidProblem(op.node.id);
        if (bad !== null) return `Bad node ID: ${bad}`;
      }
      return op;
    case 'service': {
      const service = { ...op.service, id: op.service.id || op.service.service };
      if (service.id !== '' && service.service === '') return 'Must provide service name with ID';
      if (isUnspecifiedAddress(service.address)) return 'Invalid service address';
      return { ...op, service };
    }
    case 'check':
      return { ...op, check: { ...op.check, checkID: op.check.checkID || op.check.name } };
  }
}

/** Applies one catalog op in `tx`; its results (none for deletes). Throws CatalogError. */
export function txnCatalogWrite(tx: WriteTxn, op: CatalogTxnOp): TxnOpResult[] {
  if (op.verb === 'get') return txnCatalogRead(tx, op);
  switch (op.kind) {
    case 'node':
      return nodeWrite(tx, op);
    case 'service':
      return serviceWrite(tx, op);
    case 'check':
      return checkWrite(tx, op);
  }
}

/** The result of a get op; any other verb is refused (a read-only transaction). */
export function txnCatalogRead(tx: ReadTxn, op: CatalogTxnOp): TxnOpResult[] {
  if (op.verb !== 'get') {
    throw new CatalogError(`verb ${goQuote(op.verb)} is not allowed in a read-only transaction`);
  }
  switch (op.kind) {
    case 'node': {
      const node = findNode(tx, op.node);
      if (node === undefined) throw new CatalogError(`node ${goQuote(op.node.node)} doesn't exist`);
      return [{ node }];
    }
    case 'service': {
      const service = tx.tables.services.get(serviceKey(op.node, op.service.id));
      if (service === undefined) {
        throw new CatalogError(
          `service ${goQuote(op.service.id)} on node ${goQuote(op.node)} doesn't exist`,
        );
      }
      return [{ service }];
    }
    case 'check': {
      const check = tx.tables.checks.get(checkKey(op.check.node, op.check.checkID));
      if (check === undefined) {
        throw new CatalogError(
          `check ${goQuote(op.check.checkID)} on node ${goQuote(op.check.node)} doesn't exist`,
        );
      }
      return [{ check }];
    }
  }
}

function nodeWrite(tx: WriteTxn, op: NodeTxnOp): TxnOpResult[] {
  const name = goQuote(op.node.node);
  const existing = tx.tables.nodes.get(nodeKey(op.node.node));
  switch (op.verb) {
    case 'cas':
      if (!casMatches(existing, op.modifyIndex)) {
        throw new CatalogError(`failed to set node ${name}, index is stale`);
      }
      return [{ node: ensureNodeTxn(tx, op.node) }];
    case 'set':
      return [{ node: ensureNodeTxn(tx, op.node) }];
    case 'delete-cas':
      if (existing === undefined || existing.modifyIndex !== op.modifyIndex) {
        throw new CatalogError(`failed to delete node ${name}, index is stale`);
      }
      deleteNodeTxn(tx, op.node.node);
      return [];
    case 'delete':
      deleteNodeTxn(tx, op.node.node);
      return [];
  }
  throw new CatalogError(`unknown Node verb ${goQuote(op.verb)}`);
}

function serviceWrite(tx: WriteTxn, op: ServiceTxnOp): TxnOpResult[] {
  const where = `service ${goQuote(op.service.id)} on node ${goQuote(op.node)}`;
  const existing = tx.tables.services.get(serviceKey(op.node, op.service.id));
  switch (op.verb) {
    case 'cas':
      if (!casMatches(existing, op.modifyIndex)) {
        throw new CatalogError(`failed to set ${where}, index is stale`);
      }
      return [{ service: ensureServiceTxn(tx, op.node, op.service) }];
    case 'set':
      return [{ service: ensureServiceTxn(tx, op.node, op.service) }];
    case 'delete-cas':
      if (existing === undefined || existing.modifyIndex !== op.modifyIndex) {
        throw new CatalogError(`failed to delete ${where}, index is stale`);
      }
      deleteServiceTxn(tx, op.node, op.service.id);
      return [];
    case 'delete':
      deleteServiceTxn(tx, op.node, op.service.id);
      return [];
  }
  throw new CatalogError(`unknown Service verb ${goQuote(op.verb)}`);
}

function checkWrite(tx: WriteTxn, op: CheckTxnOp): TxnOpResult[] {
  const { node, checkID } = op.check;
  const where = `check ${goQuote(checkID)} on node ${goQuote(node)}`;
  const existing = tx.tables.checks.get(checkKey(node, checkID));
  switch (op.verb) {
    case 'cas':
      if (!casMatches(existing, op.modifyIndex)) {
        throw new CatalogError(`failed to set ${where}, index is stale`);
      }
      return [{ check: ensureCheckTxn(tx, op.check) }];
    case 'set':
      return [{ check: ensureCheckTxn(tx, op.check) }];
    case 'delete-cas':
      if (existing === undefined || existing.modifyIndex !== op.modifyIndex) {
        throw new CatalogError(`failed to delete ${where}, index is stale`);
      }
      deleteCheckTxn(tx, node, checkID);
      return [];
    case 'delete':
      deleteCheckTxn(tx, node, checkID);
      return [];
  }
  throw new CatalogError(`unknown Check verb ${goQuote(op.verb)}`);
}

// A ModifyIndex of 0 means "only if absent"; otherwise the row must exist at that index.
function casMatches(existing: { modifyIndex: number } | undefined, modifyIndex: number): boolean {
  if (modifyIndex === 0) return existing === undefined;
  return existing !== undefined && existing.modifyIndex === modifyIndex;
}

// Consul looks a node up by its ID when the op carries one, else by name.
function findNode(tx: ReadTxn, node: NodeWrite): CatalogNode | undefined {
  if (node.id === '') return tx.tables.nodes.get(nodeKey(node.node));
  const id = node.id.toLowerCase();
  for (const [, row] of tx.tables.nodes.scanPrefix('')) {
    if (row.id.toLowerCase() === id) return row;
  }
  return undefined;
}
