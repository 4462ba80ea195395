// serf's ping delegate (ping_delegate.go): every ack we send carries our coordinate, and every
// ack to one of our probes updates our coordinate from the measured round trip. Payload: one
// version byte (1), then the coordinate as go-msgpack writes the Go struct (fields sorted,
// every number a float64), so a real serf reads ours and we read its.
import type { Logger } from 'pino';
import { VivaldiClient, type Coordinate } from '../../coordinate';
import { msgpack, type MemberlistNode, type PingDelegate } from '../memberlist';

export const PING_VERSION = 1;

export function encodePingPayload(c: Coordinate): Uint8Array {
  const w = new msgpack.MsgpackWriter(96);
  w.byte(PING_VERSION);
  w.mapHeader(4);
  w.str('Adjustment');
  w.float64(c.Adjustment);
  w.str('Error');
  w.float64(c.Error);
  w.str('Height');
  w.float64(c.Height);
  w.str('Vec');
  w.arrayHeader(c.Vec.length);
  for (const v of c.Vec) w.float64(v);
  return w.bytes().slice();
}

/** The coordinate in an ack payload; throws on a bad version or shape. Absent fields are 0. */
export function decodePingPayload(payload: Uint8Array): Coordinate {
  if (payload[0] !== PING_VERSION) throw new Error(`Unsupported ping version: ${payload[0]}`);
  const fields = msgpack.asStruct(msgpack.decode(payload.subarray(1)), 'coordinate');
  const num = (key: string, v: msgpack.MsgValue | undefined): number => {
    if (v === undefined || v === null) return 0;
    if (typeof v === 'number') return v;
    throw new Error(`coordinate field ${key} is not a number`);
  };
  const vec = fields.get('Vec');
  if (vec !== undefined && vec !== null && !Array.isArray(vec)) {
    throw new Error('coordinate field Vec is not an array');
  }
  return {
    Vec: (vec ?? []).map((v) => num('Vec', v)),
    Error: num('Error', fields.get('Error')),
    Adjustment: num('Adjustment', fields.get('Adjustment')),
    Height: num('Height', fields.get('Height')),
  };
}

/**
 * Our coordinate, and the last one heard from each peer (serf's coordCache, which also holds
 * our own under our name).
 */
export class CoordinateTracker implements PingDelegate {
  private readonly cache = new Map<string, Coordinate>();

  constructor(
    private readonly self: string,
    readonly client: VivaldiClient,
    private readonly logger: Logger,
  ) {
    this.cache.set(self, client.getCoordinate());
  }

  ackPayload(): Uint8Array {
    return encodePingPayload(this.client.getCoordinate());
  }

  notifyPingComplete(other: MemberlistNode, rttMs: number, payload: Uint8Array): void {
    if (payload.length === 0) return;
    let coord: Coordinate;
    try {
      coord = decodePingPayload(payload);
    } catch (error) {
      this.logger.error(`serf: Failed to decode coordinate from ping: ${(error as Error).message}`);
      return;
    }
    try {
      this.client.update(other.name, coord, Math.round(rttMs * 1e6));
    } catch (error) {
      this.logger.trace(
        `serf: Rejected coordinate from ${other.name}: ${(error as Error).message}`,
      );
      return;
    }
    this.cache.set(other.name, coord);
    this.cache.set(this.self, this.client.getCoordinate());
  }

  /** A reaped member: its samples and cached coordinate go. */
  forget(node: string): void {
    this.client.forgetNode(node);
    this.cache.delete(node);
  }

  cached(node: string): Coordinate | null {
    return this.cache.get(node) ?? null;
  }
}
