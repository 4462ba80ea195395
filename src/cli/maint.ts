// `consulate maint`: node or service maintenance mode on the local agent; without -enable or
// -disable, lists what is in maintenance.
import { AgentHttpClient, HTTP_CLIENT_FLAGS } from './http-client';
import { error, info, parseCommandFlags } from './output';

const NODE_CHECK = '_node_maintenance';
const SERVICE_PREFIX = '_service_maintenance:';

interface AgentCheck {
  CheckID: string;
  Notes: string;
  ServiceID: string;
}

export async function runMaint(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    [
      ...HTTP_CLIENT_FLAGS,
      { name: 'enable', kind: 'bool', usage: 'Enable maintenance mode.' },
      { name: 'disable', kind: 'bool', usage: 'Disable maintenance mode.' },
      { name: 'reason', kind: 'string', usage: 'Text describing the maintenance reason.' },
      { name: 'service', kind: 'string', usage: 'Service ID to (un)mark; default: the node.' },
    ],
    'Usage: consulate maint [options]',
  );
  if (typeof parsed === 'number') return parsed;
  const values = parsed.values;
  const enable = values.get('enable') === true;
  const disable = values.get('disable') === true;
  const reason = (values.get('reason') as string | undefined) ?? '';
  const service = (values.get('service') as string | undefined) ?? '';
  if (enable && disable) {
    error('Only one of -enable or -disable may be provided');
    return 1;
  }
  if (!enable && reason !== '') {
    error('Reason may only be provided with -enable');
    return 1;
  }
  if (!enable && !disable && service !== '') {
    error('Service requires either -enable or -disable');
    return 1;
  }
  const client = AgentHttpClient.fromFlags(values);
  try {
    if (!enable && !disable) return await list(client);
    const query = { enable: String(enable), reason };
    if (service !== '') {
      await client.expectOk('PUT', `/v1/agent/service/maintenance/${encodeURIComponent(service)}`, {
        query,
      });
      info(`Service maintenance is now ${enable ? 'enabled' : 'disabled'}`);
    } else {
      await client.expectOk('PUT', '/v1/agent/maintenance', { query });
      info(`Node maintenance is now ${enable ? 'enabled' : 'disabled'}`);
    }
    return 0;
  } catch (err) {
    error(`Error: ${(err as Error).message}`);
    return 1;
  }
}

async function list(client: AgentHttpClient): Promise<number> {
  const self = JSON.parse(
    (await client.expectOk('GET', '/v1/agent/self')).body.toString('utf8'),
  ) as { Config: { NodeName: string } };
  const checks = JSON.parse(
    (await client.expectOk('GET', '/v1/agent/checks')).body.toString('utf8'),
  ) as Record<string, AgentCheck>;
  for (const check of Object.values(checks)) {
    if (check.CheckID === NODE_CHECK) {
      info(`Node:\n  Name:   ${self.Config.NodeName}\n  Reason: ${check.Notes}\n`);
    } else if (check.CheckID.startsWith(SERVICE_PREFIX)) {
      info(`Service:\n  ID:     ${check.ServiceID}\n  Reason: ${check.Notes}\n`);
    }
  }
  return 0;
}
