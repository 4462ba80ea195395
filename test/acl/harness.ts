// A dev agent with ACLs on (default deny) and helpers to make tokens through the API.
import { GLOBAL_MANAGEMENT_POLICY_ID } from '../../src/acl';
import { eventually, startTestAgent, type HttpResult, type TestAgent } from '../http/harness';

export const MANAGEMENT = '4a6a5c8e-0c5c-4d0b-9f0e-3c3f7b1d2a10';

export interface AclAgent extends TestAgent {
  /** A request carrying `token` in X-Consul-Token (none when null). */
  as(token: string | null, method: string, path: string, body?: unknown): Promise<HttpResult>;
  /** Creates a policy with `rules` and a token linked to it; returns the token's SecretID. */
  tokenWith(rules: string): Promise<string>;
}

let policies = 0;

/** `moreTokens`: more lines for the `acl { tokens { … } }` block (`default = "…"`). */
export async function startAclAgent(
  extraHcl = '',
  initialManagement = true,
  moreTokens = '',
): Promise<AclAgent> {
  const initial = initialManagement ? `initial_management = "${MANAGEMENT}"` : '';
  const tokens = `tokens {\n ${initial}\n ${moreTokens}\n }`;
  const t = await startTestAgent([
    '-hcl',
    `acl {\n enabled = true\n default_policy = "deny"\n ${tokens}\n}\n${extraHcl}`,
  ]);
  await eventually(
    () => t.agent.store.acl.policy(GLOBAL_MANAGEMENT_POLICY_ID).value !== null,
    'the leader to create the built-in policies',
  );
  const as = (
    token: string | null,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<HttpResult> =>
    t.request(method, path, {
      headers: token === null ? {} : { 'x-consul-token': token },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  const tokenWith = async (rules: string): Promise<string> => {
    const name = `policy-${++policies}`;
    const policy = await as(MANAGEMENT, 'PUT', '/v1/acl/policy', { Name: name, Rules: rules });
    if (policy.status !== 200) throw new Error(`policy: ${policy.status} ${policy.text}`);
    const token = await as(MANAGEMENT, 'PUT', '/v1/acl/token', { Policies: [{ Name: name }] });
    if (token.status !== 200) throw new Error(`token: ${token.status} ${token.text}`);
    return (JSON.parse(token.text) as { SecretID: string }).SecretID;
  };
  return { ...t, as, tokenWith };
}

export function denied(accessor: string, permission: string, name?: string): string {
  const on = name === undefined ? '' : ` on "${name}"`;
  return `Permission denied: token with AccessorID '${accessor}' lacks permission '${permission}'${on}`;
}
