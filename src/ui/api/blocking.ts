// Live data through Consul's blocking queries: each answer's X-Consul-Index is sent back as
// ?index= with ?wait=, so the agent holds the request until what it read changes. No timers
// poll; after a failure the next try waits (1 s doubling to 30 s). An answer without an index
// (a plain endpoint) is read once. Logging in or out starts every query over with the new
// token; a 403 is shown and not retried until the token changes.
import { useEffect, useState } from 'react';

import { ApiError } from './http';
import { takePrefetched } from './prefetch';
import { useToken } from './token';

export interface Live<T> {
  data: T | undefined;
  error: Error | null;
  /** The X-Consul-Index of the data shown. */
  index: number;
  loading: boolean;
}

export interface BlockingOptions<T> {
  /** What a 404 that carries X-Consul-Index means (a missing key): this value, not an error. */
  notFound?: T;
  /** The response's body as data (default: JSON). */
  parse?: (response: Response) => Promise<T>;
  /**
   * Read once, without blocking: for endpoints that answer with X-Consul-Index but do not
   * hold the request (the agent's /v1/acl/* reads), which a blocking loop would spin on.
   */
  once?: boolean;
}

const WAIT = '5m';

interface State<T> extends Live<T> {
  /** What the state was read for: the URL and the token. */
  key: string | null;
}

export function useBlocking<T>(url: string | null, options: BlockingOptions<T> = {}): Live<T> {
  const secret = useToken()?.SecretID;
  const key = url === null ? null : `${secret ?? ''} ${url}`;
  const [state, setState] = useState<State<T>>({
    key,
    data: undefined,
    error: null,
    index: 0,
    loading: url !== null,
  });
  const { notFound, parse, once } = options;
  useEffect(() => {
    if (url === null) return;
    const controller = new AbortController();
    const headers: Record<string, string> =
      secret === undefined ? {} : { 'x-consul-token': secret };
    void watch(url, headers, controller.signal, { notFound, parse, once }, (update) =>
      setState((previous) => ({
        ...(previous.key === key
          ? previous
          : { data: undefined, index: 0, error: null, loading: true }),
        ...update,
        key,
      })),
    );
    return () => controller.abort();
    // notFound and parse are fixed per call site; the URL and token say what is read.
  }, [url, secret]);
  if (state.key !== key) return { data: undefined, error: null, index: 0, loading: url !== null };
  return state;
}

async function watch<T>(
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  options: BlockingOptions<T>,
  update: (state: Partial<Live<T>>) => void,
): Promise<void> {
  let index = 0;
  let failures = 0;
  const separator = url.includes('?') ? '&' : '?';
  while (!signal.aborted) {
    try {
      const target = index > 0 ? `${url}${separator}index=${index}&wait=${WAIT}` : url;
      const prefetched = index === 0 ? takePrefetched(url) : undefined;
      const response = await (prefetched ?? fetch(target, { signal, headers }));
      const header = response.headers.get('x-consul-index');
      let data: T;
      if (response.status === 404 && header !== null && 'notFound' in options) {
        data = options.notFound as T;
      } else if (!response.ok) {
        const text = (await response.text()).trim();
        throw new ApiError(
          response.status,
          text === '' ? response.statusText : text,
          header !== null,
        );
      } else {
        data =
          options.parse === undefined
            ? ((await response.json()) as T)
            : await options.parse(response);
      }
      const next = Number(header ?? 0);
      failures = 0;
      update({ data, error: null, index: next, loading: false });
      if (header === null || options.once === true) return;
      // Consul's rule: an index that went backwards (a restored snapshot) starts over.
      index = next < index ? 0 : next;
    } catch (error) {
      if (signal.aborted) return;
      update({ error: error as Error, loading: false });
      // A 404 without an index: the endpoint itself is missing; asking again will not help.
      if (error instanceof ApiError && error.status === 404 && !error.hasIndex) return;
      // Permission denied: the same token will be denied again; a new one restarts the query.
      if (error instanceof ApiError && error.status === 403) return;
      failures += 1;
      await sleep(Math.min(30_000, 1000 * 2 ** (failures - 1)), signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
