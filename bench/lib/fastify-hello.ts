// A bare Fastify hello-world, the ceiling for what a Node HTTP server does per request here.
// Usage: node fastify-hello.js <port>
import Fastify from 'fastify';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0)
  throw new Error(`port must be given, got ${process.argv[2]}`);

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
app.listen({ port, host: '127.0.0.1' }).then(
  (address) => console.log(`fastify listening on ${address}`),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
