// `/v1/agent`: the local agent's own state: identity, members, its services and checks.
import {
  type QueryOptions,
  type QueryResult,
  type RequestOptions,
  type Transport,
} from './transport';
import type {
  AgentCheckRegistration,
  AgentMember,
  AgentSelf,
  AgentService,
  AgentServiceRegistration,
  CheckStatus,
  HealthCheck,
} from './types';

const id = encodeURIComponent;

export class Agent {
  constructor(private readonly transport: Transport) {}

  /** Configuration and member record of this agent. */
  async self(options?: RequestOptions): Promise<AgentSelf> {
    return (
      await this.transport.query<AgentSelf>({ method: 'GET', path: '/v1/agent/self', options })
    ).data;
  }

  /** Gossip members this agent sees (LAN pool, or WAN with `wan`). */
  async members(options: RequestOptions & { wan?: boolean } = {}): Promise<AgentMember[]> {
    const query = { wan: options.wan ? '1' : undefined };
    return (
      await this.transport.query<AgentMember[]>({
        method: 'GET',
        path: '/v1/agent/members',
        query,
        options,
      })
    ).data;
  }

  /** Services registered with this agent, by ID. */
  async services(options?: QueryOptions): Promise<Record<string, AgentService>> {
    return (
      await this.transport.query<Record<string, AgentService>>({
        method: 'GET',
        path: '/v1/agent/services',
        options,
      })
    ).data;
  }

  /** One local service (`undefined` if unknown); supports hash-based blocking via `hash`. */
  service(
    serviceId: string,
    options?: QueryOptions,
  ): Promise<QueryResult<AgentService | undefined>> {
    return this.transport.query<AgentService | undefined>(
      { method: 'GET', path: `/v1/agent/service/${id(serviceId)}`, options },
      () => undefined,
    );
  }

  /** Registers (or replaces) a local service with its checks. */
  async serviceRegister(
    registration: AgentServiceRegistration,
    options: RequestOptions & { replaceExistingChecks?: boolean } = {},
  ): Promise<void> {
    await this.transport.write(
      {
        method: 'PUT',
        path: '/v1/agent/service/register',
        query: { 'replace-existing-checks': options.replaceExistingChecks },
        options,
      },
      registration,
    );
  }

  /** Removes a local service and its checks. */
  async serviceDeregister(serviceId: string, options?: RequestOptions): Promise<void> {
    await this.transport.send({
      method: 'PUT',
      path: `/v1/agent/service/deregister/${id(serviceId)}`,
      options,
    });
  }

  /** Puts one service in (or out of) maintenance mode. */
  async serviceMaintenance(
    serviceId: string,
    enable: boolean,
    reason?: string,
    options?: RequestOptions,
  ): Promise<void> {
    await this.transport.send({
      method: 'PUT',
      path: `/v1/agent/service/maintenance/${id(serviceId)}`,
      query: { enable: String(enable), reason },
      options,
    });
  }

  /** Checks registered with this agent, by check ID. */
  async checks(options?: QueryOptions): Promise<Record<string, HealthCheck>> {
    return (
      await this.transport.query<Record<string, HealthCheck>>({
        method: 'GET',
        path: '/v1/agent/checks',
        options,
      })
    ).data;
  }

  /** Registers a check (node-level, or bound to a local service with `ServiceID`). */
  async checkRegister(check: AgentCheckRegistration, options?: RequestOptions): Promise<void> {
    await this.transport.write({ method: 'PUT', path: '/v1/agent/check/register', options }, check);
  }

  async checkDeregister(checkId: string, options?: RequestOptions): Promise<void> {
    await this.transport.send({
      method: 'PUT',
      path: `/v1/agent/check/deregister/${id(checkId)}`,
      options,
    });
  }

  /** Marks a TTL check passing (and resets its TTL). */
  checkPass(checkId: string, note?: string, options?: RequestOptions): Promise<void> {
    return this.ttl('pass', checkId, note, options);
  }

  checkWarn(checkId: string, note?: string, options?: RequestOptions): Promise<void> {
    return this.ttl('warn', checkId, note, options);
  }

  checkFail(checkId: string, note?: string, options?: RequestOptions): Promise<void> {
    return this.ttl('fail', checkId, note, options);
  }

  /** Sets a TTL check's status and output in one call. */
  async checkUpdate(
    checkId: string,
    status: CheckStatus,
    output?: string,
    options?: RequestOptions,
  ): Promise<void> {
    await this.transport.write(
      { method: 'PUT', path: `/v1/agent/check/update/${id(checkId)}`, options },
      { Status: status, Output: output ?? '' },
    );
  }

  /** Node maintenance mode on/off. */
  async maintenance(enable: boolean, reason?: string, options?: RequestOptions): Promise<void> {
    await this.transport.send({
      method: 'PUT',
      path: '/v1/agent/maintenance',
      query: { enable: String(enable), reason },
      options,
    });
  }

  /** Makes the agent re-read its configuration files. */
  async reload(options?: RequestOptions): Promise<void> {
    await this.transport.send({ method: 'PUT', path: '/v1/agent/reload', options });
  }

  private async ttl(
    verb: 'pass' | 'warn' | 'fail',
    checkId: string,
    note: string | undefined,
    options: RequestOptions | undefined,
  ): Promise<void> {
    await this.transport.send({
      method: 'PUT',
      path: `/v1/agent/check/${verb}/${id(checkId)}`,
      query: { note },
      options,
    });
  }
}
