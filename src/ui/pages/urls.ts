// The API URLs the list pages read first, in one place: the pages use them, and main.tsx
// starts them for the page a deep link opens before the app has booted.
import { matchPath } from 'react-router';

import { apiUrl } from '../api/http';
import { kvUrl } from '../api/kv';
import { prefetch } from '../api/prefetch';

export const servicesUrl = (dc: string): string => apiUrl('internal/ui/services', { dc });
export const nodesUrl = (dc: string): string => apiUrl('catalog/nodes', { dc });
export const kvFolderUrl = (dc: string, prefix: string): string =>
  kvUrl(dc, prefix, { keys: '', separator: '/' });

/** Starts the first read of the page at `path` (the app's own path, e.g. /dc1/services). */
export function prefetchFor(path: string): void {
  const page = matchPath('/:dc/:section/*', path);
  if (page === null) return;
  const { dc = '', section, '*': rest = '' } = page.params;
  if (section === 'services' && rest === '') prefetch(servicesUrl(dc));
  else if (section === 'nodes' && rest === '') prefetch(nodesUrl(dc));
  else if (section === 'kv' && (rest === '' || rest.endsWith('/'))) {
    prefetch(kvFolderUrl(dc, decodeURIComponent(rest)));
  }
}
