// The Consul release whose wire behaviour Consulate follows: clients gate features on the
// version /v1/agent/self reports, and gossip peers read the `build` tag (major.minor.patch).
export const CONSUL_COMPAT_VERSION = '1.21.0';

/** Consul's `build` tag: version, colon, revision; ours names the project, not a git hash. */
export const CONSUL_COMPAT_BUILD = `${CONSUL_COMPAT_VERSION}:consulate`;
