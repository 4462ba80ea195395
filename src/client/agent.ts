// A client agent (`consulate agent` without -server): it owns the services and checks of its
// host and syncs them to the servers, joins the LAN pool, and serves the whole HTTP API and DNS
// on 127.0.0.1 by answering its own endpoints and carrying everything else to a server of its
// datacenter over the server port. It keeps no state of the cluster; servers are found in the
// LAN pool, so servers can come and go without restarting any client.
import type { Logger } from 'pino';

import type { AgentHost } from '../agent';
import type { AgentConfig } from '../config';
import type { CoordinateUpdate } from '../coordinate';
import { listenDns } from '../dns';
import { createClientHttpServer, forwardedWaitMs, type ApiForwarder } from '../http';
import { ConnPool } from '../rpc';
import {
  AgentBase,
  AgentMembership,
  HttpForward,
  lanCoordinateSync,
  rpcTlsFor,
  runAll,
  startAgentReaders,
  type AgentCore,
  type ApiReply,
  type ServerAgentOptions,
} from '../server';
import { StateStore } from '../state';
import { metrics } from '../telemetry';
import { remoteAgentHost, RPC_CLIENT_TIMEOUT_MS } from './agent-host';
import { ClientDnsHandler } from './dns';
import { ServerRpc } from './server-rpc';
import { ServerList } from './servers';

export interface ClientAgent extends AgentCore {
  readonly raft: null;
  /** host:port of every HTTP listener. */
  readonly httpAddresses: string[];
  /** host:port of every HTTPS listener (ports.https > 0). */
  readonly httpsAddresses: string[];
  /** host:port of every DNS listener, empty when ports.dns is -1. */
  readonly dnsAddresses: string[];
  /** Servers of this datacenter the agent can reach through the LAN pool right now. */
  knownServers(): number;
}

export async function startClientAgent(
  config: AgentConfig,
  logger: Logger,
  options: ServerAgentOptions = {},
): Promise<ClientAgent> {
  if (config.acl.enabled) {
    throw new Error(
      'acl.enabled: client agents do not resolve ACL tokens yet; enable ACLs on the servers ' +
        '(requests a client forwards carry their token and are checked there)',
    );
  }
  metrics.configure({
    prefix: config.telemetry.metricsPrefix,
    disableHostname: config.telemetry.disableHostname,
    prometheusRetentionMs: config.telemetry.prometheusRetentionMs,
  });
  const cleanup: (() => Promise<void>)[] = [];
  try {
    // verify_outgoing: the client dials its servers through TLS, checking their names with
    // verify_server_hostname, and presents its own certificate to verify_incoming servers.
    const tls = rpcTlsFor(config);
    const pool = new ConnPool({ logger: logger.child({ module: 'rpc-pool' }), tls });
    cleanup.unshift(async () => pool.close());
    let agent: RunningClientAgent | null = null;
    let gaveUp: string | null = null;
    const membership = await AgentMembership.start({
      config,
      serverPort: 0,
      logger,
      onJoinGaveUp: (message) => {
        gaveUp = message;
        if (agent !== null) void agent.fail(message);
      },
    });
    cleanup.unshift(() => membership.shutdown());
    const rpc = new ServerRpc(
      pool,
      new ServerList(membership, config.datacenter),
      logger.child({ module: 'servers' }),
    );
    const host = remoteAgentHost(rpc, logger.child({ module: 'alias' }));
    cleanup.unshift(async () => host.close());
    agent = new RunningClientAgent(config, membership, rpc, host, logger, cleanup, options);
    if (gaveUp !== null) void agent.fail(gaveUp);
    cleanup.unshift(() => agent.local.stop());
    agent.local.start();

    // Our LAN coordinate goes to a server as a PUT /v1/coordinate/update carried there.
    const sync = lanCoordinateSync(
      config,
      membership,
      (update) => sendCoordinate(rpc, config, update),
      logger.child({ module: 'coordinate' }),
    );
    if (sync !== null) cleanup.unshift(async () => sync.stop());

    const http = await createClientHttpServer(
      agent,
      forwardTo(rpc, () => agent.config.nodeName),
      {
        logger: logger.child({ module: 'http' }),
      },
    );
    cleanup.unshift(() => http.close());
    agent.httpAddresses.push(...(await http.listen()));
    agent.httpsAddresses.push(...http.httpsAddresses());
    agent.tlsReloads.push((next) => {
      http.reloadTls(next.https);
      tls?.reload(next.internalRpc);
    });
    const dnsLogger = logger.child({ module: 'dns' });
    const dns = await listenDns(
      config,
      new ClientDnsHandler(rpc, () => agent.config.dnsConfig, dnsLogger),
      dnsLogger,
    );
    if (dns !== null) {
      cleanup.unshift(() => dns.close());
      agent.dnsAddresses.push(...dns.addresses);
    }
    await startAgentReaders(agent, config, options, logger, cleanup);
    return agent;
  } catch (error) {
    await runAll(cleanup, logger);
    throw error;
  }
}

/**
 * Carries API requests to a server. A blocking query may be held there for its whole wait, so
 * its deadline is the wait, its jitter and the usual RPC timeout, as Consul's client computes it.
 */
function forwardTo(rpc: ServerRpc, nodeName: () => string): ApiForwarder {
  // Identical blocking queries held at the same time share one call to the server: a thousand
  // watchers of one key on a host cost the server one query, not a thousand. Only blocking
  // GETs: they all asked for a state past the same index, and the shared answer is read on the
  // server when the index moves past it (or the wait ends), as each of them would have been.
  const held = new Map<string, Promise<ApiReply>>();
  return (request, signal) => {
    const idempotent = request.method === 'GET' || request.method === 'HEAD';
    const call = (callSignal: AbortSignal | undefined): Promise<ApiReply> =>
      rpc.call(
        HttpForward,
        { ...request, url: nearThisAgent(request.url, nodeName()) },
        {
          signal: callSignal,
          timeoutMs: forwardedWaitMs(request.url) + RPC_CLIENT_TIMEOUT_MS,
          idempotent,
        },
      );
    if (request.method !== 'GET' || forwardedWaitMs(request.url) === 0) return call(signal);
    const { headers } = request;
    const key = [
      request.url,
      headers['x-consul-token'] ?? '',
      headers.authorization ?? '',
      headers['accept-encoding'] ?? '',
    ].join('\n');
    let shared = held.get(key);
    if (shared === undefined) {
      // Not tied to any one caller: the others still wait when the first one goes away.
      shared = call(undefined).finally(() => held.delete(key));
      held.set(key, shared);
    }
    return abortable(shared, signal);
  };
}

/** `promise`, or a rejection as soon as `signal` aborts (the promise itself runs on). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Consul's Coordinate.Update from an agent, with the agent token (else the default one). */
async function sendCoordinate(
  rpc: ServerRpc,
  config: AgentConfig,
  update: CoordinateUpdate,
): Promise<void> {
  const token = config.acl.tokens.agent ?? config.acl.tokens.default ?? '';
  const body = JSON.stringify({ Node: update.node, Segment: update.segment, Coord: update.coord });
  const reply = await rpc.call(
    HttpForward,
    {
      method: 'PUT',
      url: '/v1/coordinate/update',
      headers: token === '' ? {} : { 'x-consul-token': token },
      body: new TextEncoder().encode(body),
    },
    { timeoutMs: RPC_CLIENT_TIMEOUT_MS, idempotent: true },
  );
  if (reply.status !== 200) {
    throw new Error(
      `coordinate update refused: ${reply.status} ${new TextDecoder().decode(reply.body)}`,
    );
  }
}

/** `?near=_agent` means this client's node, which the server answering does not know. */
export function nearThisAgent(url: string, nodeName: string): string {
  const at = url.indexOf('?');
  if (at === -1) return url;
  const query = new URLSearchParams(url.slice(at + 1));
  if (query.get('near') !== '_agent') return url;
  query.set('near', nodeName);
  return `${url.slice(0, at)}?${query.toString()}`;
}

class RunningClientAgent extends AgentBase implements ClientAgent {
  readonly raft = null;

  constructor(
    config: AgentConfig,
    membership: AgentMembership,
    private readonly rpc: ServerRpc,
    host: AgentHost,
    logger: Logger,
    cleanup: (() => Promise<void>)[],
    options: ServerAgentOptions,
  ) {
    // A client holds no ACL tables (ACLs are refused on clients above): an empty store's reads.
    super(config, membership, host, new StateStore().acl, logger, cleanup, options);
  }

  knownServers(): number {
    return this.rpc.known();
  }
}
