// Client agents: local services and checks synced to the servers, the HTTP API and DNS served
// by forwarding to a server of the datacenter, servers found through the LAN pool.
export { startClientAgent, type ClientAgent } from './agent';
export { ClientDnsHandler, DNS_CACHE_ENTRIES } from './dns';
export { NoServersError, ServerRpc, type ServerCallOptions } from './server-rpc';
export { REBALANCE_MS, ServerList } from './servers';
