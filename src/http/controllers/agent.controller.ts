// /v1/agent/self: the agent's configuration, member record and stats (consul-api.md §5.1).
// The Go client reads Config.NodeName, Prometheus Config.Datacenter, `consul info` Stats.
import { cpus } from 'node:os';

import { Controller, Get, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { CONSUL_COMPAT_VERSION, type AgentConfig } from '../../config';
import type { RaftHandle } from '../../raft';
import type { AgentCore } from '../../server';
import { memberJson } from '../member-json';
import { coordinateJson } from '../coordinate-json';
import { AgentContext } from '../context';
import type { JsonValue } from '../json';
import { enableFlag } from '../agent-json';
import { serverError } from '../errors';
import { queryOf, queryValue } from '../query';
import { sendEmpty, sendJson, wantsPretty } from '../respond';

const REVISION = 'consulate';
const RAFT_STATE: Record<string, string> = {
  leader: 'Leader',
  follower: 'Follower',
  candidate: 'Candidate',
  'pre-candidate': 'Candidate',
};
// Config fields whose values are secrets: shown as Consul's DebugConfig shows them.
const HIDDEN = 'hidden';

@Controller('v1/agent')
export class AgentController {
  constructor(private readonly http: AgentContext) {}

  @Get('self')
  async self(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    const { config } = runtime;
    const lanCoord = runtime.membership.lan.getCoordinate();
    const body: JsonValue = {
      Config: {
        Datacenter: config.datacenter,
        PrimaryDatacenter: config.primaryDatacenter,
        NodeName: config.nodeName,
        NodeID: config.nodeId,
        Partition: '',
        Revision: REVISION,
        Server: config.server,
        Version: CONSUL_COMPAT_VERSION,
        BuildDate: '1970-01-01T00:00:01Z',
      },
      DebugConfig: debugConfig(config),
      // The agent's LAN coordinate as its gossip probes have it (null with disable_coordinates).
      Coord: lanCoord === null ? null : coordinateJson(lanCoord),
      Member: memberJson(runtime.membership.lan.localMember()),
      Stats: stats(runtime),
      Meta: sortedMap({
        ...config.nodeMeta,
        'consul-network-segment': '',
        'consul-version': CONSUL_COMPAT_VERSION,
      }),
      xDS: {
        SupportedProxies: {},
        Port: config.ports.grpc,
        Ports: { Plaintext: config.ports.grpc, TLS: config.ports.grpcTls },
      },
    };
    return sendJson(request, reply, body, wantsPretty(request, config.prettyJson));
  }

  @Put('reload')
  async reload(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    try {
      await this.http.runtime.reloadConfig();
    } catch (error) {
      this.http.logger.error({ err: error }, 'configuration reload failed');
      throw serverError((error as Error).message);
    }
    sendEmpty(request, reply, 200);
  }

  @Put('maintenance')
  maintenance(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const enable = enableFlag(request);
    const reason = queryValue(queryOf(request), 'reason');
    this.http.runtime.local.setNodeMaintenance(enable, reason);
    sendEmpty(request, reply, 200);
  }
}

/** Every value a string, sections as `consul info` prints them. */
function stats(runtime: AgentCore): JsonValue {
  const memory = process.memoryUsage();
  return {
    agent: {
      check_monitors: '0',
      check_ttls: String(runtime.local.listChecks().filter((c) => c.type === 'ttl').length),
      checks: String(runtime.local.listChecks().length),
      services: String(runtime.local.listServices().length),
    },
    build: {
      prerelease: '',
      revision: REVISION,
      version: CONSUL_COMPAT_VERSION,
      version_metadata: '',
    },
    ...(runtime.raft === null ? clientStats(runtime) : serverStats(runtime, runtime.raft)),
    runtime: {
      arch: process.arch,
      cpu_count: String(cpus().length),
      goroutines: '0',
      heap_bytes: String(memory.heapUsed),
      max_procs: String(cpus().length),
      os: process.platform,
      version: process.version,
    },
    serf_lan: sortedMap(runtime.membership.lan.stats()),
    ...(runtime.membership.wan === null
      ? {}
      : { serf_wan: sortedMap(runtime.membership.wan.stats()) }),
  };
}

/** A server's `consul` and `raft` sections. */
function serverStats(runtime: AgentCore, raft: RaftHandle): { [key: string]: JsonValue } {
  const { config } = runtime;
  const status = raft.status();
  const voters = status.membership.servers.filter((server) => server.voter);
  const isLeader = raft.isLeader();
  const leaderAddress =
    status.leaderAddress ??
    status.membership.servers.find((server) => server.id === status.leaderId)?.address ??
    '';
  return {
    consul: {
      acl: config.acl.enabled ? 'enabled' : 'disabled',
      bootstrap: String(config.bootstrap),
      known_datacenters: '1',
      leader: String(isLeader),
      leader_addr: leaderAddress,
      server: String(config.server),
    },
    raft: {
      applied_index: String(status.appliedIndex),
      commit_index: String(status.commitIndex),
      fsm_pending: '0',
      last_contact: isLeader
        ? '0'
        : status.leaderId === null
          ? 'never'
          : `${status.lastContactMs}ms`,
      last_log_index: String(status.lastLogIndex),
      last_log_term: String(status.lastLogTerm),
      last_snapshot_index: String(status.lastSnapshotIndex),
      last_snapshot_term: String(status.lastSnapshotTerm),
      latest_configuration: `[${status.membership.servers
        .map(
          (server) =>
            `{Suffrage:${server.voter ? 'Voter' : 'Nonvoter'} ID:${server.id} Address:${server.address}}`,
        )
        .join(' ')}]`,
      num_peers: String(Math.max(0, voters.length - 1)),
      protocol_version: '3',
      protocol_version_max: '3',
      protocol_version_min: '0',
      snapshot_version: '1',
      snapshot_version_max: '1',
      snapshot_version_min: '0',
      state: RAFT_STATE[status.role] ?? status.role,
      term: String(status.term),
    },
  };
}

/** A client agent's `consul` section: it knows servers, not Raft. */
function clientStats(runtime: AgentCore): { [key: string]: JsonValue } {
  const { config } = runtime;
  const servers = runtime.membership
    .servers()
    .filter((server) => server.datacenter === config.datacenter && server.status === 'alive');
  return {
    consul: {
      acl: config.acl.enabled ? 'enabled' : 'disabled',
      known_servers: String(servers.length),
      server: 'false',
    },
  };
}

/** The configuration with PascalCase keys and secrets hidden, like Consul's DebugConfig. */
function debugConfig(config: AgentConfig): JsonValue {
  const view: { [key: string]: JsonValue } = {};
  for (const [field, value] of Object.entries(config)) {
    // The typed definitions repeat Services/Checks (and their tokens) in another shape.
    if (field === 'merged' || field === 'serviceDefinitions' || field === 'checkDefinitions') {
      continue;
    }
    // Nested settings structs get PascalCase fields too; user maps (meta, headers) keep theirs.
    const shown = STRUCT_FIELDS.has(field) ? pascalFields(value) : toJson(value);
    view[field.charAt(0).toUpperCase() + field.slice(1)] = shown;
  }
  if (config.encrypt !== null) view.Encrypt = HIDDEN;
  const acl = view.Acl as { [key: string]: JsonValue };
  acl.Tokens = sortedMap(
    Object.fromEntries(Object.keys(config.acl.tokens).map((name) => [name, HIDDEN])),
  );
  return view;
}

const STRUCT_FIELDS = new Set(['ports', 'limits', 'httpConfig', 'acl']);

function pascalFields(value: unknown): JsonValue {
  const out: { [key: string]: JsonValue } = {};
  for (const [key, member] of Object.entries(value as object)) {
    out[key.charAt(0).toUpperCase() + key.slice(1)] = toJson(member);
  }
  return out;
}

function toJson(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const [key, member] of Object.entries(value)) out[key] = toJson(member);
    return out;
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return value;
  }
  return String(value);
}

function sortedMap(map: Record<string, string>): { [key: string]: string } {
  const out: { [key: string]: string } = {};
  for (const key of Object.keys(map).sort()) out[key] = map[key];
  return out;
}
