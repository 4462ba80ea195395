// ACL bench: KV GET ops/s and p99 on one agent with ACLs off and one with ACLs on
// (default deny, the request's token linked to 50 policies of 20 rules each), same run, same
// load generator. Goal: ACLs on at most 10% slower.
// Run: npm run bench:acl -- [--seconds 10] [--concurrency 32]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  connectionAgent,
  fmt,
  httpRequest,
  killAllServers,
  LoadGenerator,
  markdownTable,
  type CellResult,
  type Target,
} from '../lib';
import { DEFAULT_AGENT_COMMAND, startAgent } from '../kv/agent';

const MANAGEMENT = '6b1c0f52-7d3e-4b8a-a0c6-1f2e3d4c5b6a';
const POLICIES = 50;
const RULES_PER_POLICY = 20;
const KEYS = 1000;

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

function log(message: string): void {
  process.stderr.write(`[bench:acl ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Policy i: 19 rules on prefixes nobody reads, one `key_prefix "bench/"` read in the last. */
function policyRules(i: number): string {
  const rules: string[] = [];
  for (let r = 0; r < RULES_PER_POLICY - 1; r++) {
    rules.push(`key_prefix "other/${i}/${r}/" { policy = "write" }`);
  }
  rules.push(
    i === POLICIES - 1
      ? 'key_prefix "bench/" { policy = "read" }'
      : `service_prefix "svc-${i}-" { policy = "read" }`,
  );
  return rules.join('\n');
}

/** Creates the 50 policies and a token linked to all of them; returns its secret. */
async function makeToken(target: Target): Promise<string> {
  const agent = connectionAgent();
  const call = async (method: 'PUT', requestPath: string, body: unknown): Promise<string> => {
    const reply = await httpRequest(agent, target, {
      method,
      path: requestPath,
      body: JSON.stringify(body),
      headers: { 'x-consul-token': MANAGEMENT },
    });
    if (reply.status !== 200) throw new Error(`${requestPath}: ${reply.status} ${reply.body}`);
    return reply.body;
  };
  try {
    const ids: string[] = [];
    for (let i = 0; i < POLICIES; i++) {
      const policy = JSON.parse(
        await call('PUT', '/v1/acl/policy', { Name: `bench-${i}`, Rules: policyRules(i) }),
      ) as { ID: string };
      ids.push(policy.ID);
    }
    const token = JSON.parse(
      await call('PUT', '/v1/acl/token', { Policies: ids.map((ID) => ({ ID })) }),
    ) as { SecretID: string };
    return token.SecretID;
  } finally {
    agent.destroy();
  }
}

async function main(): Promise<void> {
  const seconds = option('seconds', 10);
  const concurrency = option('concurrency', 32);
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'bench-acl-'));
  const loadgen = LoadGenerator.start(1, 65536);
  const rows: string[][] = [];
  try {
    const results: { name: string; cell: CellResult }[] = [];
    for (const aclOn of [false, true]) {
      const name = aclOn ? 'ACLs on (deny, 50×20 rules)' : 'ACLs off';
      // The default token is the management one, so that the readiness probe and the key
      // population (no token) pass; the measured reads carry the 50-policy token.
      const acl = aclOn
        ? ` -hcl 'acl { enabled = true default_policy = "deny" tokens { initial_management = "${MANAGEMENT}" default = "${MANAGEMENT}" } }'`
        : '';
      const dir = path.join(workDir, aclOn ? 'on' : 'off');
      const { server, target } = await startAgent(
        DEFAULT_AGENT_COMMAND + acl,
        path.join(dir, 'data'),
        path.join(workDir, `${aclOn ? 'on' : 'off'}.log`),
      );
      try {
        const token = aclOn ? await makeToken(target) : '';
        const keys = { prefix: 'bench/k', count: KEYS, valueBytes: 64 };
        await loadgen.closedLoop(
          {
            target,
            request: { method: 'PUT', path: '/v1/kv/{key}', body: '{value}' },
            keys,
            order: 'each-once',
            warmupMs: 0,
            durationMs: 0,
          },
          16,
          server.pids(),
        );
        const headers = aclOn ? { 'x-consul-token': token } : undefined;
        const cell = await loadgen.closedLoop(
          {
            target,
            request: { method: 'GET', path: '/v1/kv/{key}', headers },
            keys,
            order: 'random',
            warmupMs: 2000,
            durationMs: seconds * 1000,
          },
          concurrency,
          server.pids(),
        );
        if (cell.errors > 0) throw new Error(`${name}: ${cell.errorSamples.join('; ')}`);
        results.push({ name, cell });
        log(`${name}: ${Math.round(cell.opsPerSec)} ops/s, p99 ${fmt(cell.p99Ms, 2)} ms`);
      } finally {
        await server.stop();
      }
    }
    const base = results[0].cell;
    for (const { name, cell } of results) {
      rows.push([
        name,
        fmt(cell.opsPerSec, 0),
        fmt(cell.p50Ms, 2),
        fmt(cell.p99Ms, 2),
        fmt(cell.serverCpuMsPer1kOps, 1),
        `${fmt((cell.opsPerSec / base.opsPerSec) * 100, 1)}%`,
      ]);
    }
    process.stdout.write(
      `KV GET, ${concurrency} clients, ${seconds} s, ${KEYS} keys of 64 B\n\n` +
        markdownTable(
          ['agent', 'ops/s', 'p50 ms', 'p99 ms', 'server CPU ms / 1k ops', 'vs ACLs off'],
          rows,
        ) +
        '\n',
    );
  } finally {
    loadgen.stop();
    killAllServers();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
