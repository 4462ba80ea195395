// A 3-member etcd cluster on 127.0.0.1 (Debian etcd-server), each member fsyncing its own WAL.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  connectionAgent,
  freePorts,
  httpRequest,
  ServerProcess,
  shellQuote,
  type Target,
} from '../lib';

export interface EtcdCluster {
  members: ServerProcess[];
  targets: Target[];
  version: string;
  stop(): Promise<void>;
}

export async function startEtcdCluster(workDir: string, size = 3): Promise<EtcdCluster> {
  const ports = await freePorts(size * 2);
  const names = Array.from({ length: size }, (_, i) => `e${i + 1}`);
  const peerUrl = (i: number): string => `http://127.0.0.1:${ports[size + i]}`;
  const clientUrl = (i: number): string => `http://127.0.0.1:${ports[i]}`;
  const initialCluster = names.map((name, i) => `${name}=${peerUrl(i)}`).join(',');
  const members = names.map((name, i) => {
    const dataDir = path.join(workDir, name);
    mkdirSync(dataDir, { recursive: true });
    const args = [
      `--name=${name}`,
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${clientUrl(i)}`,
      `--advertise-client-urls=${clientUrl(i)}`,
      `--listen-peer-urls=${peerUrl(i)}`,
      `--initial-advertise-peer-urls=${peerUrl(i)}`,
      `--initial-cluster=${initialCluster}`,
      '--initial-cluster-state=new',
      '--initial-cluster-token=raft-net-bench',
      '--log-level=warn',
    ];
    return new ServerProcess({
      name,
      command: ['etcd', ...args].map(shellQuote).join(' '),
      logFile: path.join(workDir, `${name}.log`),
    });
  });
  const targets = names.map((_, i) => ({ host: '127.0.0.1', port: ports[i] }));
  const stop = async (): Promise<void> => {
    await Promise.all(members.map((m) => m.stop()));
  };
  const agent = connectionAgent();
  try {
    for (const [i, member] of members.entries()) {
      await member.waitUntil(
        'healthy',
        async () =>
          (await httpRequest(agent, targets[i], { method: 'GET', path: '/health' })).body.includes(
            '"true"',
          ),
        30_000,
      );
    }
    const version = JSON.parse(
      (await httpRequest(agent, targets[0], { method: 'GET', path: '/version' })).body,
    ) as { etcdserver?: string };
    return { members, targets, version: version.etcdserver ?? 'unknown', stop };
  } catch (error) {
    await stop();
    throw error;
  } finally {
    agent.destroy();
  }
}
