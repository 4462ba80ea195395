// Consul watches: specs, plans (blocking loops per watch type) and handlers, shared by
// `consulate watch` and the agent's `watches` configuration.
export {
  parseWatchSpec,
  checkRequired,
  WatchSpecError,
  WATCH_TYPES,
  type HttpHandlerConfig,
  type WatchHandler,
  type WatchSpec,
  type WatchType,
} from './spec';
export { WatchPlan, type WatchPlanOptions, type WatchResult } from './plan';
export { handlerInput, runHandler, type HandlerOutput } from './handlers';
export { AgentWatches } from './agent-watches';
