// The commands `consulate` dispatches to, each `(argv) => Promise<exit code>`. Each command's
// module is loaded only when it runs, so that `kv get` does not pay for Nest, Raft and SQLite.
import { VERSION } from './version';

export interface Command {
  synopsis: string;
  run(argv: readonly string[]): Promise<number>;
}

export const COMMANDS: Readonly<Record<string, Command>> = {
  acl: {
    synopsis: 'Interact with the ACL system',
    run: async (argv) => (await import('./acl')).runAcl(argv),
  },
  agent: {
    synopsis: 'Runs a Consulate agent',
    run: async (argv) => (await import('./agent')).runAgent(argv),
  },
  catalog: {
    synopsis: 'Interact with the catalog',
    run: async (argv) => (await import('./catalog')).runCatalog(argv),
  },
  'dev-cluster': {
    synopsis: 'Starts a local cluster of server and client agents in the foreground',
    run: async (argv) => (await import('./dev-cluster')).runDevCluster(argv),
  },
  event: {
    synopsis: 'Fire a new event',
    run: async (argv) => (await import('./gossip')).runEvent(argv),
  },
  'force-leave': {
    synopsis: 'Forces a member of the cluster to enter the "left" state',
    run: async (argv) => (await import('./gossip')).runForceLeave(argv),
  },
  join: {
    synopsis: 'Tell Consulate agent to join cluster',
    run: async (argv) => (await import('./gossip')).runJoin(argv),
  },
  keygen: {
    synopsis: 'Generates a new encryption key',
    run: async (argv) => (await import('./gossip')).runKeygen(argv),
  },
  keyring: {
    synopsis: 'Manages gossip layer encryption keys',
    run: async (argv) => (await import('./gossip')).runKeyring(argv),
  },
  leave: {
    synopsis: 'Gracefully leaves the Consulate cluster and shuts down',
    run: async (argv) => (await import('./gossip')).runLeave(argv),
  },
  members: {
    synopsis: 'Lists the members of a Consulate cluster',
    run: async (argv) => (await import('./gossip')).runMembers(argv),
  },
  info: {
    synopsis: 'Provides debugging information for operators',
    run: async (argv) => (await import('./info')).runInfo(argv),
  },
  kv: {
    synopsis: 'Interact with the key-value store',
    run: async (argv) => (await import('./kv')).runKv(argv),
  },
  render: {
    synopsis: 'Renders templates from KV, catalog and health data and keeps them current',
    run: async (argv) => (await import('./render')).runRender(argv),
  },
  lock: {
    synopsis: 'Execute a command holding a lock',
    run: async (argv) => (await import('./lock')).runLock(argv),
  },
  maint: {
    synopsis: 'Controls node or service maintenance mode',
    run: async (argv) => (await import('./maint')).runMaint(argv),
  },
  esm: {
    synopsis: 'Runs an external-service monitor worker (consul-esm) on the BullMQ queue',
    run: async (argv) => (await import('./esm')).runEsm(argv),
  },
  monitor: {
    synopsis: 'Stream logs from a Consulate agent',
    run: async (argv) => (await import('./monitor')).runMonitor(argv),
  },
  debug: {
    synopsis: 'Records a debugging archive for operators',
    run: async (argv) => (await import('./debug')).runDebug(argv),
  },
  operator: {
    synopsis: 'Provides cluster-level tools for Consulate operators',
    run: async (argv) => (await import('./operator')).runOperator(argv),
  },
  reload: {
    synopsis: 'Triggers the agent to reload configuration files',
    run: async (argv) => (await import('./reload')).runReload(argv),
  },
  rtt: {
    synopsis: 'Estimates network round trip time between nodes',
    run: async (argv) => (await import('./rtt')).runRtt(argv),
  },
  services: {
    synopsis: 'Interact with services',
    run: async (argv) => (await import('./services')).runServices(argv),
  },
  tls: {
    synopsis: 'Builtin helpers for creating CAs and certificates',
    run: async (argv) => (await import('./tls')).runTls(argv),
  },
  watch: {
    synopsis: 'Watch for changes in Consul',
    run: async (argv) => (await import('./watch')).runWatch(argv),
  },
  snapshot: {
    synopsis: 'Saves, restores and inspects snapshots of Consulate server state',
    run: async (argv) => (await import('./snapshot')).runSnapshot(argv),
  },
  version: {
    synopsis: 'Prints the Consulate version',
    run: async () => {
      const { versionText } = await import('./version');
      const { CONSUL_COMPAT_VERSION } = await import('../config');
      process.stdout.write(versionText(CONSUL_COMPAT_VERSION));
      return 0;
    },
  },
};

export { VERSION };
