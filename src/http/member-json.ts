// A gossip member as /v1/agent/members and /v1/agent/self show it (Consul's api.AgentMember).
import type { SerfMember } from '../gossip';
import { MEMBER_STATUS_CODES } from '../server';
import type { JsonValue } from './json';

export function memberJson(member: SerfMember): JsonValue {
  const tags: { [key: string]: string } = {};
  for (const key of Object.keys(member.tags).sort()) tags[key] = member.tags[key];
  return {
    Name: member.name,
    Addr: member.addr,
    Port: member.port,
    Tags: tags,
    Status: MEMBER_STATUS_CODES[member.status],
    ProtocolMin: member.protocolMin,
    ProtocolMax: member.protocolMax,
    ProtocolCur: member.protocolCur,
    DelegateMin: member.delegateMin,
    DelegateMax: member.delegateMax,
    DelegateCur: member.delegateCur,
  };
}
