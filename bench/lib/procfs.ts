// Reads a process's CPU time, memory and limits from /proc (Linux only), so that a bench can
// charge a server for what it spent without instrumenting it.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

let clockTicksPerSecond: number | undefined;

function clockTicks(): number {
  if (clockTicksPerSecond === undefined) {
    const out = execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim();
    const ticks = Number(out);
    clockTicksPerSecond = Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
  }
  return clockTicksPerSecond;
}

/** Fields of /proc/<pid>/stat after the parenthesised command name (which may hold spaces). */
function statFields(pid: number): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // the process has exited
  }
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** The process and all its descendants, found by walking parent links in /proc. */
export function processTree(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const fields = statFields(pid);
    if (fields === undefined) continue;
    const parent = Number(fields[1]); // field 4 (ppid) is index 1 after the name
    const siblings = children.get(parent) ?? [];
    siblings.push(pid);
    children.set(parent, siblings);
  }
  const tree: number[] = [];
  const pending = [rootPid];
  while (pending.length > 0) {
    const pid = pending.pop() as number;
    tree.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** User + system CPU time in milliseconds, summed over the given processes (all threads). */
export function cpuMs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const fields = statFields(pid);
    if (fields === undefined) continue;
    ticks += Number(fields[11]) + Number(fields[12]); // utime (14) and stime (15)
  }
  return (ticks * 1000) / clockTicks();
}

/** Resident set size in bytes (VmRSS), summed over the given processes. */
export function rssBytes(pids: readonly number[]): number {
  let kb = 0;
  for (const pid of pids) {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      continue;
    }
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    if (match !== null) kb += Number(match[1]);
  }
  return kb * 1024;
}

/** The soft limit on open files of a process ("Max open files" in /proc/<pid>/limits). */
export function openFilesLimit(pid: number | 'self' = 'self'): number {
  const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
  if (match === null) throw new Error(`no "Max open files" line in /proc/${pid}/limits`);
  return match[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[1]);
}

/** CPU time the whole machine spent busy (all cores, excluding idle, iowait and steal), ms. */
export function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]; // "cpu  user nice system idle ..."
  const [user, nice, system, , , irq, softirq] = line.trim().split(/\s+/).slice(1).map(Number);
  return ((user + nice + system + irq + softirq) * 1000) / clockTicks();
}

/** A short command line: the program's base name and its first script or argument. */
function commandLine(pid: number): string {
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return '';
  }
  if (argv.length === 0) return ''; // kernel thread
  const program = argv[0].split('/').pop() ?? argv[0];
  const firstArg = argv.slice(1).find((a) => !a.startsWith('-'));
  const text =
    firstArg === undefined ? program : `${program} ${firstArg.replace(/^.*\/work\/main\//, '')}`;
  return text.length > 48 ? `${text.slice(0, 45)}...` : text;
}

/** CPU time (ms) of every process on the machine, by pid, with its command name. */
export function allProcessesCpu(): Map<number, { name: string; ms: number }> {
  const usage = new Map<number, { name: string; ms: number }>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const name = commandLine(pid) || text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    usage.set(pid, { name, ms: ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks() });
  }
  return usage;
}

/** The processes (other than `exclude`) that used the most CPU between two snapshots. */
export function topConsumers(
  before: Map<number, { name: string; ms: number }>,
  after: Map<number, { name: string; ms: number }>,
  exclude: ReadonlySet<number>,
  count: number,
): Array<{ pid: number; name: string; ms: number }> {
  const deltas: Array<{ pid: number; name: string; ms: number }> = [];
  for (const [pid, end] of after) {
    if (exclude.has(pid)) continue;
    const ms = end.ms - (before.get(pid)?.ms ?? 0);
    if (ms > 0) deltas.push({ pid, name: end.name, ms });
  }
  return deltas.sort((a, b) => b.ms - a.ms).slice(0, count);
}
