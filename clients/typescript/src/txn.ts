// `PUT /v1/txn`: all operations apply or none; a rollback (409) is an answer, not an exception.
import { parseConsulJson, stringifyConsulJson } from './json';
import type { QueryOptions, Transport } from './transport';
import type { TxnError, TxnOp, TxnResponse, TxnResult } from './types';

/** Runs `ops` atomically. Read-only batches honour `consistency`. */
export async function runTxn(
  transport: Transport,
  ops: TxnOp[],
  options: QueryOptions = {},
): Promise<TxnResponse> {
  const body = ops.map((op) =>
    'KV' in op && op.KV.Value instanceof Uint8Array
      ? { KV: { ...op.KV, Value: Buffer.from(op.KV.Value).toString('base64') } }
      : op,
  );
  const consistency = options.consistency ?? transport.options.consistency;
  const response = await transport.send({
    method: 'PUT',
    path: '/v1/txn',
    query: { stale: consistency === 'stale', consistent: consistency === 'consistent' },
    body: stringifyConsulJson(body),
    options,
    accept: [409],
  });
  const parsed = parseConsulJson(response.body.toString()) as {
    Results: TxnResult[] | null;
    Errors: TxnError[] | null;
  };
  return {
    ok: response.status === 200,
    results: parsed.Results ?? [],
    errors: parsed.Errors ?? [],
  };
}
