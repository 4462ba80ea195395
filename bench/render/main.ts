// Renderer benchmarks: (1) KV change → rendered app settings file rewritten, against a dev agent
// in its own process (p50/p99 over N changes, no quiescence); (2) template render throughput on
// in-memory data (T templates × I instances each); (3) catalog change → traffic through a
// reloaded nginx (instance added / removed), when nginx is installed. Prints markdown tables.
// Usage: node dist/bench/render/main.js [-changes 200] [-templates 100] [-instances 1000]
//        [-nginx-rounds 20]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import {
  answers,
  eventuallyAnswers,
  freePort,
  spawnProxy,
  startBackend,
  stopProcess,
  type Backend,
} from '../../test/render/proxies';
import { fmt, LatencyHistogram, markdownTable } from '../lib';
import {
  CompiledTemplate,
  decodeHealth,
  defaultResource,
  healthDependency,
  RenderContext,
  Renderer,
  type Answer,
} from '../../src/render';

const ROOT = resolve(__dirname, '..', '..', '..');

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`-${name}`);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

async function startAgent(): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'dist/src/main.js'),
      'agent',
      '-dev',
      '-http-port',
      '0',
      '-dns-port',
      '-1',
      '-server-port',
      '0',
      '-serf-lan-port',
      '0',
      '-serf-wan-port',
      '0',
      // Every template's long polls come from 127.0.0.1: above Consul's 200 per client.
      '-hcl',
      'limits { http_max_conns_per_client = 65536 }',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const address = await new Promise<string>((done, fail) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /HTTP API listening on (?:http:\/\/)?(\S+)/.exec(out);
      if (match !== null) done(match[1]);
    });
    child.on('exit', (code) => fail(new Error(`agent exited with ${code}: ${out}`)));
  });
  child.stdout?.resume();
  return { child, address: `http://${address}` };
}

async function kvToFile(changes: number): Promise<string[][]> {
  const { child, address } = await startAgent();
  const dir = mkdtempSync(join(tmpdir(), 'consulate-bench-render-'));
  const dest = join(dir, 'settings.json');
  const put = async (value: string): Promise<void> => {
    const response = await fetch(`${address}/v1/kv/app/config/counter`, {
      method: 'PUT',
      body: value,
    });
    await response.text();
  };
  await put('start');
  const renderer = new Renderer({
    consul: { address, token: null },
    templates: [
      defaultResource({
        source: join(ROOT, 'templates/app-settings.json.tmpl'),
        destination: dest,
      }),
    ],
  });
  renderer.start();
  const histogram = new LatencyHistogram();
  const watcher = watch(dir);
  const waitFor = (needle: string): Promise<void> =>
    new Promise((done) => {
      const check = (): void => {
        let text = '';
        try {
          text = readFileSync(dest, 'utf8');
        } catch {
          return;
        }
        if (text.includes(needle)) {
          watcher.off('change', check);
          clearInterval(timer);
          done();
        }
      };
      const timer = setInterval(check, 5);
      watcher.on('change', check);
      check();
    });
  await waitFor('"start"');
  for (let i = 0; i < changes; i += 1) {
    const value = `v${i}`;
    const started = performance.now();
    const written = waitFor(`"${value}"`);
    await put(value);
    await written;
    histogram.record(performance.now() - started);
  }
  watcher.close();
  await renderer.stop();
  child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
  return [
    [
      `KV PUT → settings.json rewritten (${changes} changes)`,
      fmt(histogram.quantile(0.5), 2),
      fmt(histogram.quantile(0.99), 2),
      fmt(histogram.max, 2),
    ],
  ];
}

/** Resolves once `file` satisfies `ready`, polling cheaply and on every change in its folder. */
function fileSatisfies(file: string, ready: (text: string) => boolean): Promise<void> {
  return new Promise((done) => {
    const watcher = watch(join(file, '..'));
    const check = (): void => {
      let text = '';
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        return;
      }
      if (!ready(text)) return;
      watcher.close();
      clearInterval(timer);
      done();
    };
    const timer = setInterval(check, 5);
    watcher.on('change', check);
    check();
  });
}

/**
 * A catalog change (an instance's check turning critical, then passing again) → the nginx
 * upstreams file rewritten without / with that instance. Wait disabled, no reload command, so
 * this is the renderer's own latency: blocking query wake-up, render, atomic write.
 */
async function catalogToFile(changes: number): Promise<string[][]> {
  const { child, address } = await startAgent();
  const dir = mkdtempSync(join(tmpdir(), 'consulate-bench-render-'));
  const dest = join(dir, 'upstreams.conf');
  const register = async (i: number, status: 'passing' | 'critical'): Promise<void> => {
    const response = await fetch(`${address}/v1/catalog/register`, {
      method: 'PUT',
      body: JSON.stringify({
        Node: `node-${i}`,
        Address: `127.0.0.${i}`,
        Service: { ID: `web-${i}`, Service: 'web', Port: 8080 },
        Check: { CheckID: `web-${i}-check`, Name: 'web', ServiceID: `web-${i}`, Status: status },
      }),
    });
    if (response.status !== 200) throw new Error(`register: ${await response.text()}`);
  };
  for (const i of [1, 2, 3]) await register(i, 'passing');
  const renderer = new Renderer({
    consul: { address, token: null },
    templates: [
      defaultResource({
        source: join(ROOT, 'templates/nginx-upstreams.conf.tmpl'),
        destination: dest,
      }),
    ],
  });
  renderer.start();
  const flipped = 'server 127.0.0.2:8080';
  await fileSatisfies(dest, (text) => text.includes(flipped));
  const histogram = new LatencyHistogram();
  for (let i = 0; i < changes; i += 1) {
    const critical = i % 2 === 0;
    const started = performance.now();
    const written = fileSatisfies(dest, (text) => text.includes(flipped) !== critical);
    await register(2, critical ? 'critical' : 'passing');
    await written;
    histogram.record(performance.now() - started);
  }
  await renderer.stop();
  child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
  return [
    [
      `check critical/passing → upstreams.conf rewritten (${changes} changes)`,
      fmt(histogram.quantile(0.5), 2),
      fmt(histogram.quantile(0.99), 2),
      fmt(histogram.max, 2),
    ],
  ];
}

function throughput(templates: number, instances: number): string[][] {
  const text = readFileSync(join(ROOT, 'templates/nginx-upstreams.conf.tmpl'), 'utf8').replace(
    '{{#each (services)}}',
    '{{#each (parseJSON (env "SERVICES"))}}',
  );
  const answers = new Map<string, Answer>();
  const services: Array<{ Name: string }> = [];
  for (let t = 0; t < templates; t += 1) {
    const name = `svc${t}`;
    services.push({ Name: name });
    const body = JSON.stringify(
      Array.from({ length: instances }, (_, i) => ({
        Node: { Node: `n${i}`, Address: `10.${t % 250}.${i >> 8}.${i & 255}` },
        Service: {
          ID: `${name}-${i}`,
          Service: name,
          Port: 8000 + (i % 1000),
          Weights: { Passing: 1 + (i % 3), Warning: 1 },
        },
        Checks: [{ CheckID: 'c', Status: 'passing' }],
      })),
    );
    const key = healthDependency({ name, tags: [], dc: null, passingOnly: true }).key;
    answers.set(key, { value: decodeHealth(body), index: 1 });
  }
  const compiled = Array.from({ length: templates }, (_, t) =>
    CompiledTemplate.compile(text, `t${t}.hbs`, false),
  );
  const rows: string[][] = [];
  for (let round = 0; round < 3; round += 1) {
    const started = performance.now();
    let bytes = 0;
    compiled.forEach((template, t) => {
      const context = new RenderContext((key) => answers.get(key), false, {
        SERVICES: JSON.stringify([services[t]]),
      });
      bytes += template.render(context).length;
      if (!context.complete) throw new Error('incomplete render');
    });
    const seconds = (performance.now() - started) / 1000;
    rows.push([
      `${templates} templates × ${instances} instances (round ${round + 1})`,
      fmt(seconds * 1000, 1),
      fmt(templates / seconds, 0),
      fmt((templates * instances) / seconds, 0),
      fmt(bytes / 1e6, 1),
    ]);
  }
  return rows;
}

async function nginxLatency(rounds: number): Promise<string[][]> {
  if (spawnSync('nginx', ['-v'], { stdio: 'ignore' }).error !== undefined) return [];
  const { child, address } = await startAgent();
  const dir = mkdtempSync(join(tmpdir(), 'consulate-bench-nginx-'));
  const register = async (backend: Backend, id: string): Promise<void> => {
    const body = {
      Node: 'bench',
      Address: '127.0.0.1',
      Service: { ID: id, Service: 'web', Port: backend.port, Tags: ['http'] },
      Check: { CheckID: `alive-${id}`, Name: 'alive', Status: 'passing', ServiceID: id },
    };
    await (
      await fetch(`${address}/v1/catalog/register`, { method: 'PUT', body: JSON.stringify(body) })
    ).text();
  };
  const deregister = async (id: string): Promise<void> => {
    const body = { Node: 'bench', ServiceID: id };
    await (
      await fetch(`${address}/v1/catalog/deregister`, { method: 'PUT', body: JSON.stringify(body) })
    ).text();
  };
  const base = await startBackend('base');
  const probe = await startBackend('probe');
  await register(base, 'base');
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(join(dir, 'error.log'), '');
  chmodSync(join(dir, 'error.log'), 0o666);
  const http = (upstreams: string, pid: string): string =>
    `daemon off;\nworker_processes 1;\npid ${dir}/${pid};\nerror_log ${dir}/error.log warn;\n` +
    `events { worker_connections 256; }\nhttp {\n  access_log off;\n` +
    ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
      .map((k) => `  ${k}_temp_path ${dir}/${k};\n`)
      .join('') +
    `  include ${upstreams};\n  server { listen 127.0.0.1:${port}; location / { proxy_pass http://web; } }\n}\n`;
  writeFileSync(conf, http(join(dir, 'upstreams.conf'), 'nginx.pid'));
  writeFileSync(join(dir, 'check.conf.in'), http('@UPSTREAMS@', 'check.pid'));
  const nginx = `nginx -e ${dir}/error.log -p ${dir}/`;
  const renderer = new Renderer({
    consul: { address, token: null },
    templates: [
      defaultResource({
        source: join(ROOT, 'templates/nginx-upstreams.conf.tmpl'),
        destination: join(dir, 'upstreams.conf'),
        check: `sed 's#@UPSTREAMS@#{{.src}}#' ${dir}/check.conf.in > ${dir}/check.conf && ${nginx} -q -t -c ${dir}/check.conf`,
        command: `if [ -s ${dir}/nginx.pid ]; then ${nginx} -c ${conf} -s reload; fi`,
      }),
    ],
  });
  const ready = new Promise<void>((done) => renderer.once('ready', done));
  renderer.start();
  await ready;
  const server = spawnProxy('nginx', ['-e', `${dir}/error.log`, '-p', `${dir}/`, '-c', conf], dir);
  await eventuallyAnswers(port, '/', (seen) => seen.has('base'), 'nginx to serve');
  /** Polls through nginx until `probe` is (or is no longer) answering. */
  const until = async (present: boolean): Promise<void> => {
    for (;;) {
      const seen = await answers(port, '/', 4);
      if (seen.has('probe') === present) return;
    }
  };
  const added = new LatencyHistogram();
  const removed = new LatencyHistogram();
  for (let round = 0; round < rounds; round += 1) {
    let started = performance.now();
    await register(probe, `probe-${round}`);
    await until(true);
    added.record(performance.now() - started);
    started = performance.now();
    await deregister(`probe-${round}`);
    await until(false);
    removed.record(performance.now() - started);
  }
  await renderer.stop();
  await stopProcess(server);
  base.server.close();
  probe.server.close();
  child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
  const row = (what: string, h: LatencyHistogram): string[] => [
    `${what} (${rounds} rounds; nginx -t check + nginx -s reload)`,
    fmt(h.quantile(0.5), 1),
    fmt(h.quantile(0.99), 1),
    fmt(h.max, 1),
  ];
  return [
    row('instance registered → nginx routes to it', added),
    row('instance deregistered → nginx stops routing to it', removed),
  ];
}

async function main(): Promise<void> {
  const changes = option('changes', 200);
  const latency = [...(await kvToFile(changes)), ...(await catalogToFile(changes))];
  process.stdout.write(
    `${markdownTable(['change → file (wait disabled)', 'p50 ms', 'p99 ms', 'max ms'], latency)}\n\n`,
  );
  const rows = throughput(option('templates', 100), option('instances', 1000));
  process.stdout.write(
    `${markdownTable(['render throughput (in-memory data)', 'total ms', 'templates/s', 'instances/s', 'output MB'], rows)}\n`,
  );
  const nginxRows = await nginxLatency(option('nginx-rounds', 20));
  process.stdout.write(
    nginxRows.length === 0
      ? '\n(nginx not installed: catalog → nginx latency skipped)\n'
      : `\n${markdownTable(['catalog change → nginx traffic (wait disabled)', 'p50 ms', 'p99 ms', 'max ms'], nginxRows)}\n`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
