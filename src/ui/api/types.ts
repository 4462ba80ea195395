// The API's JSON, as far as the pages read it (Consul's field names).
export type Status = 'passing' | 'warning' | 'critical' | 'maintenance';

export interface ServiceSummary {
  Name: string;
  Kind: string;
  Tags: string[] | null;
  Nodes: string[];
  InstanceCount: number;
  ChecksPassing: number;
  ChecksWarning: number;
  ChecksCritical: number;
}

export interface Node {
  ID: string;
  Node: string;
  Address: string;
  Datacenter: string;
  TaggedAddresses: Record<string, string> | null;
  Meta: Record<string, string> | null;
}

export interface HealthCheck {
  Node: string;
  CheckID: string;
  Name: string;
  Status: Status;
  Notes: string;
  Output: string;
  ServiceID: string;
  ServiceName: string;
  Type: string;
}

export interface AgentService {
  ID: string;
  Service: string;
  Tags: string[] | null;
  Address: string;
  Port: number;
  Meta: Record<string, string> | null;
  Kind?: string;
}

export interface ServiceEntry {
  Node: Node;
  Service: AgentService;
  Checks: HealthCheck[];
}

export interface NodeServices {
  Node: Node;
  Services: Record<string, AgentService>;
}

export interface KvPair {
  Key: string;
  Value: string | null;
  Flags: number;
  CreateIndex: number;
  ModifyIndex: number;
  LockIndex: number;
  Session?: string;
}

export interface Session {
  ID: string;
  Name: string;
  Node: string;
  LockDelay: number;
  Behavior: string;
  TTL: string;
  NodeChecks?: string[] | null;
  ServiceChecks?: { ID: string }[] | null;
  Checks?: string[] | null;
  CreateIndex: number;
}
