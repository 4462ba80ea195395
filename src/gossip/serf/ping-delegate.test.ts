import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newCoordinate } from '../../coordinate';
import { decodePingPayload, encodePingPayload } from './ping-delegate';

// serf's AckPayload for this coordinate, as the real go-msgpack codec wrote it (generated once
// with hashicorp/serf 0.9.4 from Debian's sources): version 1, then the struct as a map with
// sorted keys and every number a float64.
const GO_PAYLOAD =
  '0184aa41646a7573746d656e74cbbf1a36e2eb1c432da54572726f72cb3fe8000000000000a6486569676874' +
  'cb3ee4f8b588e368f1a356656398cb3f50624dd2f1a9fccb0000000000000000cb0000000000000000cb0000' +
  '000000000000cb0000000000000000cb0000000000000000cb0000000000000000cbc004000000000000';

const coord = (): ReturnType<typeof newCoordinate> => {
  const c = newCoordinate();
  c.Vec[0] = 0.001;
  c.Vec[7] = -2.5;
  c.Error = 0.75;
  c.Adjustment = -0.0001;
  return c;
};

test('our ack payload is byte for byte the one serf writes', () => {
  assert.equal(Buffer.from(encodePingPayload(coord())).toString('hex'), GO_PAYLOAD);
});

test('serf’s ack payload decodes to its coordinate', () => {
  assert.deepEqual(decodePingPayload(Buffer.from(GO_PAYLOAD, 'hex')), coord());
});

test('a payload of another version or shape is refused', () => {
  const payload = Buffer.from(GO_PAYLOAD, 'hex');
  payload[0] = 2;
  assert.throws(() => decodePingPayload(payload), /Unsupported ping version: 2/);
  // {"Vec": "x"}
  const bad = Buffer.from([1, 0x81, 0xa3, 0x56, 0x65, 0x63, 0xa1, 0x78]);
  assert.throws(() => decodePingPayload(bad), /Vec/);
});
