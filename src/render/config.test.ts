import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { loadRenderConfig } from './config';
import { parseTemplateFlag, parseWait, ResourceError } from './resource';

function withFiles(files: Record<string, string>, run: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'consulate-render-config-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('renderer configuration', () => {
  it('splits -template at the first two colons, keeping colons in the command', () => {
    const resource = parseTemplateFlag('in.hbs:/etc/out.conf:sh -c "echo a:b"');
    assert.equal(resource.source, 'in.hbs');
    assert.equal(resource.destination, '/etc/out.conf');
    assert.equal(resource.command, 'sh -c "echo a:b"');
    assert.equal(parseTemplateFlag('in:out').command, null);
    assert.throws(() => parseTemplateFlag('nodest'), ResourceError);
  });

  it('reads wait as "min", "min:max" or a block, max defaulting to 4 × min', () => {
    assert.deepEqual(parseWait('2s', 'wait'), { minMs: 2000, maxMs: 8000 });
    assert.deepEqual(parseWait('1s:3s', 'wait'), { minMs: 1000, maxMs: 3000 });
    assert.deepEqual(parseWait([{ min: '500ms', max: '1s' }], 'wait'), { minMs: 500, maxMs: 1000 });
    assert.equal(parseWait('0s', 'wait'), null);
    assert.throws(() => parseWait('3s:1s', 'wait'), /max \(1000ms\) is below min/);
  });

  it('merges HCL and JSON files of a directory in lexical order', () => {
    withFiles(
      {
        'a.hcl': `consul { address = "10.0.0.1:8500" }
wait = "1s:2s"
template {
  source = "a.hbs"
  destination = "/tmp/a"
  perms = 0640
  backup = true
  command = "reload a"
  command_timeout = "5s"
  check = "validate {{.src}}"
  error_on_missing_key = true
  wait { min = "3s" }
}`,
        'b.json': JSON.stringify({
          consul: { token: 'secret' },
          template: {
            contents: 'x',
            destination: '/tmp/b',
            perms: '0600',
            create_dest_dirs: false,
          },
          exec: { command: 'app', reload_signal: 'HUP', kill_timeout: '2s' },
        }),
        'notes.txt': 'ignored',
      },
      (dir) => {
        const config = loadRenderConfig([dir]);
        assert.equal(config.address, '10.0.0.1:8500');
        assert.equal(config.token, 'secret');
        assert.deepEqual(config.wait, { minMs: 1000, maxMs: 2000 });
        assert.deepEqual(config.exec, {
          command: 'app',
          reloadSignal: 'SIGHUP',
          killSignal: 'SIGTERM',
          killTimeoutMs: 2000,
        });
        const [a, b] = config.templates;
        assert.equal(a.perms, 0o640);
        assert.equal(a.backup, true);
        assert.equal(a.commandTimeoutMs, 5000);
        assert.equal(a.check, 'validate {{.src}}');
        assert.equal(a.errorOnMissingKey, true);
        assert.deepEqual(a.wait, { minMs: 3000, maxMs: 12000 });
        assert.equal(b.contents, 'x');
        assert.equal(b.perms, 0o600);
        assert.equal(b.createDestDirs, false);
      },
    );
  });

  it('names the file and key of a mistake', () => {
    withFiles({ 'bad.hcl': 'template {\n  destination = "/tmp/x"\n  sauce = "a"\n}\n' }, (dir) => {
      assert.throws(() => loadRenderConfig([dir]), /bad\.hcl: template\[0\]: unknown key "sauce"/);
    });
    withFiles({ 'bad.hcl': 'template {\n  source = \n}\n' }, (dir) => {
      assert.throws(() => loadRenderConfig([dir]), /failed to parse .*bad\.hcl: line \d+/);
    });
    withFiles({ 'nodest.json': '{"template":[{"source":"a"}]}' }, (dir) => {
      assert.throws(() => loadRenderConfig([dir]), /destination is required/);
    });
  });
});
