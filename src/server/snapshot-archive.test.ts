import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';

import {
  archiveMeta,
  readArchive,
  SnapshotArchiveError,
  writeArchive,
  type ArchiveContents,
} from './snapshot-archive';

const MEMBERSHIP = { servers: [{ id: 'a', address: '127.0.0.1:8300', voter: true }] };

async function archiveOf(state: Uint8Array): Promise<Buffer> {
  const meta = archiveMeta(42, 3, MEMBERSHIP, 1, state.length);
  const chunks: Buffer[] = [];
  for await (const chunk of writeArchive(meta, state)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function read(archive: Buffer): Promise<{ contents: ArchiveContents; state: Buffer }> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  // Delivered in small pieces, as a network upload would be.
  const pieces = [];
  for (let i = 0; i < archive.length; i += 1000) pieces.push(archive.subarray(i, i + 1000));
  const contents = await readArchive(Readable.from(pieces), sink);
  return { contents, state: Buffer.concat(chunks) };
}

/** A tar holding `files` in order, as Go's archive/tar (or GNU tar) writes one. */
function tar(files: [string, Buffer][]): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, data] of files) {
    const header = Buffer.alloc(512);
    header.write(name, 0);
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
    header.write('00000000000\0', 136);
    header.write('        ', 148);
    header.write('0', 156);
    header.write('ustar\x0000', 257, 'binary');
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

function sums(files: [string, Buffer][]): Buffer {
  return Buffer.from(
    files
      .map(([name, data]) => `${createHash('sha256').update(data).digest('hex')}  ${name}\n`)
      .join(''),
  );
}

function members(archive: Buffer): Map<string, Buffer> {
  const raw = gunzipSync(archive);
  const out = new Map<string, Buffer>();
  for (let at = 0; at + 512 <= raw.length;) {
    const header = raw.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const name = header.subarray(0, 100).toString().replace(/\0.*$/s, '');
    const size = parseInt(header.subarray(124, 136).toString().replace(/\0.*$/s, ''), 8);
    out.set(name, raw.subarray(at + 512, at + 512 + size));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

describe('snapshot archive', () => {
  it('holds meta.json, state.bin and SHA256SUMS and reads back what was written', async () => {
    const state = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    const archive = await archiveOf(state);
    assert.deepEqual([...members(archive).keys()], ['meta.json', 'state.bin', 'SHA256SUMS']);
    const { contents, state: back } = await read(archive);
    assert.ok(back.equals(state));
    assert.equal(contents.stateSize, state.length);
    assert.equal(contents.meta.Index, 42);
    assert.equal(contents.meta.Term, 3);
    assert.equal(contents.meta.Size, state.length);
    assert.deepEqual(contents.meta.Configuration.Servers, [
      { Suffrage: 0, ID: 'a', Address: '127.0.0.1:8300' },
    ]);
    assert.equal(contents.stateSha256, createHash('sha256').update(state).digest('hex'));
  });

  it('refuses what is not gzip, and a truncated archive', async () => {
    await assert.rejects(read(Buffer.from('not a snapshot')), {
      name: 'SnapshotArchiveError',
      message: 'failed to decompress snapshot: gzip: invalid header',
    });
    const archive = await archiveOf(Buffer.alloc(100_000, 1));
    await assert.rejects(read(archive.subarray(0, archive.length - 40)), SnapshotArchiveError);
    const cut = gzipSync(gunzipSync(archive).subarray(0, 700));
    await assert.rejects(read(cut), {
      message: 'failed to read snapshot file: failed reading snapshot: unexpected EOF',
    });
  });

  it('refuses a state whose hash does not match SHA256SUMS', async () => {
    const files = members(await archiveOf(Buffer.from('state-bytes')));
    const tampered = tar([
      ['meta.json', files.get('meta.json') ?? Buffer.alloc(0)],
      ['state.bin', Buffer.from('state-byteZ')],
      ['SHA256SUMS', files.get('SHA256SUMS') ?? Buffer.alloc(0)],
    ]);
    await assert.rejects(read(gzipSync(tampered)), {
      message:
        'failed to read snapshot file: failed checking integrity of snapshot: hash check failed for "state.bin"',
    });
  });

  it('refuses an extra file, a missing checksum list and a corrupt tar header', async () => {
    const meta = Buffer.from(JSON.stringify(archiveMeta(1, 1, MEMBERSHIP, 1, 2)));
    const state = Buffer.from('ok');
    const good: [string, Buffer][] = [
      ['meta.json', meta],
      ['state.bin', state],
    ];
    await assert.rejects(
      read(gzipSync(tar([...good, ['SHA256SUMS', sums(good)], ['extra.txt', state]]))),
      { message: 'failed to read snapshot file: unexpected file "extra.txt" in snapshot' },
    );
    await assert.rejects(read(gzipSync(tar(good))), {
      message:
        'failed to read snapshot file: failed checking integrity of snapshot: file missing for "meta.json"',
    });
    const broken = tar([...good, ['SHA256SUMS', sums(good)]]);
    broken[130] ^= 1; // a size digit: the header checksum no longer matches
    await assert.rejects(read(gzipSync(broken)), {
      message:
        'failed to read snapshot file: failed reading snapshot: archive/tar: invalid tar header',
    });
    // The same files in a tar written by hand read back fine: the format is the plain one.
    const { state: back } = await read(gzipSync(tar([...good, ['SHA256SUMS', sums(good)]])));
    assert.equal(back.toString(), 'ok');
  });
});
