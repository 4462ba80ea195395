// Maintenance mode as Consul models it: a critical check that nothing runs, on the node
// (`_node_maintenance`) or bound to one service (`_service_maintenance:<id>`).
import type { CheckDefinition } from './checks';

export const NODE_MAINTENANCE_CHECK_ID = '_node_maintenance';
export const SERVICE_MAINTENANCE_PREFIX = '_service_maintenance:';

export function serviceMaintenanceCheckId(serviceId: string): string {
  return `${SERVICE_MAINTENANCE_PREFIX}${serviceId}`;
}

export function isMaintenanceCheck(checkId: string): boolean {
  return checkId === NODE_MAINTENANCE_CHECK_ID || checkId.startsWith(SERVICE_MAINTENANCE_PREFIX);
}

export function nodeMaintenanceCheck(reason: string): CheckDefinition {
  return {
    id: NODE_MAINTENANCE_CHECK_ID,
    name: 'Node Maintenance Mode',
    notes:
      reason !== ''
        ? reason
        : 'Maintenance mode is enabled for this node, but no reason was provided. This is a default message.',
    status: 'critical',
  };
}

export function serviceMaintenanceCheck(serviceId: string, reason: string): CheckDefinition {
  return {
    id: serviceMaintenanceCheckId(serviceId),
    name: 'Service Maintenance Mode',
    serviceId,
    notes:
      reason !== ''
        ? reason
        : 'Maintenance mode is enabled for this service, but no reason was provided. This is a default message.',
    status: 'critical',
  };
}
