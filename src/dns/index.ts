// The DNS interface (consul-api.md §10): a resolver core answering from the local state store,
// and UDP/TCP listeners on every client address at ports.dns.
import type { Logger } from 'pino';

import { DnsHandler } from './handler';
import type { DnsBackend } from './resolver';
import { DnsServer, type PacketHandler } from './server';
import type { AgentConfig } from '../config';

export { DnsResolver, RCODE, type DnsBackend } from './resolver';
export { DnsHandler } from './handler';
export { DnsServer, type PacketHandler } from './server';
export { encodeResponse, framed } from './encode';

export interface RunningDns {
  /** `host:port` of each listener (UDP and TCP share it). */
  readonly addresses: string[];
  close(): Promise<void>;
}

/** Starts the listeners unless ports.dns is negative (disabled); null then. */
export async function startDnsServer(
  backend: DnsBackend,
  logger: Logger,
): Promise<RunningDns | null> {
  return listenDns(backend.config, new DnsHandler(backend, logger), logger);
}

/** Listens with any packet handler (a client agent's forwards questions to a server). */
export async function listenDns(
  config: AgentConfig,
  handler: PacketHandler,
  logger: Logger,
): Promise<RunningDns | null> {
  const { ports, clientAddr } = config;
  if (ports.dns < 0) return null;
  const hosts = config.addresses.dns ?? clientAddr;
  const server = new DnsServer(handler, hosts, ports.dns, logger);
  const addresses = await server.listen();
  logger.info({ addresses }, 'dns listening');
  return { addresses, close: () => server.close() };
}
