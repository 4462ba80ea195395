// The Consul release whose wire behaviour Consulate follows. Peers read it from the `build`
// gossip tag (parsed as major.minor.patch) to decide which features a server supports.
export const CONSUL_COMPAT_VERSION = '1.21.0';

/** Consul's `build` tag: version, colon, revision; ours names the project, not a git hash. */
export const CONSUL_COMPAT_BUILD = `${CONSUL_COMPAT_VERSION}:consulate`;
