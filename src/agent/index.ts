// What every agent does: its local services and checks (config files and the API), the check
// runners, persistence in data_dir, and anti-entropy into the catalog.
export {
  LocalAgent,
  storeAgentHost,
  type AgentHost,
  type EntrySource,
  type LocalCheck,
  type LocalService,
} from './local-agent';
export {
  admitCheck,
  admitService,
  DefinitionError,
  isStatus,
  nodeMetaProblem,
  type AdmittedCheck,
  type AdmittedService,
  type AgentServiceRecord,
} from './definitions';
export {
  decodeCheckInput,
  decodeCheckUpdate,
  decodeServiceInput,
  DefinitionDecodeError,
  isRecord,
  type CheckInput,
  type DecodeMode,
  type ServiceInput,
  type TaggedAddress,
} from './definition-decode';
export { planSync, type CatalogView, type DesiredCatalog, type SyncPlan } from './anti-entropy';
export type { CatalogHealthView } from './alias-sources';
export { durationText } from './catalog-shapes';
export {
  NODE_MAINTENANCE_CHECK_ID,
  isMaintenanceCheck,
  serviceMaintenanceCheckId,
} from './maintenance';
export {
  createProbe,
  scriptChecksPolicy,
  type CheckDefinition,
  type CheckResult,
  type CheckSource,
  type CheckStatus,
  type CheckType,
  type Probe,
} from './checks';
