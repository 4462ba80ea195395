// HAProxy from Debian (master-worker mode, reloaded with SIGUSR2) fed by the shipped backends
// template; its configuration is checked with `haproxy -c` before each write.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { spawnProxy } from './proxies';
import { describeProxy } from './proxy-cycle';

describeProxy('renderer driving haproxy', {
  binary: 'haproxy',
  versionFlag: '-v',
  template: 'haproxy-backends.cfg.tmpl',
  path: '/',
  prepare(dir, port, backendsFile) {
    const base = join(dir, 'haproxy.cfg');
    const masterPid = join(dir, 'master.pid');
    writeFileSync(
      base,
      `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s

frontend fe
    bind 127.0.0.1:${port}
    default_backend be_web
`,
    );
    let stderr = (): string => '';
    return {
      check: `haproxy -c -f ${base} -f {{.src}}`,
      reload: `if [ -s ${masterPid} ]; then kill -USR2 $(cat ${masterPid}); fi`,
      start: () => {
        const proxy = spawnProxy('haproxy', ['-W', '-db', '-f', base, '-f', backendsFile], dir);
        writeFileSync(masterPid, String(proxy.child.pid));
        stderr = proxy.report;
        return proxy;
      },
      log: () => `${stderr()}\n${readFileSync(backendsFile, 'utf8')}`,
      otherTemplates: [],
      env: {},
    };
  },
  serverLine: (backend, weight) =>
    new RegExp(
      `^    server ${backend.name} 127\\.0\\.0\\.1:${backend.port} weight ${weight}$`,
      'm',
    ),
  fallback: /^ {4}server placeholder 127\.0\.0\.1:65535 disabled$/m,
  fallbackStatus: '503',
  invalidLine: '    this_is_not_a_keyword on',
  invalidReport: /unknown keyword 'this_is_not_a_keyword'/,
});
