// Fixture for registration.test.ts: registers a service with a TTL check and waits for a signal.
// Usage: node registration-child.js <agent address> [service ID]. The address is required so
// that the fixture never reaches a real agent on 127.0.0.1:8500 by accident.
import { Consul, registerService } from '../src';

async function main(): Promise<void> {
  const [address, serviceId = 'signal-1'] = process.argv.slice(2);
  if (address === undefined)
    throw new Error('usage: registration-child <agent address> [service ID]');
  const consul = new Consul({ address });
  await registerService(consul, {
    service: { Name: 'signal-svc', ID: serviceId, Port: 1 },
    check: { ttl: '10s' },
  });
  console.log('registered');
  setInterval(() => undefined, 1000); // stay alive until a signal ends us
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
