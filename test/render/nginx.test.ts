// nginx from Debian fed by the shipped upstream and site templates.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { defaultResource } from '../../src/render';
import { spawnProxy } from './proxies';
import { describeProxy, TEMPLATES } from './proxy-cycle';

/** `pid` differs for the check copy: nginx -t creates the pid file it names. */
function nginxConf(dir: string, backends: string, pid: string): string {
  return `daemon off;
worker_processes 1;
pid ${dir}/${pid};
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path ${dir}/body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    include ${backends};
    include ${dir}/site.conf;
}
`;
}

describeProxy('renderer driving nginx', {
  binary: 'nginx',
  versionFlag: '-v',
  template: 'nginx-upstreams.conf.tmpl',
  path: '/web/',
  prepare(dir, port, backendsFile) {
    const conf = join(dir, 'nginx.conf');
    // The check (run by us) and nginx (run unprivileged) share this log: let both write it.
    writeFileSync(join(dir, 'error.log'), '');
    chmodSync(join(dir, 'error.log'), 0o666);
    writeFileSync(conf, nginxConf(dir, backendsFile, 'nginx.pid'));
    writeFileSync(join(dir, 'site.conf'), '');
    writeFileSync(join(dir, 'check.conf.in'), nginxConf(dir, '@UPSTREAMS@', 'check.pid'));
    const nginx = `nginx -e ${dir}/error.log -p ${dir}/`;
    const reload = `if [ -s ${dir}/nginx.pid ]; then ${nginx} -c ${conf} -s reload; fi`;
    return {
      check: `sed 's#@UPSTREAMS@#{{.src}}#' ${dir}/check.conf.in > ${dir}/check.conf && ${nginx} -q -t -c ${dir}/check.conf`,
      reload,
      start: () =>
        spawnProxy('nginx', ['-e', `${dir}/error.log`, '-p', `${dir}/`, '-c', conf], dir),
      log: () => readFileSync(join(dir, 'error.log'), 'utf8'),
      otherTemplates: [
        defaultResource({
          source: join(TEMPLATES, 'nginx-site.conf.tmpl'),
          destination: join(dir, 'site.conf'),
          command: reload,
        }),
      ],
      env: { NGINX_LISTEN: `127.0.0.1:${port}` },
    };
  },
  serverLine: (backend, weight) =>
    new RegExp(`^    server 127\\.0\\.0\\.1:${backend.port} weight=${weight};$`, 'm'),
  fallback: /^ {4}server 127\.0\.0\.1:65535 down;$/m,
  fallbackStatus: '502',
  invalidLine: 'this_is_not_a_directive on;',
  invalidReport: /unknown directive "this_is_not_a_directive"/,
});
