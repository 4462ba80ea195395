// The peers a bench measures the agent against, started as child processes on free ports.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { connectionAgent, httpRequest } from './http-requests';
import type { Target } from './loadgen-protocol';
import { freePorts, ServerProcess, shellQuote } from './server-process';

export interface Peer {
  name: string;
  server: ServerProcess;
  target: Target;
}

export interface EtcdPeer extends Peer {
  /** The JSON gateway's path prefix, `/v3` or (before etcd 3.4) `/v3beta`. */
  gateway: string;
  version: string;
}

const STARTUP_TIMEOUT_MS = 30_000;

/** A single-node etcd with its data (and fsynced WAL) in `workDir`/etcd. */
export async function startEtcd(workDir: string, binary = 'etcd'): Promise<EtcdPeer> {
  const [clientPort, peerPort] = await freePorts(2);
  const dataDir = path.join(workDir, 'etcd');
  mkdirSync(dataDir, { recursive: true });
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name=bench',
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=bench=${peer}`,
    '--log-level=warn',
  ];
  const server = new ServerProcess({
    name: 'etcd',
    command: [binary, ...args].map(shellQuote).join(' '),
    logFile: path.join(workDir, 'etcd.log'),
  });
  const target: Target = { host: '127.0.0.1', port: clientPort };
  const agent = connectionAgent();
  try {
    await server.waitUntil(
      'healthy',
      async () =>
        (await httpRequest(agent, target, { method: 'GET', path: '/health' })).body.includes(
          '"true"',
        ),
      STARTUP_TIMEOUT_MS,
    );
    const version = JSON.parse(
      (await httpRequest(agent, target, { method: 'GET', path: '/version' })).body,
    ) as { etcdserver?: string };
    let gateway = '/v3beta';
    const probe = { method: 'POST', path: '/v3/kv/range', body: '{"key":"AA=="}' } as const;
    if ((await httpRequest(agent, target, probe)).status === 200) gateway = '/v3';
    return { name: 'etcd', server, target, gateway, version: version.etcdserver ?? 'unknown' };
  } catch (error) {
    await server.stop();
    throw error;
  } finally {
    agent.destroy();
  }
}

/** A bare Fastify hello-world (`GET /` → small JSON) in its own process. */
export async function startFastifyHello(workDir: string): Promise<Peer> {
  const [port] = await freePorts(1);
  const entry = path.join(__dirname, 'fastify-hello.js');
  const server = new ServerProcess({
    name: 'fastify',
    command: [process.execPath, entry, String(port)].map(shellQuote).join(' '),
    logFile: path.join(workDir, 'fastify.log'),
  });
  try {
    await server.waitForLine(/fastify listening on/, STARTUP_TIMEOUT_MS);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { name: 'fastify', server, target: { host: '127.0.0.1', port } };
}
