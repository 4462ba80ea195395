// The first read of the page being opened starts while the app is still booting: main.tsx
// asks for the URL the page will read, and the page's first blocking query takes that answer
// instead of asking again. Saves the app's start-up time from the first paint of a deep link.
import { withToken } from './token';

const started = new Map<string, Promise<Response>>();

export function prefetch(url: string): void {
  if (!started.has(url)) started.set(url, fetch(url, { headers: withToken() }));
}

/** The prefetched answer for `url`, once; undefined when there is none. */
export function takePrefetched(url: string): Promise<Response> | undefined {
  const response = started.get(url);
  started.delete(url);
  return response;
}
