// Child process of the SDK bench: runs N watchers on K keys with one library (the SDK's watch()
// or the npm `consul` package's consul.watch()) and measures change→callback latency from the
// write timestamp carried in each value. Talks to the parent over IPC.
import { performance } from 'node:perf_hooks';

import ConsulPackage from 'consul';

import { Consul, watch } from '../../clients/typescript/src';

export type Library = 'sdk' | 'consul';

export type ParentMessage = { type: 'report' };
export type ChildMessage =
  | { type: 'ready'; watchers: number }
  | { type: 'report'; latenciesMs: number[]; received: number; errors: number };

/** Wall-clock ms with sub-ms precision, comparable across processes on one host. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

export function keyName(i: number): string {
  return `bench-sdk/k${String(i).padStart(3, '0')}`;
}

interface Stamp {
  seq: number;
  t: number;
}

function main(): void {
  const [library, address, watcherCount, keyCount] = process.argv.slice(2);
  const watchers = Number(watcherCount);
  const keys = Number(keyCount);
  const [host, port] = address.split(':');
  const latenciesMs: number[] = [];
  let received = 0;
  let errors = 0;
  let ready = 0;

  const lastSeq = new Array<number>(watchers).fill(-1);
  const onValue = (watcher: number, text: string | undefined): void => {
    const now = wallMs();
    if (text === undefined) return;
    const stamp = JSON.parse(text) as Stamp;
    if (lastSeq[watcher] === -1) {
      lastSeq[watcher] = stamp.seq;
      if (++ready === watchers) process.send?.({ type: 'ready', watchers } satisfies ChildMessage);
      return;
    }
    if (stamp.seq <= lastSeq[watcher]) return;
    lastSeq[watcher] = stamp.seq;
    received++;
    latenciesMs.push(now - stamp.t);
  };

  if (library === 'sdk') {
    const consul = new Consul({ address });
    for (let i = 0; i < watchers; i++) {
      const key = keyName(i % keys);
      watch((q) => consul.kv.get(key, q), { wait: '30s' })
        .on('change', ({ data }) => {
          onValue(i, data?.Value ? Buffer.from(data.Value, 'base64').toString() : undefined);
        })
        .on('error', () => errors++);
    }
  } else {
    const consul = new ConsulPackage({ host, port: Number(port) });
    for (let i = 0; i < watchers; i++) {
      const key = keyName(i % keys);
      consul
        .watch({ method: consul.kv.get, options: { key, wait: '30s' } })
        .on('change', (data: { Value?: string } | undefined) => onValue(i, data?.Value))
        .on('error', () => errors++);
    }
  }

  process.on('message', (message: ParentMessage) => {
    if (message.type === 'report') {
      process.send?.({ type: 'report', latenciesMs, received, errors } satisfies ChildMessage, () =>
        process.exit(0),
      );
    }
  });
}

if (require.main === module) main();
