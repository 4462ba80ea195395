// Network coordinates as serf computes them (hashicorp/serf/coordinate): a Vivaldi position in
// Euclidean space plus a height (the access link) and an adjustment term, all in seconds.
// Pure: no clocks, no timers; the one random draw (a direction for co-located nodes) is injected.

/** serf's coordinate.Config. */
export interface VivaldiConfig {
  dimensionality: number;
  vivaldiErrorMax: number;
  vivaldiCE: number;
  vivaldiCC: number;
  adjustmentWindowSize: number;
  heightMin: number;
  latencyFilterSize: number;
  gravityRho: number;
}

/** serf's DefaultConfig, which Consul uses unchanged. */
export const VIVALDI_DEFAULTS: Readonly<VivaldiConfig> = Object.freeze({
  dimensionality: 8,
  vivaldiErrorMax: 1.5,
  vivaldiCE: 0.25,
  vivaldiCC: 0.25,
  adjustmentWindowSize: 20,
  heightMin: 10e-6,
  latencyFilterSize: 3,
  gravityRho: 150,
});

/** A coordinate in Consul's JSON (and serf's msgpack) shape. */
export interface Coordinate {
  Vec: number[];
  Error: number;
  Adjustment: number;
  Height: number;
}

const SECONDS_TO_NANOSECONDS = 1e9;
/** Below this a distance or magnitude counts as zero (serf's zeroThreshold). */
const ZERO_THRESHOLD = 1e-6;
/** Round trips above this are refused (serf's maxRTT). */
const MAX_RTT_SECONDS = 10;

export function newCoordinate(config: VivaldiConfig = VIVALDI_DEFAULTS): Coordinate {
  return {
    Vec: new Array<number>(config.dimensionality).fill(0),
    Error: config.vivaldiErrorMax,
    Adjustment: 0,
    Height: config.heightMin,
  };
}

export function cloneCoordinate(c: Coordinate): Coordinate {
  return { Vec: [...c.Vec], Error: c.Error, Adjustment: c.Adjustment, Height: c.Height };
}

/** No NaN or infinity anywhere. */
export function isValidCoordinate(c: Coordinate): boolean {
  return c.Vec.every(Number.isFinite) && [c.Error, c.Adjustment, c.Height].every(Number.isFinite);
}

export function isCompatible(a: Coordinate, b: Coordinate): boolean {
  return a.Vec.length === b.Vec.length;
}

function assertCompatible(a: Coordinate, b: Coordinate): void {
  if (!isCompatible(a, b)) throw new Error('coordinate dimensionality does not match');
}

function magnitude(vec: readonly number[]): number {
  let sum = 0;
  for (const v of vec) sum += v * v;
  return Math.sqrt(sum);
}

function diff(a: readonly number[], b: readonly number[]): number[] {
  return a.map((v, i) => v - b[i]);
}

/** ‖a − b‖ + both heights: the distance before the adjustment terms. */
export function rawDistance(a: Coordinate, b: Coordinate): number {
  return magnitude(diff(a.Vec, b.Vec)) + a.Height + b.Height;
}

/**
 * Estimated round trip a → b in whole nanoseconds (serf returns a time.Duration): the raw
 * distance plus both adjustments, unless that would not be positive.
 */
export function distanceNanos(a: Coordinate, b: Coordinate): number {
  assertCompatible(a, b);
  const raw = rawDistance(a, b);
  const adjusted = raw + a.Adjustment + b.Adjustment;
  return Math.trunc((adjusted > 0 ? adjusted : raw) * SECONDS_TO_NANOSECONDS);
}

/** Go's Duration.Seconds() of a whole-nanosecond duration. */
export function nanosToSeconds(nanos: number): number {
  const seconds = Math.trunc(nanos / SECONDS_TO_NANOSECONDS);
  return seconds + (nanos - seconds * SECONDS_TO_NANOSECONDS) / SECONDS_TO_NANOSECONDS;
}

/** The estimated round trip in seconds, as serf's DistanceTo(...).Seconds(). */
export function distanceSeconds(a: Coordinate, b: Coordinate): number {
  return nanosToSeconds(distanceNanos(a, b));
}

/** Uniform in [0, 1). */
export type RandomSource = () => number;

/** Unit vector from b towards a, and the distance between them (0 when they coincide). */
function unitVectorAt(
  a: readonly number[],
  b: readonly number[],
  random: RandomSource,
): { unit: number[]; mag: number } {
  const d = diff(a, b);
  const mag = magnitude(d);
  if (mag > ZERO_THRESHOLD) return { unit: d.map((v) => v / mag), mag };
  // Co-located: push apart in a random direction.
  const r = d.map(() => random() - 0.5);
  const rmag = magnitude(r);
  if (rmag > ZERO_THRESHOLD) return { unit: r.map((v) => v / rmag), mag: 0 };
  const unit = new Array<number>(a.length).fill(0);
  unit[0] = 1;
  return { unit, mag: 0 };
}

/** Moves `c` by `force` along the unit vector from `other` towards it; height grows with it. */
export function applyForce(
  config: VivaldiConfig,
  c: Coordinate,
  force: number,
  other: Coordinate,
  random: RandomSource,
): Coordinate {
  assertCompatible(c, other);
  const out = cloneCoordinate(c);
  const { unit, mag } = unitVectorAt(c.Vec, other.Vec, random);
  out.Vec = out.Vec.map((v, i) => v + unit[i] * force);
  if (mag > ZERO_THRESHOLD) {
    out.Height = ((out.Height + other.Height) * force) / mag + out.Height;
    out.Height = Math.max(out.Height, config.heightMin);
  }
  return out;
}

/**
 * One node's view (serf's coordinate.Client): its own coordinate, the latency filter per peer
 * and the adjustment window. Feed it observed round trips with update().
 */
export class VivaldiClient {
  private coord: Coordinate;
  private readonly origin: Coordinate;
  private adjustmentIndex = 0;
  private readonly adjustmentSamples: number[];
  private readonly latencySamples = new Map<string, number[]>();
  private resetCount = 0;

  constructor(
    private readonly random: RandomSource,
    readonly config: VivaldiConfig = VIVALDI_DEFAULTS,
  ) {
    if (!(config.dimensionality > 0)) throw new Error('dimensionality must be >0');
    this.coord = newCoordinate(config);
    this.origin = newCoordinate(config);
    this.adjustmentSamples = new Array<number>(config.adjustmentWindowSize).fill(0);
  }

  getCoordinate(): Coordinate {
    return cloneCoordinate(this.coord);
  }

  setCoordinate(c: Coordinate): void {
    this.check(c);
    this.coord = cloneCoordinate(c);
  }

  /** Drops a departed node's latency samples. */
  forgetNode(node: string): void {
    this.latencySamples.delete(node);
  }

  /** How many times an update produced an invalid coordinate and was reset (serf stat). */
  resets(): number {
    return this.resetCount;
  }

  distanceTo(other: Coordinate): number {
    return distanceSeconds(this.coord, other);
  }

  /**
   * Takes one observation: `node`, at coordinate `other`, answered in `rttNanos` (whole
   * nanoseconds, as a Go time.Duration). Throws on an incompatible or invalid coordinate or a
   * round trip outside [0, 10 s]. Returns the new coordinate.
   */
  update(node: string, other: Coordinate, rttNanos: number): Coordinate {
    this.check(other);
    if (!(rttNanos >= 0 && rttNanos <= MAX_RTT_SECONDS * SECONDS_TO_NANOSECONDS)) {
      throw new Error(
        `round trip time not in valid range, duration ${rttNanos}ns is not a positive value less than 10s`,
      );
    }
    const rtt = this.latencyFilter(node, nanosToSeconds(Math.trunc(rttNanos)));
    this.updateVivaldi(other, rtt);
    this.updateAdjustment(other, rtt);
    this.updateGravity();
    if (!isValidCoordinate(this.coord)) {
      this.resetCount++;
      this.coord = newCoordinate(this.config);
    }
    return this.getCoordinate();
  }

  private check(c: Coordinate): void {
    if (!isCompatible(this.coord, c)) throw new Error("dimensions aren't compatible");
    if (!isValidCoordinate(c)) throw new Error('coordinate is invalid');
  }

  /** The median of the last few samples for `node` (a moving median against spikes). */
  private latencyFilter(node: string, rttSeconds: number): number {
    const samples = this.latencySamples.get(node) ?? [];
    samples.push(rttSeconds);
    if (samples.length > this.config.latencyFilterSize) samples.shift();
    this.latencySamples.set(node, samples);
    const sorted = [...samples].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  }

  private updateVivaldi(other: Coordinate, observed: number): void {
    const { config } = this;
    const dist = distanceSeconds(this.coord, other);
    const rtt = Math.max(observed, ZERO_THRESHOLD);
    const wrongness = Math.abs(dist - rtt) / rtt;
    const totalError = Math.max(this.coord.Error + other.Error, ZERO_THRESHOLD);
    const weight = this.coord.Error / totalError;
    this.coord.Error =
      config.vivaldiCE * weight * wrongness + this.coord.Error * (1 - config.vivaldiCE * weight);
    if (this.coord.Error > config.vivaldiErrorMax) this.coord.Error = config.vivaldiErrorMax;
    const force = config.vivaldiCC * weight * (rtt - dist);
    this.coord = applyForce(config, this.coord, force, other, this.random);
  }

  // The adjustment is half the mean of the recent (observed − raw estimate) differences.
  private updateAdjustment(other: Coordinate, rtt: number): void {
    const size = this.config.adjustmentWindowSize;
    if (size === 0) return;
    this.adjustmentSamples[this.adjustmentIndex] = rtt - rawDistance(this.coord, other);
    this.adjustmentIndex = (this.adjustmentIndex + 1) % size;
    let sum = 0;
    for (const s of this.adjustmentSamples) sum += s;
    this.coord.Adjustment = sum / (2 * size);
  }

  // A weak pull towards the origin keeps the whole system from drifting away.
  private updateGravity(): void {
    const dist = distanceSeconds(this.origin, this.coord);
    const force = -1 * Math.pow(dist / this.config.gravityRho, 2);
    this.coord = applyForce(this.config, this.coord, force, this.origin, this.random);
  }
}

/**
 * Why a server refuses a coordinate someone sent (Consul's Coordinate.Update): not finite
 * everywhere, or not of this agent's dimensionality. Null when acceptable.
 */
export function coordinateProblem(
  c: Coordinate,
  config: VivaldiConfig = VIVALDI_DEFAULTS,
): string | null {
  if (!isValidCoordinate(c)) return 'invalid coordinate';
  if (c.Vec.length !== config.dimensionality) return 'incompatible coordinate';
  return null;
}
