// `consulate dev-cluster`: a local cluster of real agent processes (servers with -bootstrap-expect,
// client agents joining them), each agent on its own 127.0.0.x address with Consul's ports (or
// ports derived from --base-port). Runs in the foreground; SIGINT/SIGTERM stops every child.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const USAGE = `Usage: consulate dev-cluster [options]

  Starts a local cluster of agent processes and runs until an interrupt is received.

Options:

  -servers=<n>        Number of server agents (default 3).
  -clients=<n>        Number of client agents (default 2).
  -datacenter=<name>  Datacenter of every agent (default dc1).
  -base-port=<port>   HTTP port of every agent (default 8500). DNS is base+100, server RPC
                      base-200, Serf LAN base-199, Serf WAN base-198.
  -first-address=<ip> Address of the first server; the others follow (default 127.0.0.1).
  -data-dir=<path>    Parent of every agent's data dir (default: a temporary dir, removed on exit).
`;

interface Options {
  servers: number;
  clients: number;
  datacenter: string;
  basePort: number;
  firstAddress: string;
  dataDir: string | undefined;
}

function parse(argv: readonly string[]): Options | string {
  const options: Options = {
    servers: 3,
    clients: 2,
    datacenter: 'dc1',
    basePort: 8500,
    firstAddress: '127.0.0.1',
    dataDir: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const match = /^--?([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (match === null) return `unexpected argument: ${argv[i]}`;
    const name = match[1];
    if (name === 'h' || name === 'help') return '';
    const value = match[2] ?? argv[++i];
    if (value === undefined) return `flag needs an argument: -${name}`;
    const count = (): number | string => {
      const n = Number(value);
      return Number.isInteger(n) && n >= 0 && n <= 50 ? n : `invalid value for -${name}: ${value}`;
    };
    if (name === 'servers' || name === 'clients') {
      const n = count();
      if (typeof n === 'string') return n;
      options[name] = n;
    } else if (name === 'datacenter') options.datacenter = value;
    else if (name === 'base-port') {
      const port = Number(value);
      if (!Number.isInteger(port) || port < 201 || port > 65435) {
        return `invalid value for -base-port: ${value}`;
      }
      options.basePort = port;
    } else if (name === 'first-address') {
      if (!/^127\.\d+\.\d+\.\d+$/.test(value)) return `-first-address must be a 127.x address`;
      options.firstAddress = value;
    } else if (name === 'data-dir') options.dataDir = value;
    else return `unknown flag: -${name}`;
  }
  if (options.servers < 1) return '-servers must be at least 1';
  return options;
}

function addressAt(first: string, offset: number): string {
  const parts = first.split('.').map(Number);
  const value = ((parts[1] << 16) | (parts[2] << 8) | parts[3]) + offset;
  return `127.${(value >> 16) & 255}.${(value >> 8) & 255}.${value & 255}`;
}

interface Child {
  name: string;
  ip: string;
  process: ChildProcess;
  output: string;
}

export async function runDevCluster(argv: readonly string[]): Promise<number> {
  const options = parse(argv);
  if (typeof options === 'string') {
    if (options !== '') process.stderr.write(`${options}\n`);
    process.stderr.write(USAGE);
    return options === '' ? 0 : 1;
  }
  const temporary = options.dataDir === undefined;
  const root = options.dataDir ?? mkdtempSync(join(tmpdir(), 'consulate-dev-cluster-'));
  const p = options.basePort;
  const ports = [
    `-http-port=${p}`,
    `-dns-port=${p + 100}`,
    `-server-port=${p - 200}`,
    `-serf-lan-port=${p - 199}`,
    `-serf-wan-port=${p - 198}`,
    '-grpc-port=-1',
    '-grpc-tls-port=-1',
  ];
  const serverIps = Array.from({ length: options.servers }, (_, i) =>
    addressAt(options.firstAddress, i),
  );
  const joins = serverIps.flatMap((ip) => ['-retry-join', `${ip}:${p - 199}`]);
  const children: Child[] = [];
  let stopping = false;
  let resolveDone: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));

  const start = (name: string, ip: string, extra: string[]): Child => {
    const dataDir = join(root, name);
    mkdirSync(dataDir, { recursive: true });
    const child = spawn(
      process.execPath,
      [
        ...process.execArgv,
        process.argv[1],
        'agent',
        `-node=${name}`,
        `-datacenter=${options.datacenter}`,
        `-bind=${ip}`,
        `-client=${ip}`,
        `-data-dir=${dataDir}`,
        '-retry-interval=1s',
        ...ports,
        ...joins,
        ...extra,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const entry: Child = { name, ip, process: child, output: '' };
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (entry.output += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (entry.output += chunk));
    child.on('exit', (code, signal) => {
      if (stopping) return;
      process.stderr.write(
        `==> ${name} exited (${signal ?? code}); stopping the cluster\n${entry.output.slice(-4000)}\n`,
      );
      void stop(1);
    });
    children.push(entry);
    return entry;
  };

  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('==> Stopping the dev cluster\n');
    const exits = children.map((child) =>
      child.process.exitCode !== null || child.process.signalCode !== null
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            child.process.once('exit', () => resolve());
            child.process.kill('SIGTERM');
            setTimeout(() => child.process.kill('SIGKILL'), 15_000).unref();
          }),
    );
    await Promise.all(exits);
    if (temporary) rmSync(root, { recursive: true, force: true });
    resolveDone(code);
  };

  const onSignal = (): void => void stop(0);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  serverIps.forEach((ip, i) =>
    start(`server-${i + 1}`, ip, ['-server', `-bootstrap-expect=${options.servers}`]),
  );
  for (let i = 0; i < options.clients; i++) {
    start(`client-${i + 1}`, addressAt(options.firstAddress, options.servers + i), []);
  }

  const ready = await Promise.race([
    Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            const check = (): void => {
              if (/HTTP API listening on/.test(child.output)) resolve();
              else if (!stopping) setTimeout(check, 100);
            };
            check();
          }),
      ),
    ).then(() => true),
    done.then(() => false),
  ]);
  if (ready) {
    const lines = ['==> Consulate dev cluster is running', ''];
    for (const child of children) {
      lines.push(
        `    ${child.name.padEnd(10)} HTTP: http://${child.ip}:${p}  DNS: ${child.ip}:${p + 100}`,
      );
    }
    const firstClient = children.find((child) => child.name.startsWith('client-')) ?? children[0];
    lines.push('', `    export CONSUL_HTTP_ADDR=http://${firstClient.ip}:${p}`);
    lines.push(`    Data: ${root}`, '', '==> Press Ctrl-C to stop every agent', '');
    process.stdout.write(lines.join('\n'));
  }
  const code = await done;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return code;
}
