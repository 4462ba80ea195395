// One Raft server as a child process: RpcServer + TcpTransport + SqliteStorage + RecordingFsm,
// answering the methods of methods.ts. Spawned by multiprocess.test.ts and bench/raft-net.
// Usage: node raft-server.js '<json ServerSpec>'; prints "ready" once listening; exits when its
// stdin closes (the parent is gone) or on SIGTERM.
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { RaftNode, TcpTransport, type Membership } from '../../src/raft';
import { SqliteStorage } from '../../src/raft/storage';
import { RpcServer } from '../../src/rpc';
import { Load, Propose, Status } from './methods';
import { command, RecordingFsm } from './support';

export interface ServerSpec {
  id: string;
  host: string;
  port: number;
  dataDir: string;
  membership: Membership;
  tickMs: number;
  electionTicks: number;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]) as ServerSpec;
  const logger = pino({ level: process.env.RAFT_SERVER_LOG ?? 'warn' }, pino.destination(2));
  const server = new RpcServer({ host: spec.host, port: spec.port, logger });
  const storage = await SqliteStorage.open(spec.dataDir, { logger });
  const fsm = new RecordingFsm();
  const node = new RaftNode({
    id: spec.id,
    address: `${spec.host}:${spec.port}`,
    storage,
    fsm,
    transport: new TcpTransport({ server, logger }),
    bootstrap: spec.membership,
    tickMs: spec.tickMs,
    electionTicks: spec.electionTicks,
    logger,
  });

  server.methods.register(Propose, async ({ n, padding }) => {
    const { index, result } = await node.propose(command(n, padding));
    return { index, applied: Number(result) };
  });
  server.methods.register(Status, () => {
    const status = node.status();
    return {
      id: status.id,
      role: status.role,
      leaderId: status.leaderId,
      term: status.term,
      commitIndex: status.commitIndex,
      digest: fsm.digest(),
      restoredAt: fsm.restoredAt,
    };
  });
  server.methods.register(Load, async ({ concurrency, durationMs, padding }) => {
    const latenciesUs: number[] = [];
    const started = performance.now();
    const until = started + durationMs;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (performance.now() < until) {
        const t0 = performance.now();
        await node.propose(command(next++, padding));
        latenciesUs.push(Math.round((performance.now() - t0) * 1000));
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { proposals: latenciesUs.length, elapsedMs: performance.now() - started, latenciesUs };
  });

  await server.listen();
  await node.start();
  process.stdout.write('ready\n');

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await node.stop();
    await server.close();
    await storage.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.stdin.on('end', () => void stop());
  process.stdin.resume();
}

main().catch((err: unknown) => {
  process.stderr.write(`raft-server failed: ${String(err)}\n`);
  process.exit(1);
});
