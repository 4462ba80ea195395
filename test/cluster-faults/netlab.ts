// A small network of Linux network namespaces for the fault tests: one namespace per server,
// each with a veth into a bridge in the root namespace, where the test (the clients) runs.
// A link A→B is cut by pinning, in A's neighbour table, B's address to a MAC address nobody has:
// A's frames to B are flooded by the bridge and dropped by every receiver, silently (no RST, no
// ICMP, no local error), as on a real partition, while B→A still flows (a one-way cut). A TCP
// connection across a cut stalls either way, since its acknowledgements cannot come back, and
// resumes when the link heals. (Blackhole routes fail locally with EINVAL, and this kernel has no
// tc drop action, hence the neighbour trick.) Needs root (CAP_NET_ADMIN).
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Names carry our pid so that a crashed run's leftovers can be told from a live run's. */
const PREFIX = 'cf';
/** A locally administered unicast MAC address that no interface carries. */
const NOWHERE = '02:00:5e:ff:ff:01';

async function ip(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('ip', args);
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`ip ${args.join(' ')} failed: ${stderr.trim() || String(error)}`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Removes namespaces and bridges left by fault runs whose process is gone. */
async function sweepLeftovers(): Promise<void> {
  const namespaces = (await ip('netns', 'list'))
    .split('\n')
    .map((line) => line.split(' ')[0])
    .filter((name) => name.startsWith(PREFIX));
  for (const name of namespaces) {
    const pid = Number(/^cf(\d+)n/.exec(name)?.[1] ?? NaN);
    if (Number.isFinite(pid) && !alive(pid)) await ip('netns', 'del', name).catch(() => undefined);
  }
  const links = (await ip('-o', 'link', 'show', 'type', 'bridge'))
    .split('\n')
    .map((line) => /^\d+: ([^:@]+)/.exec(line)?.[1] ?? '')
    .filter((name) => name.startsWith(PREFIX));
  for (const name of links) {
    const pid = Number(/^cf(\d+)b/.exec(name)?.[1] ?? NaN);
    if (Number.isFinite(pid) && !alive(pid)) await ip('link', 'del', name).catch(() => undefined);
  }
}

const CLAIMS = join(tmpdir(), 'cluster-faults-subnets');

/**
 * A /24 in 10.213.0.0/16 that no interface of the root namespace uses, claimed by creating a
 * file named after it (exclusively), so that two test processes never pick the same one.
 */
async function claimSubnet(): Promise<string> {
  mkdirSync(CLAIMS, { recursive: true });
  const used = await ip('-4', '-o', 'addr', 'show');
  for (let attempt = 0; attempt < 250; attempt++) {
    const third = (process.pid + attempt * 37) % 250;
    const subnet = `10.213.${third}`;
    if (used.includes(` ${subnet}.`)) continue;
    const claim = join(CLAIMS, subnet);
    try {
      writeFileSync(claim, String(process.pid), { flag: 'wx' });
      return subnet;
    } catch {
      // Claimed by another run: ours only if its process is gone.
      const owner = Number(readFileSync(claim, 'utf8'));
      if (alive(owner)) continue;
      writeFileSync(claim, String(process.pid));
      return subnet;
    }
  }
  throw new Error('no free 10.213.x.0/24 subnet for the fault network');
}

let labCounter = 0;

export class NetLab {
  /** Namespace name and address of each host, in order. */
  readonly hosts: { ns: string; ip: string; device: string }[] = [];
  private readonly cuts = new Set<string>();
  private destroyed = false;

  private constructor(
    private readonly bridge: string,
    readonly subnet: string,
  ) {}

  /** Creates `size` namespaces 10.213.x.1 … 10.213.x.size behind a bridge at 10.213.x.254. */
  static async create(size: number): Promise<NetLab> {
    if (process.getuid?.() !== 0) {
      throw new Error('the fault network needs root: network namespaces and veth pairs');
    }
    await sweepLeftovers();
    const id = `${process.pid}${String.fromCharCode(97 + (labCounter++ % 26))}`;
    const subnet = await claimSubnet();
    const lab = new NetLab(`${PREFIX}${id}b`, subnet);
    try {
      await ip('link', 'add', lab.bridge, 'type', 'bridge');
      await ip('addr', 'add', `${subnet}.254/24`, 'dev', lab.bridge);
      await ip('link', 'set', lab.bridge, 'up');
      for (let i = 1; i <= size; i++) {
        const ns = `${PREFIX}${id}n${i}`;
        const outside = `${PREFIX}${id}h${i}`;
        const inside = `${PREFIX}${id}i${i}`;
        await ip('netns', 'add', ns);
        lab.hosts.push({ ns, ip: `${subnet}.${i}`, device: inside });
        await ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside);
        await ip('link', 'set', inside, 'netns', ns);
        await ip('link', 'set', outside, 'master', lab.bridge);
        await ip('link', 'set', outside, 'up');
        await ip('-n', ns, 'addr', 'add', `${subnet}.${i}/24`, 'dev', inside);
        await ip('-n', ns, 'link', 'set', inside, 'up');
        await ip('-n', ns, 'link', 'set', 'lo', 'up');
      }
    } catch (error) {
      await lab.destroy();
      throw error;
    }
    return lab;
  }

  /** The argv prefix that runs a command inside host `i`'s namespace (0-based). */
  exec(i: number): string[] {
    return ['ip', 'netns', 'exec', this.hosts[i].ns];
  }

  /** Packets from host `from` to host `to` are dropped (0-based indexes). */
  async cut(from: number, to: number): Promise<void> {
    const key = `${from}>${to}`;
    if (this.cuts.has(key)) return;
    const { ns, device } = this.hosts[from];
    await ip(
      '-n',
      ns,
      'neigh',
      'replace',
      this.hosts[to].ip,
      'lladdr',
      NOWHERE,
      'nud',
      'permanent',
      'dev',
      device,
    );
    this.cuts.add(key);
  }

  async heal(from: number, to: number): Promise<void> {
    const key = `${from}>${to}`;
    if (!this.cuts.has(key)) return;
    const { ns, device } = this.hosts[from];
    await ip('-n', ns, 'neigh', 'del', this.hosts[to].ip, 'dev', device);
    this.cuts.delete(key);
  }

  /** Cuts both directions of every link between the two sides. */
  async partition(side: readonly number[], other: readonly number[]): Promise<void> {
    for (const a of side) {
      for (const b of other) {
        await this.cut(a, b);
        await this.cut(b, a);
      }
    }
  }

  /** Host `i` loses every other host (the clients in the root namespace still reach it). */
  async isolate(i: number): Promise<void> {
    const others = this.hosts.map((_, j) => j).filter((j) => j !== i);
    await this.partition([i], others);
  }

  async healAll(): Promise<void> {
    for (const key of [...this.cuts]) {
      const [from, to] = key.split('>').map(Number);
      await this.heal(from, to);
    }
  }

  /** Links cut right now, as "from>to" pairs (0-based). */
  currentCuts(): string[] {
    return [...this.cuts].sort();
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const host of this.hosts) await ip('netns', 'del', host.ns).catch(() => undefined);
    await ip('link', 'del', this.bridge).catch(() => undefined);
    rmSync(join(CLAIMS, this.subnet), { force: true });
  }
}
