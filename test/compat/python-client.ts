// Runs a snippet of Python against an agent with one of the Debian Python Consul clients, under
// Debian's own python3 (where apt puts them): python-consul (python3-consul, module `consul`
// 0.7.x) or python-consul2 (python3-consul2, the same module name, unpacked beside it by
// scripts/ensure-system-packages.sh and put first on PYTHONPATH). A missing client is an error.
import { spawn } from 'node:child_process';

export const PYTHON = '/usr/bin/python3';
const CONSUL2_PATH = '/usr/local/lib/consulate-peers/python3-consul2/usr/lib/python3/dist-packages';

export type PythonClient = 'python-consul' | 'python-consul2';

// `c` is the client; `out(value)` prints the snippet's result as JSON (bytes as text).
const PRELUDE = `
import json, sys, time
import consul
c = consul.Consul(host=sys.argv[1], port=int(sys.argv[2]))
def out(value):
    def default(o):
        return o.decode() if isinstance(o, bytes) else str(o)
    print(json.dumps(value, default=default))
def failure(call):
    try:
        call()
    except Exception as e:
        return {'error': type(e).__name__, 'message': str(e)}
    raise AssertionError('the call did not fail')
`;

/** Runs `body` with `c` connected to host:port and resolves with what it passed to `out`. */
export function runPython(
  client: PythonClient,
  address: { host: string; port: number },
  body: string,
): Promise<unknown> {
  const env = { ...process.env };
  if (client === 'python-consul2') env.PYTHONPATH = CONSUL2_PATH;
  else delete env.PYTHONPATH;
  const script = `${PRELUDE}\n${dedent(body)}\n`;
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', script, address.host, String(address.port)], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) {
        reject(new Error(`${client} snippet failed (${code ?? signal}):\n${stderr}\n${body}`));
        return;
      }
      const lines = stdout.trim().split('\n');
      try {
        resolve(JSON.parse(lines[lines.length - 1]) as unknown);
      } catch {
        reject(new Error(`${client} snippet printed no JSON result:\n${stdout}\n${stderr}`));
      }
    });
  });
}

function dedent(text: string): string {
  const lines = text.replace(/^\n/, '').split('\n');
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)?.[0].length ?? 0);
  const cut = Math.min(...indents);
  return lines.map((l) => l.slice(cut)).join('\n');
}
