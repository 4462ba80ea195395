// Shared bench helpers: child processes, /proc sampling, the load generator, tables.
export { LatencyHistogram, median, quantileOf } from './histogram';
export { connectionAgent, httpRequest, keyName, valueOf, type HttpReply } from './http-requests';
export { LoadGenerator, type CellResult, type FanoutOutcome } from './loadgen';
export type {
  ClosedLoopSpec,
  FanoutArmed,
  FanoutSpec,
  KeySpace,
  PlainRequest,
  RequestTemplate,
  Target,
} from './loadgen-protocol';
export { cpuMs, openFilesLimit, processTree, rssBytes } from './procfs';
export {
  freePorts,
  killAllServers,
  ServerProcess,
  shellQuote,
  type SpawnOptions,
} from './server-process';
export { fmt, fmtMB, markdownTable } from './table';
export { startEtcd, startFastifyHello, type EtcdPeer, type Peer } from './peers';
