// What the KV bench asks of each peer: the request of every cell, how to populate the keys, and
// how to set up a fan-out (many watchers of one key, then one write).
import type { EtcdPeer, FanoutSpec, Peer, PlainRequest, RequestTemplate, Target } from '../lib';
import { connectionAgent, httpRequest, ServerProcess } from '../lib';

export type PeerName = 'etcd' | 'fastify' | 'consulate';
export const PEER_NAMES: readonly PeerName[] = ['etcd', 'fastify', 'consulate'];

export interface Cell {
  /** e.g. `put`, `range serializable`, `GET default`. */
  operation: string;
  request: RequestTemplate;
}

export interface Workload {
  peer: PeerName;
  /** Peer and version, for the report. */
  description: string;
  server: ServerProcess;
  target: Target;
  /** Writes every key once before the cells; absent when the peer holds no keys. */
  populate?: RequestTemplate;
  cells: Cell[];
  /** Writes the key's first value and returns the fan-out for `watchers` watchers. */
  prepareFanout?: (watchers: number) => Promise<FanoutSpec>;
}

export const FAN_KEY = 'bench-fan';
const FANOUT_TIMEOUT_MS = 30_000;
const json = { 'content-type': 'application/json' };
const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** Without an acknowledgement of registration, give the server time to park every watcher. */
function settleMs(watchers: number): number {
  return 1000 + watchers / 4;
}

export function etcdWorkload(etcd: EtcdPeer): Workload {
  const gw = etcd.gateway;
  const put: RequestTemplate = {
    method: 'POST',
    path: `${gw}/kv/put`,
    body: '{"key":"{keyB64}","value":"{valueB64}"}',
    headers: json,
  };
  return {
    peer: 'etcd',
    description: `etcd ${etcd.version} (single node, JSON gateway ${gw})`,
    server: etcd.server,
    target: etcd.target,
    populate: put,
    cells: [
      { operation: 'put', request: put },
      {
        operation: 'range serializable',
        request: {
          method: 'POST',
          path: `${gw}/kv/range`,
          body: '{"key":"{keyB64}","serializable":true}',
          headers: json,
        },
      },
      {
        operation: 'range linearizable',
        request: {
          method: 'POST',
          path: `${gw}/kv/range`,
          body: '{"key":"{keyB64}"}',
          headers: json,
        },
      },
    ],
    prepareFanout: async (watchers) => {
      const key = b64(FAN_KEY);
      const write = (value: string): PlainRequest => ({
        method: 'POST',
        path: `${gw}/kv/put`,
        body: JSON.stringify({ key, value: b64(value) }),
        headers: json,
      });
      const agent = connectionAgent();
      try {
        const reply = await httpRequest(agent, etcd.target, write('v0'));
        if (reply.status !== 200)
          throw new Error(`etcd put ${FAN_KEY}: ${reply.status} ${reply.body}`);
      } finally {
        agent.destroy();
      }
      return {
        target: etcd.target,
        watchers,
        watch: {
          method: 'POST',
          path: `${gw}/watch`,
          body: JSON.stringify({ create_request: { key } }),
          headers: json,
        },
        readyMarker: '"created":true',
        eventMarker: '"events"',
        settleMs: 0,
        prime: {
          method: 'POST',
          path: `${gw}/kv/range`,
          body: JSON.stringify({ key }),
          headers: json,
        },
        trigger: write(`v1-${watchers}`),
        timeoutMs: FANOUT_TIMEOUT_MS,
      };
    },
  };
}

export function fastifyWorkload(fastify: Peer): Workload {
  return {
    peer: 'fastify',
    description: 'bare Fastify hello-world (GET / → small JSON)',
    server: fastify.server,
    target: fastify.target,
    cells: [{ operation: 'GET /', request: { method: 'GET', path: '/' } }],
  };
}

export function consulateWorkload(server: ServerProcess, target: Target, commit: string): Workload {
  return {
    peer: 'consulate',
    description: `consulate agent -dev with -data-dir (durable writes), ${commit}`,
    server,
    target,
    populate: { method: 'PUT', path: '/v1/kv/{key}', body: '{value}' },
    cells: [
      { operation: 'PUT', request: { method: 'PUT', path: '/v1/kv/{key}', body: '{value}' } },
      { operation: 'GET default', request: { method: 'GET', path: '/v1/kv/{key}' } },
      { operation: 'GET ?consistent', request: { method: 'GET', path: '/v1/kv/{key}?consistent' } },
    ],
    prepareFanout: async (watchers) => {
      const path = `/v1/kv/${FAN_KEY}`;
      const agent = connectionAgent();
      let index: string;
      try {
        const put = await httpRequest(agent, target, { method: 'PUT', path, body: 'v0' });
        if (put.status !== 200) throw new Error(`PUT ${path}: ${put.status} ${put.body}`);
        const get = await httpRequest(agent, target, { method: 'GET', path });
        const header = get.headers['x-consul-index'];
        if (get.status !== 200 || typeof header !== 'string') {
          throw new Error(`GET ${path}: ${get.status}, X-Consul-Index ${String(header)}`);
        }
        index = header;
      } finally {
        agent.destroy();
      }
      return {
        target,
        watchers,
        watch: { method: 'GET', path: `${path}?index=${index}&wait=60s` },
        settleMs: settleMs(watchers),
        prime: { method: 'GET', path },
        trigger: { method: 'PUT', path, body: `v1-${watchers}` },
        timeoutMs: FANOUT_TIMEOUT_MS,
      };
    },
  };
}
