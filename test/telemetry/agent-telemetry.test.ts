// The agent's telemetry over HTTP: /v1/agent/metrics in both formats, a real Prometheus (Debian's
// package) scraping it, and /v1/agent/monitor streaming the log at the level asked for.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import pino from 'pino';

import { loadAgentConfig, parseAgentArgs } from '../../src/config';
import { startServerAgent, type ServerAgent } from '../../src/server';
import { LogHub } from '../../src/telemetry';
import { freePort, waitFor } from '../cluster-net/support';
import { EPHEMERAL_PORTS } from '../agent/spawn-agent';

async function devAgent(
  hcl: string,
  hub?: LogHub,
): Promise<{ agent: ServerAgent; base: string; logger: pino.Logger }> {
  const args = ['-dev', ...EPHEMERAL_PORTS];
  const { config } = loadAgentConfig(parseAgentArgs([...args, '-hcl', hcl]));
  const logger = pino(
    { level: 'debug', base: undefined },
    { write: (line: string) => hub?.publish(line) },
  );
  const agent = await startServerAgent(config, logger, { logHub: hub });
  return { agent, base: `http://${agent.httpAddresses[0]}`, logger };
}

test('/v1/agent/metrics answers JSON always and Prometheus text only with a retention time', async (t) => {
  const plain = await devAgent('telemetry { disable_hostname = true }');
  t.after(() => plain.agent.shutdown());
  await fetch(`${plain.base}/v1/kv/m`, { method: 'PUT', body: 'x' });
  const json = (await (await fetch(`${plain.base}/v1/agent/metrics`)).json()) as Record<
    string,
    unknown
  >;
  assert.deepEqual(Object.keys(json), ['Timestamp', 'Gauges', 'Points', 'Counters', 'Samples']);
  assert.match(String(json.Timestamp), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC$/);
  const refused = await fetch(`${plain.base}/v1/agent/metrics?format=prometheus`);
  assert.equal(refused.status, 415);
  assert.equal(
    await refused.text(),
    'Prometheus is not enabled since its retention time is not positive',
  );

  const scraped = await devAgent('telemetry { prometheus_retention_time = "60s" }');
  t.after(() => scraped.agent.shutdown());
  await fetch(`${scraped.base}/v1/kv/m`, { method: 'PUT', body: 'x' });
  const text = await (await fetch(`${scraped.base}/v1/agent/metrics?format=prometheus`)).text();
  assert.match(text, /^consul_raft_apply \d+$/m);
  assert.match(text, /^consul_kvs_apply_count \d+$/m);
  assert.match(text, /^consul_api_http_count\{method="PUT",path="v1_kv_"\} \d+$/m);
  assert.match(text, /^consul_raft_state_leader \d+$/m);
});

test('the Prometheus server from Debian scrapes the agent and answers consul_raft_apply and consul_api_http', async (t) => {
  const { agent, base } = await devAgent(
    'telemetry { prometheus_retention_time = "60s" disable_hostname = true }',
  );
  t.after(() => agent.shutdown());
  await fetch(`${base}/v1/kv/p`, { method: 'PUT', body: 'y' });
  const dir = mkdtempSync(join(tmpdir(), 'consulate-prom-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort('127.0.0.1');
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      '  - job_name: consulate',
      '    metrics_path: /v1/agent/metrics',
      '    params: { format: [prometheus] }',
      `    static_configs: [ { targets: ["${agent.httpAddresses[0]}"] } ]`,
      '',
    ].join('\n'),
  );
  const prometheus = spawn(
    '/usr/bin/prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  t.after(async () => {
    if (prometheus.exitCode === null) {
      prometheus.kill('SIGTERM');
      await once(prometheus, 'exit');
    }
  });
  const query = async (expr: string): Promise<unknown[]> => {
    try {
      const response = await fetch(
        `http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(expr)}`,
      );
      const body = (await response.json()) as { data?: { result?: unknown[] } };
      return body.data?.result ?? [];
    } catch {
      return [];
    }
  };
  const apply = await waitFor(
    'consul_raft_apply in Prometheus',
    async () => {
      const result = await query('consul_raft_apply');
      return result.length > 0 ? result : undefined;
    },
    60_000,
  );
  assert.equal((apply[0] as { metric: { job: string } }).metric.job, 'consulate');
  const http = await waitFor(
    'consul_api_http in Prometheus',
    async () => {
      const result = await query('consul_api_http_count{path="v1_kv_"}');
      return result.length > 0 ? result : undefined;
    },
    30_000,
  );
  assert.equal((http[0] as { metric: { method: string } }).metric.method, 'PUT');
});

test('/v1/agent/monitor streams lines at the level asked for and stops when the client goes', async (t) => {
  const hub = new LogHub();
  const { agent, base, logger } = await devAgent('', hub);
  t.after(() => agent.shutdown());
  assert.equal((await fetch(`${base}/v1/agent/monitor?loglevel=loud`)).status, 400);
  let received = '';
  const req = request(`${base}/v1/agent/monitor?loglevel=warn`);
  const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    req.on('response', resolve).on('error', reject).end();
  });
  assert.equal(response.statusCode, 200);
  response.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
  await waitFor('the monitor to subscribe', () => hub.listeners === 1, 5000);
  logger.info({ module: 'test' }, 'quiet info line');
  logger.warn({ module: 'test', n: 1 }, 'loud warn line');
  await waitFor('the warn line', () => received.includes('loud warn line'), 5000);
  assert.match(received, /^\S+Z \[WARN\] {2}test: loud warn line: n=1$/m);
  assert.doesNotMatch(received, /quiet info line/);
  req.destroy();
  await waitFor('the monitor to unsubscribe', () => hub.listeners === 0, 5000);

  let json = '';
  const jreq = request(`${base}/v1/agent/monitor?loglevel=debug&logjson`);
  jreq.on('response', (res) => res.setEncoding('utf8').on('data', (c: string) => (json += c)));
  jreq.on('error', () => undefined).end();
  await waitFor('the JSON monitor to subscribe', () => hub.listeners === 1, 5000);
  logger.debug({ module: 'test' }, 'debug detail');
  await waitFor('the JSON line', () => json.includes('debug detail'), 5000);
  const parsed = JSON.parse(json.split('\n').find((l) => l.includes('debug detail')) ?? '{}');
  assert.equal(parsed['@level'], 'debug');
  assert.equal(parsed['@module'], 'test');
  jreq.destroy();
  await waitFor('the JSON monitor to unsubscribe', () => hub.listeners === 0, 5000);
});
