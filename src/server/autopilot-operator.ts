// Autopilot's operator face (Consul's Operator.Autopilot* endpoints): the configuration, kept in
// the replicated state so that every server and every restart sees the same one (the leader
// seeds it once from the agent's `autopilot {}`), and the leader's view of server health.
// Health lives on the leader only: a follower asks it over the server port.
import type { Logger } from 'pino';

import { defineMethod, type RpcMethod, type RpcServer } from '../rpc';
import { NotLeaderError, type RaftHandle } from '../raft';
import type { AutopilotConfigRow, AutopilotValues, Command, StateStore } from '../state';
import type { AutopilotConfig, AutopilotHealth, ServerHealth } from './autopilot';
import type { LeaderForwarder } from './forward';

/** The leader's health view and the term it was taken in. */
export interface HealthReport extends AutopilotHealth {
  term: number;
}

export interface AutopilotOperatorOptions {
  raft: RaftHandle;
  store: StateStore;
  forwarder: LeaderForwarder;
  /** Proposes a command on the leader (forwarded from a follower); resolves with its result. */
  apply: (cmd: Command) => Promise<unknown>;
  /** The agent's `autopilot {}` stanza: what the leader stores when nothing is stored yet. */
  seed: AutopilotValues;
  /** The leader's health view (Autopilot.health). */
  health: () => AutopilotHealth;
  logger: Logger;
}

export const OperatorServerHealth: RpcMethod<Record<string, never>, HealthReport> = defineMethod(
  'Operator.ServerHealth',
  () => ({}),
  (raw) => readHealthReport(raw),
);

export class AutopilotOperator {
  private seeding: Promise<void> | null = null;

  constructor(private readonly options: AutopilotOperatorOptions) {}

  /** Answers followers' health questions and seeds the configuration whenever this server leads. */
  serve(rpc: RpcServer): () => void {
    rpc.methods.register(OperatorServerHealth, () => Promise.resolve(this.localHealth()));
    const follow = (leaderId: string | null): void => {
      if (leaderId === this.options.raft.status().id) this.seed();
    };
    const offLeader = this.options.raft.onLeaderChange(follow);
    // A restored snapshot without an autopilot configuration gets the seed again.
    const offApplied = this.options.raft.onApplied(() => {
      if (this.options.raft.isLeader()) this.seed();
    });
    follow(this.options.raft.status().leaderId);
    return () => {
      offLeader();
      offApplied();
    };
  }

  /** Waits for a seeding write in flight (for a clean shutdown). */
  async stop(): Promise<void> {
    await this.seeding;
  }

  /** The stored configuration; before the leader stored one, the seed with indexes 0. */
  configuration(): AutopilotConfigRow {
    return (
      this.options.store.autopilotConfig() ?? {
        ...this.options.seed,
        createIndex: 0,
        modifyIndex: 0,
      }
    );
  }

  /** What the running autopilot follows (Autopilot's `config` option). */
  values(): AutopilotConfig {
    const { createIndex: _c, modifyIndex: _m, ...values } = this.configuration();
    return values;
  }

  /** Sets the configuration; with `cas`, only if the stored ModifyIndex equals it. */
  async setConfiguration(values: AutopilotValues, cas?: number): Promise<boolean> {
    const cmd: Command = { type: 'autopilot-set', config: wholeMs(values) };
    if (cas !== undefined) cmd.cas = cas;
    const result = await this.options.apply(cmd);
    if (typeof result !== 'boolean') {
      throw new Error(`unexpected result of an autopilot update: ${JSON.stringify(result)}`);
    }
    return result;
  }

  /** The leader's health view, asked of the leader when this server is not it. */
  health(): Promise<HealthReport> {
    return this.options.forwarder.onLeader(OperatorServerHealth, {}, () =>
      Promise.resolve(this.localHealth()),
    );
  }

  private localHealth(): HealthReport {
    const { raft } = this.options;
    if (!raft.isLeader()) {
      const status = raft.status();
      throw new NotLeaderError(status.leaderId, status.leaderAddress);
    }
    return { ...this.options.health(), term: raft.status().term };
  }

  /** Consul's establishLeadership step: store the agent's settings when none are stored. */
  private seed(): void {
    if (this.seeding !== null || this.options.store.autopilotConfig() !== null) return;
    this.seeding = this.options
      .apply({ type: 'autopilot-set', config: wholeMs(this.options.seed), seed: true })
      .then(() => undefined)
      .catch((err: unknown) =>
        this.options.logger.warn({ err }, 'failed to store the initial autopilot configuration'),
      )
      .finally(() => (this.seeding = null));
  }
}

/** The stored form: whole, non-negative milliseconds and counts. */
function wholeMs(values: AutopilotValues): AutopilotValues {
  const whole = (n: number): number => Math.max(0, Math.round(n));
  return {
    cleanupDeadServers: values.cleanupDeadServers,
    lastContactThresholdMs: whole(values.lastContactThresholdMs),
    maxTrailingLogs: whole(values.maxTrailingLogs),
    minQuorum: whole(values.minQuorum),
    serverStabilizationTimeMs: whole(values.serverStabilizationTimeMs),
  };
}

function readHealthReport(raw: unknown): HealthReport {
  const fields = object(raw, 'Operator.ServerHealth reply');
  const servers = fields.servers;
  if (!Array.isArray(servers)) throw new TypeError('field servers: expected an array');
  return {
    healthy: bool(fields.healthy, 'healthy'),
    failureTolerance: num(fields.failureTolerance, 'failureTolerance'),
    term: num(fields.term, 'term'),
    servers: servers.map((item: unknown, i): ServerHealth => {
      const s = object(item, `servers[${i}]`);
      return {
        id: str(s.id, 'id'),
        name: str(s.name, 'name'),
        address: str(s.address, 'address'),
        serfStatus: str(s.serfStatus, 'serfStatus'),
        leader: bool(s.leader, 'leader'),
        voter: bool(s.voter, 'voter'),
        lastContactMs: num(s.lastContactMs, 'lastContactMs'),
        lastIndex: num(s.lastIndex, 'lastIndex'),
        healthy: bool(s.healthy, 'healthy'),
        stableSince: s.stableSince === null ? null : num(s.stableSince, 'stableSince'),
      };
    }),
  };
}

function object(raw: unknown, what: string): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TypeError(`${what}: expected an object`);
  }
  return raw as Record<string, unknown>;
}

function str(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new TypeError(`field ${name}: unexpected ${typeof value}`);
  return value;
}

function num(value: unknown, name: string): number {
  if (typeof value !== 'number') throw new TypeError(`field ${name}: unexpected ${typeof value}`);
  return value;
}

function bool(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`field ${name}: unexpected ${typeof value}`);
  return value;
}
