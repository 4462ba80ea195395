// Fixture for registration.test.ts: registers a service with a TTL check and waits for a signal.
import { Consul, registerService } from '../src';

async function main(): Promise<void> {
  const consul = new Consul();
  await registerService(consul, {
    service: { Name: 'signal-svc', ID: process.env.SERVICE_ID ?? 'signal-1', Port: 1 },
    check: { ttl: '10s' },
  });
  console.log('registered');
  setInterval(() => undefined, 1000); // stay alive until a signal ends us
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
