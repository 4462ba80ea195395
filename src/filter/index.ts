// The public face of the filter module: Consul's `?filter=` expressions (go-bexpr).
export { compileFilter, type Filter, type FilterOptions } from './filter';
export { FilterError } from './ast';
export {
  CHECK_SERVICE_NODE_SELECTORS,
  HEALTH_CHECK_SELECTORS,
  NODE_SELECTORS,
  NODE_SERVICE_SELECTORS,
  SERVICE_NODE_SELECTORS,
} from './selectors';
