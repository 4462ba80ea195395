import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEV_RAFT_BASE_TIMEOUTS, raftTiming } from './timing';

describe('raftTiming', () => {
  it("Consul's default multiplier 5 gives 5 s election and heartbeat timeouts and a 2.5 s lease", () => {
    const t = raftTiming(5);
    assert.equal(t.electionTimeoutMs, 5000);
    assert.equal(t.heartbeatTimeoutMs, 5000);
    assert.equal(t.leaderLeaseTimeoutMs, 2500);
    assert.equal(t.tickMs, 500, 'the leader heartbeats every HeartbeatTimeout/10');
    assert.equal(t.electionTicks * t.tickMs, 5000);
    assert.equal(t.heartbeatTicks, 1);
  });

  it('multiplier 1 is the fastest production timing', () => {
    const t = raftTiming(1);
    assert.deepEqual(
      [
        t.electionTimeoutMs,
        t.heartbeatTimeoutMs,
        t.leaderLeaseTimeoutMs,
        t.tickMs,
        t.electionTicks,
      ],
      [1000, 1000, 500, 100, 10],
    );
  });

  it("-dev's bases give 52/35/20 ms", () => {
    const t = raftTiming(1, DEV_RAFT_BASE_TIMEOUTS);
    assert.deepEqual(
      [t.electionTimeoutMs, t.heartbeatTimeoutMs, t.leaderLeaseTimeoutMs],
      [52, 35, 20],
    );
    assert.ok(t.heartbeatTicks < t.electionTicks);
  });

  it("a multiplier outside 1..10 is refused with Consul's message", () => {
    for (const bad of [0, -1, 11, 2.5]) {
      assert.throws(
        () => raftTiming(bad),
        new RangeError(`performance.raft_multiplier cannot be ${bad}. Must be between 1 and 10`),
      );
    }
  });
});
