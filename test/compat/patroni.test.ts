// Patroni (Debian `patroni`, its Consul DCS over python-consul) managing two PostgreSQL
// instances through a Consulate dev agent: it elects a primary with a session lock on
// `service/<scope>/leader`, streams to the replica, and when the primary's Patroni is killed
// (and its PostgreSQL stopped, as a host crash would) the replica takes the lock once the
// session expires and is promoted; `patronictl list` shows it.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { EPHEMERAL_PORTS, httpCall, startAgent, type RunningAgent } from '../agent/spawn-agent';

const SCOPE = 'consulate-demo';
// PostgreSQL refuses to run as root: as root, Patroni and PostgreSQL run as `postgres`.
const asRoot = process.getuid?.() === 0;
const owner = asRoot
  ? {
      uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
      gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
    }
  : {};

interface Member {
  name: string;
  config: string;
  dataDir: string;
  restPort: number;
  patroni: ChildProcess | null;
  log: string;
}

let agent: RunningAgent;
let dir: string;
let binDir: string;
const members: Member[] = [];

function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((version) => existsSync(join(root, version, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  assert.ok(
    versions.length > 0,
    'no PostgreSQL under /usr/lib/postgresql (scripts/ensure-system-packages.sh installs it)',
  );
  return join(root, versions[0], 'bin');
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  server.close();
  return port;
}

async function member(name: string): Promise<Member> {
  const [pgPort, restPort] = [await freePort(), await freePort()];
  const home = join(dir, name);
  mkdirSync(home);
  const config = join(dir, `${name}.yml`);
  writeFileSync(
    config,
    `scope: ${SCOPE}
namespace: /service/
name: ${name}
restapi:
  listen: 127.0.0.1:${restPort}
  connect_address: 127.0.0.1:${restPort}
consul:
  host: ${agent.address}
  register_service: false
bootstrap:
  dcs:
    ttl: 20
    loop_wait: 2
    retry_timeout: 5
    maximum_lag_on_failover: 1048576
  initdb:
  - encoding: UTF8
  pg_hba:
  - local all all trust
  - host replication replicator 127.0.0.1/32 trust
  - host all all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:${pgPort}
  connect_address: 127.0.0.1:${pgPort}
  data_dir: ${join(home, 'data')}
  bin_dir: ${binDir}
  pgpass: ${join(home, 'pgpass')}
  authentication:
    replication: {username: replicator, password: rep}
    superuser: {username: postgres, password: pg}
  parameters:
    unix_socket_directories: ${home}
    shared_buffers: 16MB
    max_connections: 20
`,
  );
  chownTree();
  const created: Member = {
    name,
    config,
    dataDir: join(home, 'data'),
    restPort,
    patroni: null,
    log: '',
  };
  members.push(created);
  return created;
}

function chownTree(): void {
  if (!asRoot) return;
  const walk = (path: string): void => {
    chownSync(path, owner.uid as number, owner.gid as number);
    if (existsSync(path) && !path.endsWith('.yml')) {
      for (const entry of readdirSync(path, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(join(path, entry.name));
        else chownSync(join(path, entry.name), owner.uid as number, owner.gid as number);
      }
    }
  };
  walk(dir);
}

function startPatroni(m: Member): void {
  const child = spawn('/usr/bin/patroni', [m.config], {
    ...owner,
    cwd: dir,
    env: { PATH: '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (m.log += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (m.log += chunk));
  m.patroni = child;
}

/** Patroni's REST API: 200 on /primary for the leader, on /replica for a streaming replica. */
async function role(m: Member, path: '/primary' | '/replica'): Promise<boolean> {
  try {
    return (await httpCall(`http://127.0.0.1:${m.restPort}`, 'GET', path)).status === 200;
  } catch {
    return false;
  }
}

async function waitFor(condition: () => Promise<boolean>, what: string, m: Member): Promise<void> {
  const deadline = Date.now() + 150_000;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}\n${m.log.slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function stopPostgres(m: Member): void {
  if (!existsSync(join(m.dataDir, 'postmaster.pid'))) return;
  spawnSync(join(binDir, 'pg_ctl'), ['stop', '-m', 'immediate', '-D', m.dataDir], {
    ...owner,
    stdio: 'ignore',
  });
}

async function killPatroni(m: Member): Promise<void> {
  const child = m.patroni;
  m.patroni = null;
  if (child === null || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await once(child, 'exit');
}

before(async () => {
  binDir = postgresBinDir();
  dir = mkdtempSync(join(tmpdir(), 'consulate-patroni-'));
  agent = await startAgent(['-dev', ...EPHEMERAL_PORTS], 60_000);
});

after(async () => {
  for (const m of members) {
    await killPatroni(m);
    stopPostgres(m);
  }
  await agent?.stop('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

test('Patroni elects a primary through Consulate and fails over when it dies', async () => {
  const first = await member('pg1');
  startPatroni(first);
  await waitFor(() => role(first, '/primary'), 'pg1 to bootstrap and lead', first);
  const leaderKey = await httpCall(agent.baseUrl, 'GET', `/v1/kv/service/${SCOPE}/leader`);
  assert.equal(leaderKey.status, 200);
  const held = JSON.parse(leaderKey.text) as { Session?: string; Value: string }[];
  assert.ok(held[0].Session, 'the leader key is held by a session');
  assert.equal(Buffer.from(held[0].Value, 'base64').toString(), 'pg1');

  const second = await member('pg2');
  startPatroni(second);
  await waitFor(() => role(second, '/replica'), 'pg2 to stream from pg1', second);

  // A host crash: Patroni killed, PostgreSQL gone with it.
  await killPatroni(first);
  stopPostgres(first);
  await waitFor(() => role(second, '/primary'), 'pg2 to be promoted', second);
  const list = spawnSync('/usr/bin/patronictl', ['-c', second.config, 'list'], {
    ...owner,
    cwd: dir,
    env: { PATH: '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8' },
    encoding: 'utf8',
  });
  assert.equal(list.status, 0, list.stderr);
  assert.match(list.stdout, /\|\s*pg2\s*\|[^\n]*\|\s*Leader\s*\|\s*running/);
  const now = JSON.parse(
    (await httpCall(agent.baseUrl, 'GET', `/v1/kv/service/${SCOPE}/leader`)).text,
  ) as { Value: string }[];
  assert.equal(Buffer.from(now[0].Value, 'base64').toString(), 'pg2');
});
