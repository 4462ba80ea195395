// The layers around messages on the wire (net.go): for UDP compression, CRC and encryption;
// for TCP streams compression and the length-prefixed encrypted frame, and the stream message
// reader that parses push/pull, pings, acks, user messages and errors incrementally.
import { encryptionEnabled, encryptionVersion, type MemberlistConfig } from './config';
import { lzwCompress, lzwDecompress } from './lzw';
import {
  addCrc,
  crc32,
  decodeAck,
  decodePing,
  MAX_PUSH_STATE_BYTES,
  MessageType,
  pushNodeStateBody,
  pushPullHeaderBody,
  readPushNodeState,
  readPushPullHeader,
  type AckResp,
  type Ping,
  type PushNodeState,
} from './messages';
import {
  asStruct,
  encodeMessage,
  fieldBytes,
  fieldString,
  fieldUint,
  MsgpackReader,
  MsgpackWriter,
  TruncatedError,
} from './msgpack';
import { decryptPayload, encryptedLength, encryptPayload } from './security';

export type StreamMessage =
  | { type: 'pushPull'; join: boolean; nodes: PushNodeState[]; userState: Uint8Array | null }
  | { type: 'ping'; ping: Ping }
  | { type: 'ack'; ack: AckResp }
  | { type: 'user'; msg: Uint8Array }
  | { type: 'err'; error: string }
  | { type: 'unknown'; code: number };

export function compressPayload(msg: Uint8Array): Uint8Array {
  return encodeMessage(MessageType.compress, { Algo: 0, Buf: lzwCompress(msg) });
}

export function encodePushPull(
  join: boolean,
  nodes: PushNodeState[],
  userState: Uint8Array | null,
): Uint8Array {
  const w = new MsgpackWriter(256 + nodes.length * 96 + (userState?.length ?? 0));
  w.byte(MessageType.pushPull);
  w.value(pushPullHeaderBody({ nodes: nodes.length, userStateLen: userState?.length ?? 0, join }));
  for (const n of nodes) w.value(pushNodeStateBody(n));
  if (userState !== null) w.raw(userState);
  return w.bytes();
}

export function encodeUserStream(msg: Uint8Array): Uint8Array {
  const w = new MsgpackWriter(msg.length + 32);
  w.byte(MessageType.user);
  w.value({ UserMsgLen: msg.length });
  w.raw(msg);
  return w.bytes();
}

export class WireCodec {
  constructor(private readonly config: MemberlistConfig) {}

  private sealing(): boolean {
    return encryptionEnabled(this.config) && this.config.gossipVerifyOutgoing;
  }

  /** UDP: compress (if smaller), CRC when the receiver speaks protocol 5, then seal. */
  encodePacket(msg: Uint8Array, pMax: number): Uint8Array {
    let out = msg;
    if (this.config.enableCompression) {
      const c = compressPayload(out);
      if (c.length < out.length) out = c;
    }
    if (pMax >= 5) out = addCrc(out);
    if (this.sealing()) {
      const key = this.config.keyring!.getPrimaryKey()!;
      out = encryptPayload(encryptionVersion(this.config), key, out, null);
    }
    return out;
  }

  /** UDP in: open the seal (or fall back to plaintext when not verifying), check the CRC. */
  decodePacket(buf: Uint8Array): Uint8Array {
    let plain = buf;
    if (encryptionEnabled(this.config)) {
      try {
        plain = decryptPayload(this.config.keyring!.getKeys(), buf, null);
      } catch (e) {
        if (this.config.gossipVerifyIncoming) {
          throw new Error(`Decrypt packet failed: ${e instanceof Error ? e.message : String(e)}`);
        }
        plain = buf;
      }
    }
    if (plain.length >= 5 && plain[0] === MessageType.hasCrc) {
      const expected = new DataView(plain.buffer, plain.byteOffset + 1, 4).getUint32(0);
      const rest = plain.subarray(5);
      const crc = crc32(rest);
      if (crc !== expected) {
        throw new Error(
          `Got invalid checksum for UDP packet: ${crc.toString(16)}, ${expected.toString(16)}`,
        );
      }
      plain = rest;
    }
    if (plain.length === 0) throw new Error('empty packet');
    return plain;
  }

  /** TCP: always compressed when enabled (even if bigger), then the encrypted frame. */
  encodeStream(plain: Uint8Array): Uint8Array {
    let out = plain;
    if (this.config.enableCompression) out = compressPayload(out);
    if (this.sealing()) {
      const version = encryptionVersion(this.config);
      const header = new Uint8Array(5);
      header[0] = MessageType.encrypt;
      new DataView(header.buffer).setUint32(1, encryptedLength(version, out.length));
      const sealed = encryptPayload(version, this.config.keyring!.getPrimaryKey()!, out, header);
      const framed = new Uint8Array(5 + sealed.length);
      framed.set(header);
      framed.set(sealed, 5);
      out = framed;
    }
    return out;
  }

  /**
   * Parses one stream message from what has arrived so far. Throws TruncatedError when more
   * bytes are needed, any other error when the stream is bad.
   */
  parseStream(buf: Uint8Array): StreamMessage {
    if (buf.length < 1) throw new TruncatedError();
    if (buf[0] === MessageType.encrypt) {
      if (!encryptionEnabled(this.config)) {
        throw new Error('Remote state is encrypted and encryption is not configured');
      }
      if (buf.length < 5) throw new TruncatedError();
      const len = new DataView(buf.buffer, buf.byteOffset + 1, 4).getUint32(0);
      if (len > MAX_PUSH_STATE_BYTES) {
        throw new Error(`Remote node state is larger than limit (${len})`);
      }
      if (buf.length < 5 + len) throw new TruncatedError();
      const plain = decryptPayload(
        this.config.keyring!.getKeys(),
        buf.subarray(5, 5 + len),
        buf.subarray(0, 5),
      );
      return complete(() => this.parseInner(plain));
    }
    if (encryptionEnabled(this.config) && this.config.gossipVerifyIncoming) {
      throw new Error('Encryption is configured but remote state is not encrypted');
    }
    if (buf.length > MAX_PUSH_STATE_BYTES)
      throw new Error('Remote node state is larger than limit');
    return this.parseInner(buf);
  }

  private parseInner(buf: Uint8Array): StreamMessage {
    if (buf.length < 1) throw new TruncatedError();
    if (buf[0] === MessageType.compress) {
      const r = new MsgpackReader(buf, 1);
      const c = asStruct(r.value(), 'compress');
      const algo = fieldUint(c, 'Algo');
      if (algo !== 0) throw new Error(`Cannot decompress unknown algorithm ${algo}`);
      const decomp = lzwDecompress(fieldBytes(c, 'Buf') ?? new Uint8Array(0));
      if (decomp.length === 0) throw new Error('empty decompressed stream');
      return complete(() => dispatch(decomp));
    }
    return dispatch(buf);
  }
}

/** A buffer that is all there will ever be: running out of it is an error, not a wait. */
function complete(parse: () => StreamMessage): StreamMessage {
  try {
    return parse();
  } catch (e) {
    if (e instanceof TruncatedError) throw new Error('unexpected EOF in stream message');
    throw e;
  }
}

function dispatch(buf: Uint8Array): StreamMessage {
  const type = buf[0];
  const r = new MsgpackReader(buf, 1);
  switch (type) {
    case MessageType.pushPull: {
      const header = readPushPullHeader(r);
      if (header.userStateLen > MAX_PUSH_STATE_BYTES) {
        throw new Error(`user state of ${header.userStateLen} bytes is larger than the limit`);
      }
      const nodes: PushNodeState[] = [];
      for (let i = 0; i < header.nodes; i++) nodes.push(readPushNodeState(r));
      const userState = header.userStateLen > 0 ? r.takeRaw(header.userStateLen) : null;
      return { type: 'pushPull', join: header.join, nodes, userState };
    }
    case MessageType.ping:
      return { type: 'ping', ping: decodePing(remaining(r)) };
    case MessageType.ackResp:
      return { type: 'ack', ack: decodeAck(remaining(r)) };
    case MessageType.user: {
      const h = asStruct(r.value(), 'user message header');
      const len = fieldUint(h, 'UserMsgLen');
      if (len > MAX_PUSH_STATE_BYTES) throw new Error('user message is larger than the limit');
      return { type: 'user', msg: len > 0 ? r.takeRaw(len) : new Uint8Array(0) };
    }
    case MessageType.err:
      return { type: 'err', error: fieldString(asStruct(r.value(), 'error'), 'Error') };
    default:
      return { type: 'unknown', code: type };
  }
}

function remaining(r: MsgpackReader): Uint8Array {
  // Decode once to be sure the value is complete (truncation means wait for more).
  const start = r.offset;
  r.value();
  return r.buf.subarray(start, r.offset);
}
