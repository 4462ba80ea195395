import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeHealthCheckResponse,
  encodeHealthCheckRequest,
  frameGrpcMessage,
  unframeGrpcMessage,
} from './grpc-health-wire';

test('a request for the whole server is the empty message', () => {
  assert.deepEqual(encodeHealthCheckRequest(''), Buffer.alloc(0));
});

test('a request for a service is field 1 as a length-delimited string', () => {
  assert.deepEqual(encodeHealthCheckRequest('web'), Buffer.from([0x0a, 3, 0x77, 0x65, 0x62]));
  const long = 'x'.repeat(200);
  const encoded = encodeHealthCheckRequest(long);
  assert.deepEqual(encoded.subarray(0, 3), Buffer.from([0x0a, 0xc8, 0x01]));
  assert.equal(encoded.length, 203);
});

test('a response status decodes from field 1; absent means UNKNOWN; unknown fields skipped', () => {
  assert.equal(decodeHealthCheckResponse(Buffer.from([0x08, 0x01])), 1);
  assert.equal(decodeHealthCheckResponse(Buffer.from([0x08, 0x02])), 2);
  assert.equal(decodeHealthCheckResponse(Buffer.alloc(0)), 0);
  assert.equal(decodeHealthCheckResponse(Buffer.from([0x12, 0x02, 0x61, 0x62, 0x08, 0x03])), 3);
  assert.throws(() => decodeHealthCheckResponse(Buffer.from([0x08])));
});

test('framing prefixes a zero flag and the big-endian length, and unframing reverses it', () => {
  const framed = frameGrpcMessage(Buffer.from([0x08, 0x01]));
  assert.deepEqual(framed, Buffer.from([0, 0, 0, 0, 2, 0x08, 0x01]));
  assert.deepEqual(unframeGrpcMessage(framed), Buffer.from([0x08, 0x01]));
  assert.equal(unframeGrpcMessage(framed.subarray(0, 6)), undefined);
});
