// An HTTP check target in its own process, so that load tests measure the agent side only.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

// A minimal HTTP/1.1 responder on raw sockets: answers 200 to the first bytes of each
// connection and closes it. Much cheaper per connection than node:http, so that the target is
// not what limits a load test on a small machine.
const SERVER = `
const net = require('node:net');
const RESPONSE = 'HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\nok';
const server = net.createServer((socket) => {
  socket.on('error', () => {});
  socket.once('data', () => socket.end(RESPONSE));
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

export interface TargetProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startTargetProcess(): Promise<TargetProcess> {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  const port = Number(line.toString().trim());
  return {
    url: `http://127.0.0.1:${port}/health`,
    child,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
