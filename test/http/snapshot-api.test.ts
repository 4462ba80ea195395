// /v1/snapshot on a dev agent: a save and restore round trip brings back keys, catalog and
// indexes; corrupt or foreign archives are refused with the reason and change nothing; a slow
// upload is not cut by the HTTP read deadline.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';

import { startTestAgent, type TestAgent } from './harness';

/** The archive's members, in order (a minimal reader; the product's own is under test). */
function members(archive: Buffer): [string, Buffer][] {
  const raw = gunzipSync(archive);
  const out: [string, Buffer][] = [];
  for (let at = 0; at + 512 <= raw.length;) {
    const header = raw.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const name = header.subarray(0, 100).toString().replace(/\0.*$/s, '');
    const size = parseInt(header.subarray(124, 136).toString().replace(/\0.*$/s, ''), 8);
    out.push([name, raw.subarray(at + 512, at + 512 + size)]);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

function tarGz(files: [string, Buffer][]): Buffer {
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
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

/** Re-packs an archive with state.bin replaced and SHA256SUMS recomputed (a valid archive). */
function withState(archive: Buffer, state: Buffer): Buffer {
  const files = new Map(members(archive));
  const meta = JSON.parse(files.get('meta.json')?.toString() ?? '{}') as Record<string, unknown>;
  meta.Size = state.length;
  const metaJson = Buffer.from(JSON.stringify(meta));
  const hex = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
  const sums = Buffer.from(`${hex(metaJson)}  meta.json\n${hex(state)}  state.bin\n`);
  return tarGz([
    ['meta.json', metaJson],
    ['state.bin', state],
    ['SHA256SUMS', sums],
  ]);
}

/** What a client sees of the state: bodies and X-Consul-Index of a few reads. */
async function observe(t: TestAgent): Promise<string[]> {
  const out: string[] = [];
  for (const path of [
    '/v1/kv/?recurse',
    '/v1/kv/app/one',
    '/v1/catalog/nodes',
    '/v1/catalog/service/web',
    '/v1/health/service/web',
  ]) {
    const result = await t.request('GET', path);
    out.push(`${path} ${result.status} ${String(result.headers['x-consul-index'])} ${result.text}`);
  }
  return out;
}

describe('/v1/snapshot', () => {
  let t: TestAgent;
  before(async () => {
    t = await startTestAgent(['-node', 'snap-node'], (config) => ({
      ...config,
      prettyJson: false,
      limits: { ...config.limits, httpReadTimeoutMs: 300 },
    }));
    for (const [key, value] of [
      ['app/one', '1'],
      ['app/two', '2'],
      ['gone', 'x'],
    ]) {
      assert.equal((await t.request('PUT', `/v1/kv/${key}`, { body: value })).status, 200);
    }
    await t.request('DELETE', '/v1/kv/gone');
    const registration = {
      Node: 'db-1',
      Address: '10.0.0.5',
      Service: { ID: 'web-1', Service: 'web', Port: 80, Tags: ['v1'] },
      Check: { CheckID: 'web-alive', Name: 'web', ServiceID: 'web-1', Status: 'passing' },
    };
    const registered = await t.request('PUT', '/v1/catalog/register', {
      body: JSON.stringify(registration),
    });
    assert.equal(registered.status, 200);
  });
  after(() => t.stop());

  async function save(): Promise<{ archive: Buffer; index: number }> {
    const saved = await t.request('GET', '/v1/snapshot');
    assert.equal(saved.status, 200);
    assert.equal(saved.headers['content-type'], 'application/x-gzip');
    return { archive: saved.raw, index: Number(saved.headers['x-consul-index']) };
  }

  it('restores keys, catalog and indexes as they were saved, and wakes blocking queries', async () => {
    const before = await observe(t);
    const { archive, index } = await save();
    assert.equal(index, t.agent.store.lastIndex());
    const meta = JSON.parse(new Map(members(archive)).get('meta.json')?.toString() ?? '') as {
      Index: number;
      Size: number;
    };
    assert.equal(meta.Index, index);

    await t.request('PUT', '/v1/kv/app/one', { body: 'changed' });
    await t.request('PUT', '/v1/kv/later', { body: 'new' });
    await t.request('PUT', '/v1/catalog/deregister', { body: JSON.stringify({ Node: 'db-1' }) });
    assert.notDeepEqual(await observe(t), before);

    const current = Number((await t.request('GET', '/v1/kv/app/two')).headers['x-consul-index']);
    const blocked = t.request('GET', `/v1/kv/app/two?index=${current}&wait=60s`);
    const restored = await t.request('PUT', '/v1/snapshot', { body: archive });
    assert.equal(restored.status, 200, restored.text);
    assert.equal(restored.text, '');
    assert.equal((await blocked).status, 200);
    assert.deepEqual(await observe(t), before);
    assert.equal((await t.request('GET', '/v1/kv/later')).status, 404);
    // New writes go on from the Raft index, past everything the snapshot held.
    await t.request('PUT', '/v1/kv/after', { body: 'x' });
    const after = await t.request('GET', '/v1/kv/after');
    assert.ok(Number(after.headers['x-consul-index']) > index);
  });

  it('refuses corrupt, truncated, tampered and foreign archives, changing nothing', async () => {
    const { archive } = await save();
    const files = members(archive);
    const state = files[1][1];
    const cases: [string, Buffer, string][] = [
      ['not gzip', Buffer.from('hello'), 'failed to decompress snapshot: gzip: invalid header'],
      [
        'truncated',
        gzipSync(gunzipSync(archive).subarray(0, 1000)),
        'failed to read snapshot file: failed reading snapshot: unexpected EOF',
      ],
      [
        'tampered state',
        tarGz([files[0], ['state.bin', Buffer.concat([state, Buffer.from('!')])], files[2]]),
        'failed to read snapshot file: failed checking integrity of snapshot: hash check failed for "state.bin"',
      ],
      [
        'extra file',
        tarGz([...files, ['notes.txt', Buffer.from('hi')]]),
        'failed to read snapshot file: unexpected file "notes.txt" in snapshot',
      ],
      [
        "Consul's FSM format",
        withState(archive, Buffer.from([0x01, 0x82, 0xa1, 0x61])),
        'failed to restore snapshot: state.bin is not a Consulate state snapshot (snapshots of Consul servers use its own FSM format and cannot be restored)',
      ],
    ];
    const before = await observe(t);
    const lastLog = t.agent.raft.status().lastLogIndex;
    for (const [what, body, message] of cases) {
      const result = await t.request('PUT', '/v1/snapshot', { body });
      assert.equal(result.status, 500, what);
      assert.equal(result.text, message, what);
    }
    assert.equal(t.agent.raft.status().lastLogIndex, lastLog, 'nothing went through Raft');
    // A state that passes every check but does not decode is staged, then refused by the FSM.
    const garbage = Buffer.concat([Buffer.from('CSNP\u0002'), Buffer.from([0xc1, 0xc1])]);
    const refused = await t.request('PUT', '/v1/snapshot', { body: withState(archive, garbage) });
    assert.equal(refused.status, 500);
    assert.match(refused.text, /^failed to restore snapshot: snapshot body is not valid msgpack/);
    assert.deepEqual(await observe(t), before);
    assert.equal(t.agent.store.restoring(), null);
  });

  it('takes an upload slower than the HTTP read deadline, which still cuts other requests', async () => {
    const { archive } = await save();
    const slow = (path: string, body: Buffer): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = httpRequest(
          { host: t.host, port: t.port, method: 'PUT', path, agent: false },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.write(body.subarray(0, 10));
        // Longer than the 300 ms deadline plus Node's 500 ms check interval.
        const timer = setTimeout(() => req.end(body.subarray(10)), 1200);
        req.on('close', () => clearTimeout(timer));
      });
    assert.equal(await slow('/v1/snapshot', archive), 200);
    assert.equal(await slow('/v1/kv/slow', Buffer.from('a slow value')), 408);
  });

  it('honours ?dc and answers ?stale from this server', async () => {
    const other = await t.request('GET', '/v1/snapshot?dc=elsewhere');
    assert.equal(other.status, 500);
    assert.equal(other.text, 'No path to datacenter');
    const stale = await t.request('GET', '/v1/snapshot?stale');
    assert.equal(stale.status, 200);
    assert.deepEqual(
      members(stale.raw).map(([name]) => name),
      ['meta.json', 'state.bin', 'SHA256SUMS'],
    );
  });
});
