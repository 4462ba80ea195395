// The /v1/coordinate bodies: Consul's Coordinate entries ({Node, Segment, Coord}) out, and its
// CoordinateUpdateRequest in, decoded as Go's json would decode it into the struct.
import type { Coordinate } from '../coordinate';
import type { CoordinateRow } from '../state';
import {
  BodyDecodeError,
  fieldSite,
  goString,
  ROOT,
  structFields,
  typeError,
  type Site,
} from './go-decode';
import { JsonNumber, type ParsedJson } from './json-parse';
import type { JsonValue } from './json';

/** Go's struct field selectors of structs.Coordinate, for ?filter. */
export const COORDINATE_SELECTORS: readonly string[] = [
  'Node',
  'Segment',
  'Coord.Vec',
  'Coord.Error',
  'Coord.Adjustment',
  'Coord.Height',
];

export function coordinateJson(c: Coordinate): { [key: string]: JsonValue } {
  return { Vec: [...c.Vec], Error: c.Error, Adjustment: c.Adjustment, Height: c.Height };
}

export function coordinateEntryJson(
  node: string,
  segment: string,
  c: Coordinate,
): { [key: string]: JsonValue } {
  return { Node: node, Segment: segment, Coord: coordinateJson(c) };
}

export const coordinateRowJson = (row: CoordinateRow): { [key: string]: JsonValue } =>
  coordinateEntryJson(row.node, row.segment, row.coord);

const UPDATE_REQUEST = {
  goType: 'structs.CoordinateUpdateRequest',
  fields: ['Datacenter', 'Node', 'Segment', 'Coord'],
  ignored: ['Token'],
} as const;

const COORDINATE = {
  goType: 'coordinate.Coordinate',
  fields: ['Vec', 'Error', 'Adjustment', 'Height'],
} as const;

/** A Go float64: a JSON number in float64 range (Go refuses e.g. 1e400). */
function goFloat(value: ParsedJson, site: Site): number {
  if (value === null) return 0;
  if (!(value instanceof JsonNumber)) throw typeError(value, site, 'float64');
  const n = Number(value.text);
  if (!Number.isFinite(n)) throw typeError(value, site, 'float64');
  return n;
}

function decodeCoordinate(value: ParsedJson, site: Site): Coordinate | null {
  const fields = structFields(value, COORDINATE, site);
  if (fields === null) return null;
  const at = (name: string): Site => fieldSite(site, 'Coordinate', name);
  const vec = fields.get('Vec') ?? null;
  if (vec !== null && !Array.isArray(vec)) throw typeError(vec, at('Vec'), '[]float64');
  return {
    Vec: (vec ?? []).map((item) => goFloat(item, at('Vec'))),
    Error: goFloat(fields.get('Error') ?? null, at('Error')),
    Adjustment: goFloat(fields.get('Adjustment') ?? null, at('Adjustment')),
    Height: goFloat(fields.get('Height') ?? null, at('Height')),
  };
}

/** The PUT /v1/coordinate/update body; `Coord` null when the request carried none. */
export function decodeCoordinateUpdate(body: ParsedJson): {
  datacenter: string;
  node: string;
  segment: string;
  coord: Coordinate | null;
} {
  const fields = structFields(body, UPDATE_REQUEST, ROOT);
  if (fields === null) throw new BodyDecodeError('json: request body is null');
  const at = (name: string): Site => fieldSite(ROOT, 'CoordinateUpdateRequest', name);
  return {
    datacenter: goString(fields.get('Datacenter') ?? null, at('Datacenter')),
    node: goString(fields.get('Node') ?? null, at('Node')),
    segment: goString(fields.get('Segment') ?? null, at('Segment')),
    coord: decodeCoordinate(fields.get('Coord') ?? null, at('Coord')),
  };
}
