// The renderer (confd/consul-template style): Handlebars templates rendered from watched KV,
// catalog and health data, written atomically, checked and followed by reload commands.
export {
  Renderer,
  type RendererOptions,
  type RendererEvents,
  type RenderedEvent,
  type RenderErrorEvent,
  type RenderLogger,
  type OnceResult,
} from './renderer';
export {
  defaultResource,
  parseTemplateFlag,
  parseWait,
  resourceFromObject,
  ResourceError,
  DEFAULT_COMMAND_TIMEOUT_MS,
  type TemplateResource,
  type WaitSpec,
} from './resource';
export {
  loadRenderConfig,
  emptyRenderConfig,
  signalOf,
  type RenderFileConfig,
  type ExecSpec,
} from './config';
export { ChildSupervisor, type SupervisorOptions } from './exec';
export { CompiledTemplate, TemplateError } from './template';
export { RenderContext } from './context';
export {
  DependencyWatcher,
  type ConsulEndpoint,
  type WatcherOptions,
  type Answer,
} from './watcher';
export { HELPERS } from './helpers';
export { decodeHealth, decodeKvPairs } from './decode';
export type { HealthService, KvPair, CatalogNodeDetail, CatalogNodeSummary } from './decode';
export {
  healthDependency,
  kvKeyDependency,
  kvPrefixDependency,
  catalogServicesDependency,
  type Dependency,
} from './dependency';
