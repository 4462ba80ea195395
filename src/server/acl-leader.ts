// Leader duty when ACLs are on (Consul's initializeACLs): make sure the built-in policies, the
// anonymous token and the configured initial management token exist. Proposed on every
// leadership gain; the FSM writes only what is missing, so repeating it changes nothing.
import type { Logger } from 'pino';

import { anonymousToken, builtinPolicies, managementToken } from '../acl';
import type { AgentConfig } from '../config';
import type { RaftHandle } from '../raft';
import { encodeCommand } from '../state';

const RETRY_MS = 1000;

export function startAclLeaderDuty(
  config: () => AgentConfig,
  raft: RaftHandle,
  logger: Logger,
): () => void {
  let retry: NodeJS.Timeout | null = null;
  let stopped = false;
  const initialize = async (): Promise<void> => {
    const current = config();
    if (!current.acl.enabled || raft.status().leaderId !== current.nodeId) return;
    const initial = current.acl.tokens.initial_management ?? '';
    const tokens = [anonymousToken()];
    if (initial !== '') tokens.push(managementToken(initial, 'Initial Management Token'));
    try {
      await raft.propose(
        encodeCommand({
          type: 'acl-init',
          policies: builtinPolicies(),
          tokens,
          bootstrapped: initial !== '',
        }),
      );
      logger.debug('ACLs initialized');
    } catch (error) {
      if (stopped) return;
      logger.warn({ err: error }, 'failed to initialize ACLs; retrying');
      retry = setTimeout(() => void initialize(), RETRY_MS);
    }
  };
  const unsubscribe = raft.onLeaderChange(() => void initialize());
  void initialize();
  return () => {
    stopped = true;
    unsubscribe();
    if (retry !== null) clearTimeout(retry);
  };
}
