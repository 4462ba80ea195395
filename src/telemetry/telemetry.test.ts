import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { goTime } from './interval-sink';
import { LogHub } from './log-hub';
import { Telemetry } from './telemetry';

describe('Telemetry', () => {
  it('shows the last finished 10 s interval in Consul JSON shape, gauges carrying the host', () => {
    let now = Date.UTC(2024, 0, 2, 15, 4, 10, 500);
    const telemetry = new Telemetry({ now: () => now, hostname: 'box' });
    telemetry.incrCounter('raft.apply');
    telemetry.incrCounter('raft.apply', 2);
    telemetry.addSample('api.http', 4, { method: 'GET', path: 'v1_kv_' });
    telemetry.addSample('api.http', 8, { method: 'GET', path: 'v1_kv_' });
    telemetry.setGauge('runtime.alloc_bytes', 1024);
    const only = telemetry.json();
    assert.equal(only.Timestamp, '2024-01-02 15:04:10 +0000 UTC');
    assert.deepEqual(only.Gauges, [
      { Name: 'consul.box.runtime.alloc_bytes', Value: 1024, Labels: {} },
    ]);
    assert.deepEqual(only.Counters[0], {
      Name: 'consul.raft.apply',
      Count: 2,
      Rate: 0.3,
      Sum: 3,
      Min: 1,
      Max: 2,
      Mean: 1.5,
      Stddev: Math.SQRT1_2,
      Labels: {},
    });
    assert.equal(only.Samples[0].Name, 'consul.api.http');
    assert.deepEqual(only.Samples[0].Labels, { method: 'GET', path: 'v1_kv_' });
    assert.equal(only.Samples[0].Mean, 6);
    now += 10_000;
    telemetry.incrCounter('raft.apply');
    const shown = telemetry.json();
    assert.equal(shown.Timestamp, '2024-01-02 15:04:10 +0000 UTC', 'the finished interval');
    assert.equal(shown.Counters[0].Count, 2);
  });

  it('answers Prometheus only with a positive retention, and drops series older than it', async () => {
    let now = 1_000_000;
    const telemetry = new Telemetry({ now: () => now, hostname: 'box' });
    telemetry.incrCounter('raft.apply');
    assert.equal(await telemetry.prometheusText(), null);
    telemetry.configure({ prefix: 'consul', disableHostname: true, prometheusRetentionMs: 60_000 });
    telemetry.incrCounter('raft.apply');
    telemetry.setGauge('autopilot.healthy', 1);
    telemetry.addSample('api.http', 3, { method: 'PUT', path: 'v1_kv_' });
    const text = (await telemetry.prometheusText())?.body ?? '';
    assert.match(text, /^consul_raft_apply 2$/m);
    assert.match(text, /^consul_autopilot_healthy 1$/m);
    assert.match(text, /^consul_api_http\{quantile="0.99",method="PUT",path="v1_kv_"\} 3$/m);
    assert.match(text, /^consul_api_http_count\{method="PUT",path="v1_kv_"\} 1$/m);
    assert.match(text, /^process_cpu_user_seconds_total /m);
    now += 61_000;
    const later = (await telemetry.prometheusText())?.body ?? '';
    assert.doesNotMatch(later, /^consul_raft_apply /m);
  });

  it('formats Go time strings at whole seconds in UTC', () => {
    assert.equal(goTime(Date.UTC(2024, 0, 2, 3, 4, 5, 999)), '2024-01-02 03:04:05 +0000 UTC');
  });
});

describe('LogHub', () => {
  const line = (level: number, msg: string): string =>
    JSON.stringify({ level, time: Date.UTC(2024, 0, 2), module: 'raft', msg, term: 3 });

  it('gives each subscriber the lines at or above its level, in its format', () => {
    const hub = new LogHub();
    const warn = hub.subscribe('warn', false);
    const debug = hub.subscribe('debug', true);
    hub.publish(line(30, 'elected'));
    hub.publish(line(40, 'slow disk'));
    assert.deepEqual(warn.take().lines, [
      '2024-01-02T00:00:00.000Z [WARN]  raft: slow disk: term=3\n',
    ]);
    const json = debug.take().lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(json[0], {
      '@level': 'info',
      '@message': 'elected',
      '@module': 'raft',
      '@timestamp': '2024-01-02T00:00:00.000Z',
      term: 3,
    });
    assert.equal(json.length, 2);
  });

  it('keeps at most 512 lines per subscriber and counts the dropped ones', () => {
    const hub = new LogHub();
    const sub = hub.subscribe('info', false);
    for (let i = 0; i < 600; i += 1) hub.publish(line(30, `m${i}`));
    const { lines, dropped } = sub.take();
    assert.equal(lines.length, 512);
    assert.equal(dropped, 88);
    sub.close();
    assert.equal(hub.listeners, 0);
  });
});
