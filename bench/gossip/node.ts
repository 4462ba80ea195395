// One Consulate gossip member for bench:gossip: a Serf with Consul's LAN settings on --ip,
// joining --join, printing each member event as a JSON line {t, type, names} on stdout.
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { lanConfig, Serf } from '../../src/gossip';

function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
}

async function main(): Promise<void> {
  const name = option('name') ?? 'node';
  const ip = option('ip') ?? '127.0.0.1';
  const join = option('join');
  const ml = lanConfig();
  ml.bindAddr = ip;
  ml.bindPort = 7946;
  ml.advertiseAddr = ip;
  ml.advertisePort = 7946;
  ml.deadNodeReclaimTime = 30_000; // Consul sets 30 s on both pools
  const serf = await Serf.create({
    nodeName: name,
    // The tags a Consul client agent advertises.
    tags: {
      role: 'node',
      dc: 'dc1',
      segment: '',
      id: randomUUID(),
      vsn: '2',
      vsn_min: '2',
      vsn_max: '3',
      build: '1.9.0:',
    },
    memberlist: ml,
    rejoinAfterLeave: false,
    reconnectTimeoutMs: 72 * 3600_000,
    tombstoneTimeoutMs: 24 * 3600_000,
    eventBuffer: 512,
    userEventSizeLimit: 512,
    leavePropagateDelayMs: 3000,
    minQueueDepth: 4096,
    queueDepthWarning: 1_000_000,
    enableNameConflictResolution: false,
    logger: pino({ level: process.env.GOSSIP_BENCH_LOG ?? 'silent' }, pino.destination(2)),
  });
  serf.onEvent((e) => {
    if (e.type === 'user' || e.type === 'query') return;
    process.stdout.write(
      `${JSON.stringify({ t: Date.now(), type: e.type, names: e.members.map((m) => m.name) })}\n`,
    );
  });
  // Like Consul's retry-join: on a loaded machine the first push/pull may time out.
  for (let attempt = 1; join; attempt++) {
    try {
      await serf.join([join], true);
      break;
    } catch (err) {
      if (attempt >= 30) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  process.stdout.write(`${JSON.stringify({ t: Date.now(), type: 'ready', names: [] })}\n`);
  const stop = (): void => {
    void serf.shutdown().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench gossip node failed: ${(err as Error).message}\n`);
  process.exit(1);
});
