// The server port's TLS as a server or a client agent uses it: tls.internal_rpc over
// tls.defaults, checking server names against server.<datacenter>.<domain>.
import type { AgentConfig } from '../config';
import { RpcTls } from '../rpc';

/** RpcTls for `config`, or undefined when no TLS file is configured (plain text only). */
export function rpcTlsFor(config: AgentConfig): RpcTls | undefined {
  const settings = config.tls.internalRpc;
  if (settings.cert === null && settings.ca.length === 0) return undefined;
  return new RpcTls({
    ...settings,
    datacenter: config.datacenter,
    // Consul's ServerSNI uses the domain without its trailing dot.
    domain: config.domain.replace(/\.$/, ''),
  });
}
