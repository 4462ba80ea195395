// Service and node identities: templated rules Consul expands for a token or role.
import type { AclNodeIdentity, AclServiceIdentity } from '../state';
import type { NamedRule, PolicyRules } from './rules';

export function serviceIdentityRules(identity: AclServiceIdentity): PolicyRules {
  const name = identity.serviceName;
  const named: NamedRule[] = [
    { resource: 'service', name, prefix: false, access: 'write' },
    { resource: 'service', name: `${name}-sidecar-proxy`, prefix: false, access: 'write' },
    { resource: 'service', name: '', prefix: true, access: 'read' },
    { resource: 'node', name: '', prefix: true, access: 'read' },
  ];
  return { named, single: {} };
}

export function nodeIdentityRules(identity: AclNodeIdentity): PolicyRules {
  const named: NamedRule[] = [
    { resource: 'node', name: identity.nodeName, prefix: false, access: 'write' },
    { resource: 'service', name: '', prefix: true, access: 'read' },
  ];
  return { named, single: {} };
}
