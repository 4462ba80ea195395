// The two messages of grpc.health.v1 in protobuf wire format, and gRPC's length-prefixed framing.
//   message HealthCheckRequest  { string service = 1; }
//   message HealthCheckResponse { ServingStatus status = 1; }
//   enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }

export const SERVING_STATUS_NAMES = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

/** gRPC status codes by number, named as grpc-go prints them. */
export const GRPC_CODE_NAMES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
];

function encodeVarint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

function decodeVarint(buf: Buffer, offset: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let i = offset; i < buf.length && i < offset + 10; i++) {
    value += (buf[i] & 0x7f) * scale;
    if ((buf[i] & 0x80) === 0) return { value, next: i + 1 };
    scale *= 128;
  }
  throw new Error('truncated varint');
}

/** HealthCheckRequest{service}: an empty service is the empty message. */
export function encodeHealthCheckRequest(service: string): Buffer {
  if (service === '') return Buffer.alloc(0);
  const text = Buffer.from(service, 'utf8');
  return Buffer.concat([Buffer.from([0x0a]), encodeVarint(text.length), text]);
}

/** HealthCheckResponse.status; unknown fields are skipped, absent status is UNKNOWN (0). */
export function decodeHealthCheckResponse(message: Buffer): number {
  let status = 0;
  let offset = 0;
  while (offset < message.length) {
    const key = decodeVarint(message, offset);
    offset = key.next;
    const field = Math.floor(key.value / 8);
    const wireType = key.value & 7;
    if (wireType === 0) {
      const v = decodeVarint(message, offset);
      offset = v.next;
      if (field === 1) status = v.value;
    } else if (wireType === 2) {
      const len = decodeVarint(message, offset);
      offset = len.next + len.value;
    } else if (wireType === 1) offset += 8;
    else if (wireType === 5) offset += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
  }
  if (offset > message.length) throw new Error('truncated message');
  return status;
}

/** gRPC message framing: 1 byte compressed flag (0), 4 bytes big-endian length, message. */
export function frameGrpcMessage(message: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

/** The first message of a gRPC response body, or undefined if it is incomplete. */
export function unframeGrpcMessage(body: Buffer): Buffer | undefined {
  if (body.length < 5) return undefined;
  if (body[0] !== 0) throw new Error('compressed gRPC messages are not supported');
  const length = body.readUInt32BE(1);
  if (body.length < 5 + length) return undefined;
  return body.subarray(5, 5 + length);
}
