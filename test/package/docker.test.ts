// docker/Dockerfile and docker/docker-compose.yml, checked without building or pulling images:
// the Dockerfile's stages, user, ports and health check; every compose service's command is
// accepted by the agent's real flag parser and configuration loader; `docker compose config`
// also validates the file when Docker Compose is installed (it is not on the build machine).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { load as loadYaml } from 'js-yaml';

import { loadAgentConfig, parseAgentArgs } from '../../src/config';

const ROOT = join(__dirname, '..', '..', '..');
const DOCKERFILE = join(ROOT, 'docker', 'Dockerfile');
const COMPOSE = join(ROOT, 'docker', 'docker-compose.yml');

interface Instruction {
  keyword: string;
  args: string;
}

function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const space = line.indexOf(' ');
      return { keyword: line.slice(0, space).toUpperCase(), args: line.slice(space + 1).trim() };
    });
}

function agentArgs(command: readonly string[]): string[] {
  assert.equal(command[0], 'agent', `command ${command.join(' ')} runs the agent`);
  return command.slice(1);
}

test('the Dockerfile builds with npm ci and runs production dependencies as a non-root user', () => {
  const steps = instructions(readFileSync(DOCKERFILE, 'utf8'));
  const froms = steps.filter((step) => step.keyword === 'FROM');
  assert.equal(froms.length, 2);
  assert.match(froms[0].args, / AS build$/);
  const runtimeStart = steps.indexOf(froms[1]);
  const build = steps.slice(0, runtimeStart);
  const runtime = steps.slice(runtimeStart);
  assert.ok(build.some((step) => step.keyword === 'RUN' && /\bnpm ci\b/.test(step.args)));
  assert.ok(build.some((step) => step.keyword === 'RUN' && /npm prune --omit=dev/.test(step.args)));
  assert.ok(
    !runtime.some((step) => step.keyword === 'RUN' && /\bnpm (ci|install)\b/.test(step.args)),
  );
  for (const step of runtime.filter((s) => s.keyword === 'COPY')) {
    const match = /^--from=build \/src\/(\S+) /.exec(step.args);
    assert.ok(match, `runtime copies only from the build stage: ${step.args}`);
    if (match[1] !== 'node_modules' && match[1] !== 'dist') {
      assert.ok(existsSync(join(ROOT, match[1])), `${match[1]} exists in the repository`);
    }
  }
  const users = runtime.filter((step) => step.keyword === 'USER');
  assert.equal(users.length, 1);
  assert.doesNotMatch(users[0].args, /^(root|0)$/);

  const health = steps.find((step) => step.keyword === 'HEALTHCHECK');
  assert.ok(health);
  assert.match(health.args, /http:\/\/127\.0\.0\.1:8500\/v1\/status\/leader/);
  const exposed = steps
    .filter((step) => step.keyword === 'EXPOSE')
    .flatMap((step) => step.args.split(/\s+/))
    .sort();
  assert.deepEqual(exposed, ['8300', '8301', '8301/udp', '8302', '8500', '8600', '8600/udp']);

  const cmd = steps.find((step) => step.keyword === 'CMD');
  assert.ok(cmd);
  const command = JSON.parse(cmd.args) as string[];
  assert.deepEqual(command, ['agent', '-dev', '-client', '0.0.0.0']);
  const { config } = loadAgentConfig(parseAgentArgs(agentArgs(command)), { hostname: 'c' });
  assert.equal(config.dev, true);
  assert.deepEqual(config.clientAddr, ['0.0.0.0']);
});

test('docker-compose.yml: 3 servers and 2 clients joining by service name, commands the agent accepts', () => {
  const compose = loadYaml(readFileSync(COMPOSE, 'utf8')) as {
    services: Record<
      string,
      { command: string[]; build?: { context: string; dockerfile: string } }
    >;
  };
  const names = Object.keys(compose.services).sort();
  assert.deepEqual(names, ['client-1', 'client-2', 'server-1', 'server-2', 'server-3']);
  const servers = names.filter((name) => name.startsWith('server-'));
  for (const name of names) {
    const service = compose.services[name];
    assert.ok(service.build);
    assert.ok(existsSync(join(ROOT, 'docker', service.build.context, service.build.dockerfile)));
    const { config } = loadAgentConfig(parseAgentArgs(agentArgs(service.command)), {
      hostname: name,
    });
    assert.equal(config.nodeName, name);
    assert.equal(config.server, name.startsWith('server-'), name);
    assert.deepEqual(config.retryJoin, servers, `${name} retry-joins every server by name`);
    if (config.server) assert.equal(config.bootstrapExpect, servers.length);
  }

  const compose2 = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
  if (compose2.status === 0) {
    const checked = spawnSync('docker', ['compose', '-f', COMPOSE, 'config', '--quiet'], {
      encoding: 'utf8',
    });
    assert.equal(checked.status, 0, checked.stderr);
  }
});
