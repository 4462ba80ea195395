// Network coordinates (serf's Vivaldi), the servers' batching of reported coordinates, and the
// agents' periodic report of their own.
export {
  VIVALDI_DEFAULTS,
  VivaldiClient,
  applyForce,
  cloneCoordinate,
  coordinateProblem,
  distanceNanos,
  distanceSeconds,
  isCompatible,
  isValidCoordinate,
  nanosToSeconds,
  newCoordinate,
  rawDistance,
  type Coordinate,
  type RandomSource,
  type VivaldiConfig,
} from './vivaldi';
export {
  COORDINATE_BATCH_DEFAULTS,
  COORDINATE_UPDATE_PERIOD_MS,
  DEV_COORDINATE_UPDATE_PERIOD_MS,
  CoordinateBatcher,
  type CoordinateBatchLimits,
  type CoordinateUpdate,
} from './batch';
export {
  SYNC_COORDINATE_INTERVAL_MIN_MS,
  SYNC_COORDINATE_RATE_TARGET,
  rateScaledIntervalMs,
  startCoordinateSync,
  type CoordinateSync,
  type CoordinateSyncOptions,
  type CoordinateSyncTimers,
} from './sync';
