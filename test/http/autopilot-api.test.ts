// /v1/operator/autopilot on a dev agent: the configuration seeded from `autopilot {}` and stored
// through Raft, CAS updates, Consul's decode errors, and the health and state views.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { eventually, startTestAgent, type TestAgent } from './harness';

interface Configuration {
  CleanupDeadServers: boolean;
  LastContactThreshold: string;
  MaxTrailingLogs: number;
  MinQuorum: number;
  ServerStabilizationTime: string;
  CreateIndex: number;
  ModifyIndex: number;
}

describe('/v1/operator/autopilot', () => {
  let t: TestAgent;
  before(async () => {
    t = await startTestAgent(['-node', 'pilot'], (config) => ({
      ...config,
      prettyJson: false,
      autopilot: { ...config.autopilot, maxTrailingLogs: 99, lastContactThresholdMs: 1500 },
    }));
  });
  after(() => t.stop());

  async function configuration(): Promise<Configuration> {
    const result = await t.request('GET', '/v1/operator/autopilot/configuration');
    assert.equal(result.status, 200);
    return JSON.parse(result.text) as Configuration;
  }

  it("stores the agent's autopilot settings through Raft once the server leads", async () => {
    await eventually(() => t.agent.store.autopilotConfig() !== null, 'the seeded configuration');
    const config = await configuration();
    assert.deepEqual(config, {
      CleanupDeadServers: true,
      LastContactThreshold: '1.5s',
      MaxTrailingLogs: 99,
      MinQuorum: 0,
      ServerStabilizationTime: '10s',
      RedundancyZoneTag: '',
      DisableUpgradeMigration: false,
      UpgradeVersionTag: '',
      CreateIndex: config.ModifyIndex,
      ModifyIndex: config.ModifyIndex,
    });
    assert.ok(config.ModifyIndex > 0);
  });

  it('updates with ?cas only when the index matches, and always without it', async () => {
    await eventually(() => t.agent.store.autopilotConfig() !== null, 'the seeded configuration');
    const { ModifyIndex } = await configuration();
    const body = JSON.stringify({
      CleanupDeadServers: false,
      LastContactThreshold: '300ms',
      MaxTrailingLogs: 10,
      MinQuorum: 3,
      ServerStabilizationTime: 5_000_000_000,
    });
    const stale = await t.request(
      'PUT',
      `/v1/operator/autopilot/configuration?cas=${ModifyIndex + 100}`,
      { body },
    );
    assert.equal(stale.text, 'false');
    assert.equal((await configuration()).ModifyIndex, ModifyIndex);
    const matched = await t.request(
      'PUT',
      `/v1/operator/autopilot/configuration?cas=${ModifyIndex}`,
      { body },
    );
    assert.equal(matched.text, 'true');
    const updated = await configuration();
    assert.equal(updated.CleanupDeadServers, false);
    assert.equal(updated.LastContactThreshold, '300ms');
    assert.equal(updated.ServerStabilizationTime, '5s');
    assert.equal(updated.MinQuorum, 3);
    assert.ok(updated.ModifyIndex > ModifyIndex);
    assert.deepEqual(t.agent.autopilot.values(), {
      cleanupDeadServers: false,
      lastContactThresholdMs: 300,
      maxTrailingLogs: 10,
      minQuorum: 3,
      serverStabilizationTimeMs: 5000,
    });
    // Without ?cas: true, and fields left out are zero, as Consul decodes them.
    const plain = await t.request('PUT', '/v1/operator/autopilot/configuration', {
      body: '{"MaxTrailingLogs": 7}',
    });
    assert.equal(plain.text, 'true');
    const zeroed = await configuration();
    assert.equal(zeroed.MaxTrailingLogs, 7);
    assert.equal(zeroed.LastContactThreshold, '0s');
  });

  it("refuses bodies and cas values Consul refuses, with Consul's words", async () => {
    const cases: [string, string, string][] = [
      [
        '',
        '{"MaxTrailingLogs": -1}',
        'Error parsing autopilot config: json: cannot unmarshal number -1 into Go struct field AutopilotConfiguration.MaxTrailingLogs of type uint64',
      ],
      [
        '',
        '{"CleanupDeadServers": "yes"}',
        'Error parsing autopilot config: json: cannot unmarshal string into Go struct field AutopilotConfiguration.CleanupDeadServers of type bool',
      ],
      [
        '',
        '{"LastContactThreshold": "soon"}',
        'Error parsing autopilot config: time: invalid duration "soon"',
      ],
      ['', '{', 'Error parsing autopilot config: unexpected EOF'],
      ['?cas=x', '{}', 'Error parsing cas value: strconv.ParseUint: parsing "x": invalid syntax'],
    ];
    for (const [query, body, message] of cases) {
      const result = await t.request('PUT', `/v1/operator/autopilot/configuration${query}`, {
        body,
      });
      assert.equal(result.status, 400, body);
      assert.equal(result.text, message, body);
    }
  });

  it('reports the one server healthy in /health and as leader in /state', async () => {
    const health = await t.request('GET', '/v1/operator/autopilot/health');
    assert.equal(health.status, 200);
    const report = JSON.parse(health.text) as {
      Healthy: boolean;
      FailureTolerance: number;
      Servers: Record<string, unknown>[];
    };
    assert.equal(report.Healthy, true);
    assert.equal(report.FailureTolerance, 0);
    assert.equal(report.Servers.length, 1);
    const [server] = report.Servers;
    assert.equal(server.ID, t.agent.config.nodeId);
    assert.equal(server.Name, 'pilot');
    assert.equal(server.SerfStatus, 'alive');
    assert.equal(server.Leader, true);
    assert.equal(server.Voter, true);
    assert.equal(server.LastContact, '0s');
    assert.equal(server.LastTerm, t.agent.raft.status().term);
    assert.equal(typeof server.LastIndex, 'number');

    const state = await t.request('GET', '/v1/operator/autopilot/state');
    assert.equal(state.status, 200);
    const view = JSON.parse(state.text) as {
      Healthy: boolean;
      Leader: string;
      Voters: string[];
      Servers: Record<string, { Status: string; NodeType: string; Name: string }>;
    };
    const id = t.agent.config.nodeId;
    assert.equal(view.Healthy, true);
    assert.equal(view.Leader, id);
    assert.deepEqual(view.Voters, [id]);
    assert.equal(view.Servers[id].Status, 'leader');
    assert.equal(view.Servers[id].NodeType, 'voter');
    assert.equal(view.Servers[id].Name, 'pilot');
  });
});
