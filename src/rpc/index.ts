// The public face of src/rpc: the server port (first-byte protocol selection, typed method
// registry, snapshot streams) and the client pool that calls other servers.
export { parseAddress, type HostPort } from './address';
export type { CallOptions } from './client-connection';
export {
  RpcConnectionError,
  RpcRemoteError,
  RpcTimeoutError,
  errorText,
  type WireError,
} from './errors';
export {
  DEFAULT_MAX_FRAME_BYTES,
  FrameDecoder,
  FrameError,
  decodePayload,
  encodeFrame,
  encodePayload,
} from './frames';
export {
  defineMethod,
  MethodRegistry,
  UnknownMethodError,
  type CallMeta,
  type MethodHandler,
  type RpcMethod,
} from './methods';
export { CallCancelledError, CallDeadlineError } from './call-session';
export { ConnPool, type ConnPoolOptions } from './pool';
export { dialServer, RpcTls, type RpcTlsSettings, type ServerDial } from './tls';
export { protocolName, RpcType } from './protocol';
export {
  DEFAULT_SERVER_PORT,
  RpcServer,
  type ProtocolHandler,
  type RpcServerOptions,
  type RpcServerStats,
} from './server';
export {
  openSnapshotStream,
  readOneFrame,
  serveSnapshotStreams,
  type SnapshotServeOptions,
  type SnapshotStreamHandler,
  type SnapshotStreamOptions,
  type SnapshotStreamReply,
  type SnapshotStreamRequest,
  type SnapshotStreamResponse,
} from './snapshot-stream';
