// /v1/operator/raft on a single dev server, and `consulate operator raft list-peers` on it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startTestAgent, type TestAgent } from './harness';

const MAIN = join(__dirname, '..', '..', 'src', 'main.js');

describe('/v1/operator/raft', () => {
  let t: TestAgent;
  before(async () => {
    t = await startTestAgent(['-node', 'op-node']);
  });
  after(() => t.stop());

  it('lists the one server as leader and voter with its RPC address', async () => {
    const result = await t.request('GET', '/v1/operator/raft/configuration');
    assert.equal(result.status, 200);
    const body = JSON.parse(result.text) as {
      Servers: { ID: string; Node: string; Address: string; Leader: boolean; Voter: boolean }[];
      Index: number;
    };
    assert.equal(body.Servers.length, 1);
    const [server] = body.Servers;
    assert.equal(server.Node, 'op-node');
    assert.equal(server.ID, t.agent.config.nodeId);
    assert.equal(server.Leader, true);
    assert.equal(server.Voter, true);
    assert.match(server.Address, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(server.Address, '127.0.0.1:0');
    assert.ok(body.Index > 0);
    assert.equal(result.headers['x-consul-knownleader'], 'true');
  });

  it('refuses a peer removal without exactly one of ?id and ?address', async () => {
    const none = await t.request('DELETE', '/v1/operator/raft/peer');
    assert.equal(none.status, 400);
    assert.equal(
      none.text,
      "Must specify either ?id with the server's ID or ?address with IP:port of peer to remove",
    );
    const both = await t.request('DELETE', '/v1/operator/raft/peer?id=a&address=b:1');
    assert.equal(both.status, 400);
    assert.equal(both.text, 'Must specify only one of ?id or ?address');
    const unknown = await t.request('DELETE', '/v1/operator/raft/peer?id=nope');
    assert.equal(unknown.status, 500);
    assert.match(unknown.text, /"nope" was not found in the Raft configuration/);
  });

  // The agent runs in this process: the CLI must run beside it, not block it (no spawnSync).
  it('consulate operator raft list-peers prints the table', async () => {
    const result = await promisify(execFile)(process.execPath, [
      MAIN,
      'operator',
      'raft',
      'list-peers',
      '-http-addr',
      `${t.host}:${t.port}`,
    ]);
    const [header, row] = result.stdout.trim().split('\n');
    assert.match(header, /^Node\s+ID\s+Address\s+State\s+Voter\s+RaftProtocol\s+Commit Index/);
    assert.match(
      row,
      new RegExp(
        `^op-node\\s+${t.agent.config.nodeId}\\s+127\\.0\\.0\\.1:\\d+\\s+leader\\s+true\\s+3`,
      ),
    );
  });
});
