// Registers this process as a service with the local agent, keeps a TTL check passing, puts the
// registration back when the agent lost it, and deregisters on SIGTERM/SIGINT or close().
import { EventEmitter } from 'node:events';

import type { Consul } from './client';
import { ConsulError } from './errors';
import { durationMs } from './transport';
import type { AgentCheckRegistration, AgentServiceRegistration } from './types';

/** A TTL check the helper keeps passing by heartbeats. */
export interface TtlCheckOptions {
  /** TTL as ms or a Go duration (`"10s"`). */
  ttl: number | string;
  /** Heartbeat period in ms; must be below the TTL (default TTL/2). */
  heartbeatMs?: number;
  /** Go duration after which the agent removes a service that stays critical. */
  deregisterCriticalServiceAfter?: string;
  notes?: string;
}

/** An HTTP check the agent runs itself. */
export interface HttpCheckOptions {
  http: string;
  /** Go duration, e.g. `"10s"`. */
  interval: string;
  timeout?: string;
  method?: string;
  tlsSkipVerify?: boolean;
  deregisterCriticalServiceAfter?: string;
  notes?: string;
}

export interface ServiceRegistrationOptions {
  /** The service; `ID` defaults to `Name`. Its own `Check`/`Checks` are sent as given. */
  service: AgentServiceRegistration;
  /** The health check the helper manages (check ID `service:<ID>`). */
  check?: TtlCheckOptions | HttpCheckOptions;
  /** Deregister on SIGTERM/SIGINT, then let the signal take its default course (default true). */
  handleSignals?: boolean;
}

/**
 * A live registration. Events: `registered` (first time), `reregistered` (after the agent lost
 * it), `heartbeat`, `deregistered`, `error` (only when listened to; failures are retried).
 */
export class ServiceRegistration extends EventEmitter {
  readonly serviceId: string;
  /** ID of the managed check, when there is one. */
  readonly checkId: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly signalHandlers = new Map<NodeJS.Signals, () => void>();

  constructor(
    private readonly consul: Consul,
    private readonly options: ServiceRegistrationOptions,
  ) {
    super();
    this.serviceId = options.service.ID ?? options.service.Name;
    this.checkId = options.check ? `service:${this.serviceId}` : undefined;
    const check = options.check;
    if (check && 'ttl' in check) {
      const ttlMs = durationMs(check.ttl);
      const heartbeatMs = check.heartbeatMs ?? ttlMs / 2;
      if (!(heartbeatMs > 0 && heartbeatMs < ttlMs)) {
        throw new Error(`heartbeatMs (${heartbeatMs}) must be > 0 and below the TTL (${ttlMs} ms)`);
      }
    }
  }

  /** Registers the service and starts heartbeats and signal handling. */
  async start(): Promise<void> {
    await this.register();
    this.emit('registered', { serviceId: this.serviceId });
    if (this.options.check && 'ttl' in this.options.check) {
      await this.heartbeat();
    }
    if (this.options.handleSignals ?? true) {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        const handler = (): void => void this.onSignal(signal);
        this.signalHandlers.set(signal, handler);
        process.once(signal, handler);
      }
    }
  }

  /** Stops heartbeats and deregisters the service (idempotent). */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    for (const [signal, handler] of this.signalHandlers) process.off(signal, handler);
    this.signalHandlers.clear();
    try {
      await this.consul.agent.serviceDeregister(this.serviceId);
    } catch (error) {
      // Already gone (agent restarted without state) is the state we want.
      if (!(error instanceof ConsulError && error.status === 404)) throw error;
    }
    this.emit('deregistered', { serviceId: this.serviceId });
  }

  private async onSignal(signal: NodeJS.Signals): Promise<void> {
    try {
      await this.close();
    } catch (error) {
      this.report(error);
    }
    // Nobody else handles the signal: re-raise it so the process ends as it would have.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  }

  private register(): Promise<void> {
    const registration: AgentServiceRegistration = { ...this.options.service, ID: this.serviceId };
    const check = this.checkDefinition();
    if (check) {
      registration.Checks = [check, ...(registration.Checks ?? [])];
      if (registration.Check) {
        registration.Checks.push(registration.Check);
        delete registration.Check;
      }
    }
    return this.consul.agent.serviceRegister(registration);
  }

  private checkDefinition(): (AgentCheckRegistration & { CheckID: string }) | undefined {
    const check = this.options.check;
    if (!check || !this.checkId) return undefined;
    const common = {
      CheckID: this.checkId,
      Name: `Service '${this.options.service.Name}' check`,
      Notes: check.notes,
      DeregisterCriticalServiceAfter: check.deregisterCriticalServiceAfter,
    };
    if ('ttl' in check) {
      return { ...common, TTL: `${durationMs(check.ttl)}ms` };
    }
    return {
      ...common,
      HTTP: check.http,
      Interval: check.interval,
      Timeout: check.timeout,
      Method: check.method,
      TLSSkipVerify: check.tlsSkipVerify,
    };
  }

  private async heartbeat(): Promise<void> {
    const check = this.options.check as TtlCheckOptions;
    const checkId = this.checkId as string;
    try {
      try {
        await this.consul.agent.checkPass(checkId);
      } catch (error) {
        if (!isLostCheck(error) || this.closed) throw error;
        // The agent no longer knows the check (restarted without state, or it was removed).
        await this.register();
        this.emit('reregistered', { serviceId: this.serviceId });
        await this.consul.agent.checkPass(checkId);
      }
      this.emit('heartbeat', { checkId });
    } catch (error) {
      this.report(error);
    }
    if (this.closed) return;
    const heartbeatMs = check.heartbeatMs ?? durationMs(check.ttl) / 2;
    this.timer = setTimeout(() => void this.heartbeat(), heartbeatMs);
    this.timer.unref();
  }

  private report(error: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}

/** A TTL update the agent refused because it does not know the check (any more). */
function isLostCheck(error: unknown): boolean {
  if (!(error instanceof ConsulError)) return false;
  return (
    error.status === 404 ||
    (error.status === 500 && /does not have associated TTL|unknown check/i.test(error.body))
  );
}

/**
 * Registers a service and keeps it registered until `close()` or SIGTERM/SIGINT.
 *
 * ```ts
 * const reg = await registerService(consul, {
 *   service: { Name: 'web', Port: 8080 },
 *   check: { ttl: '10s' },
 * });
 * ```
 */
export async function registerService(
  consul: Consul,
  options: ServiceRegistrationOptions,
): Promise<ServiceRegistration> {
  const registration = new ServiceRegistration(consul, options);
  await registration.start();
  return registration;
}
