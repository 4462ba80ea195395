// The first byte of every connection to the server port selects its protocol, as in Consul's
// agent/pool (RPCType). Consulate speaks RPCConsul (its own length-prefixed msgpack frames,
// multiplexed by request id), RPCRaft and RPCSnapshot; the other bytes are recognised so that
// a peer using them is told apart from garbage in the logs, then refused.

export enum RpcType {
  /** Request/response calls, multiplexed on one connection by request id. */
  Consul = 0,
  /** The connection belongs to the Raft transport. */
  Raft = 1,
  /** Consul's old muxado multiplexer: refused, as Consul does. */
  Multiplex = 2,
  Tls = 3,
  /** Consul's yamux multiplexer. */
  MultiplexV2 = 4,
  /** One snapshot save or restore: a header frame, then a raw byte stream each way. */
  Snapshot = 5,
  Gossip = 6,
  TlsInsecure = 7,
  Grpc = 8,
  RaftForwarding = 9,
}

const NAMES: Record<RpcType, string> = {
  [RpcType.Consul]: 'RPCConsul',
  [RpcType.Raft]: 'RPCRaft',
  [RpcType.Multiplex]: 'RPCMultiplex',
  [RpcType.Tls]: 'RPCTLS',
  [RpcType.MultiplexV2]: 'RPCMultiplexV2',
  [RpcType.Snapshot]: 'RPCSnapshot',
  [RpcType.Gossip]: 'RPCGossip',
  [RpcType.TlsInsecure]: 'RPCTLSInsecure',
  [RpcType.Grpc]: 'RPCGRPC',
  [RpcType.RaftForwarding]: 'RPCRaftForwarding',
};

/** Consul's name for a first byte, or `unknown (0x..)`. */
export function protocolName(byte: number): string {
  const name = (NAMES as Record<number, string | undefined>)[byte];
  return name ?? `unknown (0x${byte.toString(16).padStart(2, '0')})`;
}
