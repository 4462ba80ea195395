// HTTP targets for the external-service tests, in a process of their own so that their answers
// do not wait on the agent's event loop: GET /t/<n> answers 200, or 500 while n is failing.
// Control on stdin, one command a line: `fail <n>,<n>,…`, `clear`; prints `port <p>` when ready.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';

const failing = new Set<number>();
let hits = 0;
const server = createServer((req, res) => {
  hits += 1;
  const n = Number((req.url ?? '').split('/')[2]);
  res.statusCode = failing.has(n) ? 500 : 200;
  res.end(failing.has(n) ? 'down' : 'ok');
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`port ${(server.address() as AddressInfo).port}\n`);
});
createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, list] = line.trim().split(' ');
  if (command === 'clear') failing.clear();
  if (command === 'fail') for (const n of list.split(',')) failing.add(Number(n));
  if (command === 'hits') process.stdout.write(`hits ${hits}\n`);
  process.stdout.write(`ok ${command}\n`);
});
process.stdin.on('end', () => process.exit(0));
