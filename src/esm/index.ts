// The external-service monitor (Consul's consul-esm, built in): nodes registered with meta
// external-node = "true" get their HTTP/TCP/UDP/gRPC checks run by any number of workers through
// BullMQ on Redis; results are written back through the catalog with CAS.
export { EsmCatalog, type CatalogCheck, type CatalogNode, type CasOutcome } from './catalog';
export {
  checkDefinition,
  NODE_HEALTH_CHECK_ID,
  planJobs,
  type CheckJob,
  type EsmJob,
  type NodeProbeJob,
  type NodeProbeSettings,
  type PlannedJob,
} from './plan';
export { probeNode } from './node-probe';
export { EsmScheduler, stagger, type EsmSchedulerOptions } from './scheduler';
export { ESM_QUEUE, EsmWorker, type EsmWorkerOptions, type EsmWorkerStats } from './worker';
export { startEsm, type RunningEsm, type EsmSettings } from './run';
