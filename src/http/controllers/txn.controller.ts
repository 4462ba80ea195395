// PUT /v1/txn: a batch of KV and Node/Service/Check ops applied atomically (consul-api.md §3,
// agent/txn_endpoint.go).
// Read-only batches take the fast path (no Raft, ?stale/?consistent honoured, KnownLeader and
// LastContact headers, no index); anything that writes is one Raft entry.
import { Controller, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import {
  goQuote,
  KV_VERBS as KV_VERB_LIST,
  precheckCatalogTxnOp,
  type KvTxnOp,
  type KvVerb,
  type MixedTxnOp,
  type MixedTxnResult,
  type TxnError,
} from '../../state';
import {
  checkDatacenter,
  parseQueryOptions,
  prepareRead,
  requireLeader,
  setLeaderHeaders,
} from '../blocking';
import { readBody } from '../body';
import { HttpContext } from '../context';
import { badRequest, tooLarge } from '../errors';
import { BodyDecodeError } from '../go-decode';
import { JsonSyntaxError, parseJsonBody } from '../json-parse';
import { txnResultJson } from '../kv-json';
import { queryOf, raftIndexOf } from '../query';
import { sendJson, wantsPretty } from '../respond';
import { decodeTxnOps, TxnDecodeError, type KvOpInput, type TxnOpInput } from '../txn-decode';

const KV_VERBS: ReadonlySet<string> = new Set<KvVerb>(KV_VERB_LIST);
const KV_WRITE_VERBS: ReadonlySet<string> = new Set<KvVerb>([
  'set',
  'delete',
  'delete-cas',
  'delete-tree',
  'cas',
  'lock',
  'unlock',
]);

@Controller('v1/txn')
export class TxnController {
  constructor(private readonly http: HttpContext) {}

  @Put()
  async txn(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime, maxTxnOps } = this.http;
    const { kvMaxValueSize, txnMaxReqLen } = runtime.config.limits;
    const pretty = wantsPretty(request, runtime.config.prettyJson);
    // Consul keeps honouring kv_max_value_size as the request limit when it is the larger one.
    const maxTxnLen = Math.max(txnMaxReqLen, kvMaxValueSize);
    const body = await readBody(request, maxTxnLen, () =>
      tooLarge(
        `Request body too large, max size: ${maxTxnLen} bytes. See ` +
          'https://developer.hashicorp.com/consul/docs/agent/config/config-files#txn_max_req_len.',
      ),
    );
    const ops = decodeBody(body);
    if (ops.length > maxTxnOps) {
      throw tooLarge(`Transaction contains too many operations (${ops.length} > ${maxTxnOps})`);
    }
    let writes = 0;
    for (const op of ops) {
      if (op.kind === 'kv') {
        if (op.value.length > kvMaxValueSize) {
          throw tooLarge(
            `Value for key ${goQuote(op.key)} is too large (${op.value.length} > ${kvMaxValueSize} bytes)`,
          );
        }
        if (KV_WRITE_VERBS.has(op.verb)) writes++;
      } else if (op.verb !== 'get') {
        writes++;
      }
    }
    const { known, positions, refused } = classify(ops);

    if (writes === 0) {
      const options = parseQueryOptions(request, runtime);
      await prepareRead(runtime, options.consistency);
      const read = runtime.store.txnRead(known);
      const result = merge(read, positions, refused);
      setLeaderHeaders(reply, runtime);
      const status = runtime.raft.status();
      const knownLeader = runtime.raft.isLeader() || status.leaderId !== null;
      const lastContactNs = runtime.raft.isLeader() ? 0 : Math.round(status.lastContactMs * 1e6);
      // structs.TxnReadResponse embeds QueryMeta, so its fields follow Results and Errors.
      const json = {
        ...txnResultJson(result),
        Index: 0,
        LastContact: lastContactNs,
        KnownLeader: knownLeader,
        ConsistencyLevel: '',
        NotModified: false,
        Backend: 0,
        ResultsFilteredByACLs: false,
      };
      return sendJson(request, reply, json, pretty, result.errors === null ? 200 : 409);
    }

    checkDatacenter(queryOf(request), runtime);
    if (refused.length > 0) {
      // Unknown verbs and failed pre-apply checks fail the batch before anything is proposed.
      return sendJson(
        request,
        reply,
        txnResultJson({ results: null, errors: refused }),
        pretty,
        409,
      );
    }
    await requireLeader(runtime);
    // A batch of KV ops only stays the plain KV transaction command.
    const kvOnly = known.every((op) => op.kind === 'kv');
    const result = (await runtime.apply(
      kvOnly
        ? { type: 'txn', ops: known.map((op) => (op as { op: KvTxnOp }).op) }
        : { type: 'txn-mixed', ops: known },
    )) as MixedTxnResult;
    return sendJson(
      request,
      reply,
      txnResultJson(result),
      pretty,
      result.errors === null ? 200 : 409,
    );
  }
}

function decodeBody(body: Buffer): TxnOpInput[] {
  try {
    return decodeTxnOps(parseJsonBody(body.toString('utf8')));
  } catch (error) {
    if (
      error instanceof JsonSyntaxError ||
      error instanceof TxnDecodeError ||
      error instanceof BodyDecodeError
    ) {
      throw badRequest(`Failed to parse body: ${error.message}`);
    }
    throw error;
  }
}

/**
 * Splits ops into those the store runs (with their positions) and those refused up front:
 * unknown KV verbs, and catalog ops failing Consul's pre-apply checks.
 */
function classify(ops: TxnOpInput[]): {
  known: MixedTxnOp[];
  positions: number[];
  refused: TxnError[];
} {
  const known: MixedTxnOp[] = [];
  const positions: number[] = [];
  const refused: TxnError[] = [];
  ops.forEach((op, opIndex) => {
    if (op.kind !== 'kv') {
      const checked = precheckCatalogTxnOp(op.op);
      if (typeof checked === 'string') {
        refused.push({ opIndex, what: checked });
        return;
      }
      known.push(checked);
    } else if (!KV_VERBS.has(op.verb)) {
      refused.push({ opIndex, what: `unknown KV verb ${goQuote(op.verb)}` });
      return;
    } else {
      known.push({ kind: 'kv', op: toKvTxnOp(op) });
    }
    positions.push(opIndex);
  });
  return { known, positions, refused };
}

function toKvTxnOp(op: KvOpInput): KvTxnOp {
  return {
    verb: op.verb as KvVerb,
    key: op.key,
    value: op.value,
    flags: op.flags,
    index: raftIndexOf(op.index),
    session: op.session,
  };
}

// Read ops are independent of each other, so the store's verdicts on the runnable ops and the
// refusals of the others combine into exactly what one pass over the whole batch would give.
function merge(read: MixedTxnResult, positions: number[], refused: TxnError[]): MixedTxnResult {
  const storeErrors = (read.errors ?? []).map((error) => ({
    opIndex: positions[error.opIndex],
    what: error.what,
  }));
  const errors = [...storeErrors, ...refused].sort((a, b) => a.opIndex - b.opIndex);
  return errors.length > 0 ? { results: null, errors } : read;
}
