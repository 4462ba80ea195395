// Our Serf and the real hashicorp/serf agent (built from Debian's sources) in one encrypted pool.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Serf, UserEvent } from '../../../src/gossip/serf';
import { SerfAgent, serfBinary } from './serf-agent';
import { addressOf, startNode, statusOf, waitFor } from './support';

const K1 = randomBytes(32);
const K2 = randomBytes(32);
const b64 = (k: Uint8Array): string => Buffer.from(k).toString('base64');
const dir = mkdtempSync(join(tmpdir(), 'serf-interop-'));

let s1: SerfAgent;
let s2: SerfAgent;
let o1: Serf;
let o2: Serf;
const ours: Serf[] = [];
const agents: SerfAgent[] = [];
const NAMES = ['s1', 's2', 'o1', 'o2'];

before(() => {
  serfBinary(); // build once, outside the per-test timeouts
});

after(async () => {
  for (const n of ours) await n.shutdown();
  for (const a of agents) await a.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test('serf agents and our nodes form one encrypted pool and each lists all four alive', async () => {
  s1 = SerfAgent.start({ name: 's1', ip: '127.0.77.1', key: b64(K1) });
  agents.push(s1);
  o1 = await startNode('o1', '127.0.77.11', { keys: [K1], keyringFile: join(dir, 'o1.keyring') });
  o2 = await startNode('o2', '127.0.77.12', { keys: [K1] });
  ours.push(o1, o2);
  await waitFor('s1 RPC', async () => (await s1.members()) !== null);
  assert.equal(await o1.join([s1.address], true), 1);
  assert.equal(await o2.join([addressOf(o1)], true), 1);
  s2 = SerfAgent.start({ name: 's2', ip: '127.0.77.2', key: b64(K1), join: [addressOf(o2)] });
  agents.push(s2);
  for (const o of ours) {
    await waitFor(`${o.localMember().name} sees four alive`, () =>
      NAMES.every((n) => statusOf(o, n) === 'alive'),
    );
  }
  for (const a of agents) {
    await waitFor(`${a.opts.name} sees four alive`, async () => {
      const ms = (await a.members()) ?? [];
      return NAMES.every((n) => ms.find((m) => m.name === n)?.status === 'alive');
    });
  }
  const seenBySerf = (await s1.members())?.find((m) => m.name === 'o1');
  assert.deepEqual(seenBySerf?.tags, { role: 'test' });
  assert.equal(o1.stats().encrypted, 'true');
});

test('coordinates ride on the acks both ways: serf estimates our nodes, ours estimate serf', async () => {
  // serf probes every member about once a second (lan profile); each ack of ours carries our
  // coordinate, which its `rtt` command then uses. Ours probe five times a second.
  await waitFor(
    's1 has a coordinate for o1',
    async () => /Estimated o1 <-> s1 rtt: [0-9.]+ ms/.test((await s1.cli(['rtt', 'o1'])).out),
    20_000,
  );
  // s1 probes its members in turn: o2's coordinate may come a probe round after o1's.
  let rtt = { status: 1, out: '' };
  await waitFor(
    's1 has a coordinate for o2 as well',
    async () => {
      rtt = await s1.cli(['rtt', 'o2', 'o1']);
      return rtt.status === 0;
    },
    20_000,
  );
  const ms = Number(/rtt: ([0-9.]+) ms/.exec(rtt.out)?.[1]);
  assert.ok(ms >= 0 && ms < 50, `serf's estimate between our nodes on loopback: ${rtt.out}`);
  await waitFor('o1 holds serf’s coordinates', () =>
    ['s1', 's2'].every((n) => o1.getCachedCoordinate(n) !== null),
  );
  const own = o1.getCoordinate();
  assert.ok(own !== null && own.Error < 1.5, 'o1 updated its coordinate from the acks');
  const s1Coord = o1.getCachedCoordinate('s1');
  assert.ok(s1Coord !== null && s1Coord.Vec.length === 8);
  assert.ok(s1Coord.Error < 1.5, 'serf’s coordinate moved too (it updates from its probes too)');
});

test('a serf user event reaches our nodes, and ours reaches serf’s event handler', async () => {
  const got: UserEvent[] = [];
  o2.onEvent((e) => {
    if (e.type === 'user') got.push(e);
  });
  assert.equal((await s1.cli(['event', 'from-serf', 'hello'])).status, 0);
  await waitFor('the serf event on o2', () => got.some((e) => e.name === 'from-serf'));
  assert.equal(new TextDecoder().decode(got.find((e) => e.name === 'from-serf')?.payload), 'hello');
  await o1.userEvent('from-ours', new TextEncoder().encode('world'), false);
  await waitFor('our event in s2’s handler', () => s2.userEvents().includes('from-ours world'));
});

test('queries cross both ways with acks, responses and relayed copies', async () => {
  for (const o of [o1, o2]) {
    const name = o.localMember().name;
    o.onEvent((e) => {
      if (e.type === 'query' && e.name === 'whoami')
        void e.respond(new TextEncoder().encode(`it is ${name}`));
    });
  }
  const out = await s1.cli([
    'query',
    '-format=json',
    '-relay-factor=2',
    '-timeout=3s',
    'whoami',
    '',
  ]);
  assert.equal(out.status, 0, out.out);
  const parsed = JSON.parse(out.out) as { Acks: string[]; Responses: Record<string, string> };
  assert.deepEqual([...parsed.Acks].sort(), [...NAMES].sort());
  assert.equal(parsed.Responses.o1, 'it is o1');
  assert.equal(parsed.Responses.o2, 'it is o2');
  const ours = await (
    await o1.query('_serf_ping', new Uint8Array(0), {
      requestAck: true,
      relayFactor: 2,
      timeoutMs: 2000,
    })
  ).collect();
  assert.deepEqual([...ours.acks].sort(), [...NAMES].sort());
});

test('a node with a different key is refused', async () => {
  const stranger = await startNode('o3', '127.0.77.13', { keys: [K2] });
  ours.push(stranger);
  await assert.rejects(stranger.join([s1.address], true));
  assert.equal(await s1.statusOf('o3'), undefined);
  await stranger.shutdown();
});

test('keys rotate across the mixed pool through our key manager and through `serf keys`', async () => {
  const install = await o1.keyManager().installKey(b64(K2));
  assert.equal(install.error, null, JSON.stringify(install.messages));
  assert.equal(install.numResp, 4);
  const listed = await o1.keyManager().listKeys();
  assert.deepEqual(listed.keys, { [b64(K1)]: 4, [b64(K2)]: 4 });
  assert.deepEqual(listed.primaryKeys, { [b64(K1)]: 4 });

  const use = await s1.cli(['keys', '-use', b64(K2)]);
  assert.equal(use.status, 0, use.out);
  await waitFor('o2 to use K2', () => Buffer.from(o2.keyring()?.getPrimaryKey() ?? []).equals(K2));
  const removeRefused = await o2.keyManager().removeKey(b64(K2));
  assert.match(
    removeRefused.error ?? '',
    /4\/4 nodes reported failure/,
    JSON.stringify(removeRefused),
  );
  assert.equal(removeRefused.messages.o1, 'Removing the primary key is not allowed');

  const remove = await s2.cli(['keys', '-remove', b64(K1)]);
  assert.equal(remove.status, 0, remove.out);
  const after = await o2.keyManager().listKeys();
  assert.deepEqual(after.keys, { [b64(K2)]: 4 });
  assert.deepEqual(after.primaryKeys, { [b64(K2)]: 4 });
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'o1.keyring'), 'utf8')), [b64(K2)]);
  const serfList = await s1.cli(['keys', '-list']);
  assert.match(serfList.out, new RegExp(b64(K2).replace(/[+/=]/g, '.')));
});

test('a killed serf agent is detected as failed by our nodes, and a vanished node of ours by serf', async () => {
  await s2.kill9();
  for (const o of ours.slice(0, 2)) {
    await waitFor(
      `${o.localMember().name} sees s2 failed`,
      () => statusOf(o, 's2') === 'failed',
      40_000,
    );
  }
  await o2.shutdown(); // no leave
  await waitFor('s1 sees o2 failed', async () => (await s1.statusOf('o2')) === 'failed', 40_000);
  await waitFor('o1 sees o2 failed', () => statusOf(o1, 'o2') === 'failed', 40_000);
});

test('a node of ours that leaves is listed as left by serf', async () => {
  await o1.leave();
  await waitFor('s1 sees o1 left', async () => (await s1.statusOf('o1')) === 'left', 20_000);
});

test('serf logged no error about our messages (acks with coordinates, queries, relays)', () => {
  // Expected errors: the refused primary-key removal above, and a stranger's wrong-key packets.
  const expected =
    /Removing the primary key is not allowed|No installed keys could decrypt|Failed to join/;
  for (const a of agents) {
    const errors = a.output
      .split('\n')
      .filter((l) => /\[ERR\] (serf|memberlist):/.test(l) && !expected.test(l));
    assert.deepEqual(errors, [], `${a.opts.name} logged errors`);
  }
});
