// What the agent tells the app in index.html: the path the UI is served under and the agent's
// own datacenter (the default one to show), and whether ACLs are on (the UI then offers
// logging in with a token and the ACL pages).
export interface UiSettings {
  contentPath: string;
  datacenter: string;
  aclsEnabled: boolean;
}

export function readSettings(): UiSettings {
  const meta = document.querySelector('meta[name="consulate-ui-settings"]');
  const fallback = { contentPath: '/ui/', datacenter: 'dc1', aclsEnabled: false };
  if (meta === null) return fallback;
  try {
    return { ...fallback, ...(JSON.parse(meta.getAttribute('content') ?? '{}') as UiSettings) };
  } catch {
    return fallback;
  }
}

/** How an empty list is worded: with ACLs on, "none" may mean "none this token may see". */
export function noneRegistered(what: string): string {
  return readSettings().aclsEnabled
    ? `No ${what} registered that your token may see.`
    : `No ${what} registered.`;
}
