// The server's side of what client agents ask over the server port: their node's catalog rows
// and catalog-sync entries for anti-entropy, API requests answered by this server's HTTP stack,
// and DNS questions answered by its resolver.
import { storeAgentHost } from '../agent';
import type { HttpServer } from '../http';
import type { RpcServer } from '../rpc';
import { CatalogNodeView, CatalogSync, DnsQuery, HttpForward } from './agent-rpc';
import type { AgentRuntime } from './runtime';

/** Answers one DNS packet (the server's DnsHandler). */
export interface PacketAnswerer {
  handle(
    message: Buffer,
    transport: 'udp' | 'tcp',
    client: string,
  ): Buffer | null | Promise<Buffer | null>;
}

export function serveClientAgents(
  rpc: RpcServer,
  server: AgentRuntime,
  http: HttpServer,
  dns: PacketAnswerer,
): void {
  const host = storeAgentHost(server);
  rpc.methods.register(CatalogNodeView, async ({ node }, signal) => {
    // The client's anti-entropy compares with what the leader had: read after catching up.
    await server.readIndex(false, signal);
    return host.readCatalog(node);
  });
  rpc.methods.register(CatalogSync, ({ node, ops }) => host.syncCatalog(node, ops));
  rpc.methods.register(HttpForward, (request) => http.inject(request));
  rpc.methods.register(DnsQuery, async ({ packet, transport, client }) => {
    const message = Buffer.from(packet.buffer, packet.byteOffset, packet.length);
    return { packet: await dns.handle(message, transport, client) };
  });
}
