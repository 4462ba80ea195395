// The FSM's apply functions for ACL commands (merged into fsm.ts's table).
import {
  aclBootstrapTxn,
  aclInitTxn,
  aclPolicyDeleteTxn,
  aclPolicySetTxn,
  aclRoleDeleteTxn,
  aclRoleSetTxn,
  aclTokenDeleteTxn,
  aclTokenSetTxn,
} from './acl';
import type { AclCommand } from './commands';
import type { StateStore } from './store';

type AclApply = {
  [T in AclCommand['type']]: (
    store: StateStore,
    index: number,
    cmd: Extract<AclCommand, { type: T }>,
  ) => unknown;
};

export const ACL_APPLY: AclApply = {
  'acl-token-set': (store, index, cmd) => store.write(index, (tx) => aclTokenSetTxn(tx, cmd.token)),
  'acl-token-delete': (store, index, cmd) =>
    store.write(index, (tx) => aclTokenDeleteTxn(tx, cmd.accessorId)),
  'acl-policy-set': (store, index, cmd) =>
    store.write(index, (tx) => aclPolicySetTxn(tx, cmd.policy)),
  'acl-policy-delete': (store, index, cmd) =>
    store.write(index, (tx) => aclPolicyDeleteTxn(tx, cmd.id)),
  'acl-role-set': (store, index, cmd) => store.write(index, (tx) => aclRoleSetTxn(tx, cmd.role)),
  'acl-role-delete': (store, index, cmd) =>
    store.write(index, (tx) => aclRoleDeleteTxn(tx, cmd.id)),
  'acl-bootstrap': (store, index, cmd) =>
    store.write(index, (tx) => aclBootstrapTxn(tx, cmd.token, cmd.resetIndex)),
  'acl-init': (store, index, cmd) =>
    store.write(index, (tx) => aclInitTxn(tx, cmd.policies, cmd.tokens, cmd.bootstrapped)),
};
