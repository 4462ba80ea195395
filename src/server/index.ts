// What only servers do: run Raft and the state store, leader duties, and serve the HTTP API.
export type { AgentRuntime } from './runtime';
export { startServerAgent, type ServerAgent } from './agent';
export { TombstoneGc, type TombstoneGcOptions } from './tombstone-gc';
