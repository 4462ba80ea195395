// The ACL system: the rule language, authorizers, built-ins and the token resolver.
export {
  parsePolicyRules,
  PolicyRulesError,
  NAMED_RESOURCES,
  SINGLE_RESOURCES,
  type AccessLevel,
  type NamedResource,
  type NamedRule,
  type PolicyRules,
  type Resource,
  type SingleResource,
} from './rules';
export {
  chain,
  defaultAuthorizer,
  grants,
  MANAGE_ALL,
  mergeLevel,
  PolicyAuthorizer,
  type Access,
  type Authorizer,
  type Decision,
} from './authorizer';
export * from './builtins';
export {
  AclNotFoundError,
  AclResolver,
  isManagementToken,
  PermissionDeniedError,
  TokenPermissions,
  type AclSettings,
  type ResolvedToken,
} from './resolver';
export * from './records';
export { AgentTokenFile, PERSISTED_TOKENS, TOKENS_FILE } from './token-file';
