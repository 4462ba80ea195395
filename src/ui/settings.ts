// What the agent tells the app in index.html: the path the UI is served under and the agent's
// own datacenter (the default one to show).
export interface UiSettings {
  contentPath: string;
  datacenter: string;
}

export function readSettings(): UiSettings {
  const meta = document.querySelector('meta[name="consulate-ui-settings"]');
  const fallback = { contentPath: '/ui/', datacenter: 'dc1' };
  if (meta === null) return fallback;
  try {
    return { ...fallback, ...(JSON.parse(meta.getAttribute('content') ?? '{}') as UiSettings) };
  } catch {
    return fallback;
  }
}
