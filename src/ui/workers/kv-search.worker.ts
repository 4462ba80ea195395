// Search across keys and values under a prefix, off the page's thread: the worker keeps the
// prefix's entries live itself (a blocking query on ?recurse), decodes the values once, and
// answers each query with the matching keys and a snippet of the value around the match.
import { decodeValue } from '../api/kv';

export interface SearchWatch {
  type: 'watch';
  /** /v1/kv/<prefix>?recurse&dc=… */
  url: string;
  /** The logged-in token's SecretID (a worker cannot read localStorage). */
  token?: string;
}

export interface SearchQuery {
  type: 'query';
  id: number;
  text: string;
}

export interface SearchMatch {
  key: string;
  /** Where it matched; the snippet is part of the value around the match. */
  in: 'key' | 'value';
  snippet: string;
}

export type SearchAnswer =
  | { type: 'loaded'; count: number }
  | { type: 'error'; message: string }
  | { type: 'results'; id: number; text: string; matches: SearchMatch[]; total: number };

interface Entry {
  key: string;
  lowerKey: string;
  value: string;
  lowerValue: string;
}

const MAX_MATCHES = 5000;
let entries: Entry[] | null = null;
let controller: AbortController | null = null;
let lastQuery: SearchQuery | null = null;

self.onmessage = (event: MessageEvent<SearchWatch | SearchQuery>) => {
  const message = event.data;
  if (message.type === 'watch') {
    controller?.abort();
    controller = new AbortController();
    entries = null;
    void watch(message.url, message.token, controller.signal);
  } else {
    lastQuery = message;
    answer(message);
  }
};

async function watch(url: string, token: string | undefined, signal: AbortSignal): Promise<void> {
  const headers: Record<string, string> = token === undefined ? {} : { 'x-consul-token': token };
  let index = 0;
  let failures = 0;
  const separator = url.includes('?') ? '&' : '?';
  while (!signal.aborted) {
    try {
      const response = await fetch(index > 0 ? `${url}${separator}index=${index}&wait=5m` : url, {
        signal,
        headers,
      });
      const header = Number(response.headers.get('x-consul-index') ?? 0);
      if (response.status === 404) {
        entries = [];
      } else if (!response.ok) {
        throw new Error(`${response.status}: ${(await response.text()).trim()}`);
      } else {
        const pairs = (await response.json()) as { Key: string; Value: string | null }[];
        entries = pairs.map((pair) => {
          const value = decodeValue(pair.Value).text ?? '';
          return {
            key: pair.Key,
            lowerKey: pair.Key.toLowerCase(),
            value,
            lowerValue: value.toLowerCase(),
          };
        });
      }
      failures = 0;
      post({ type: 'loaded', count: entries.length });
      if (lastQuery !== null) answer(lastQuery);
      index = header < index ? 0 : header;
    } catch (error) {
      if (signal.aborted) return;
      post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
      failures += 1;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(30_000, 1000 * 2 ** (failures - 1))),
      );
    }
  }
}

function answer(query: SearchQuery): void {
  if (entries === null) return;
  const needle = query.text.trim().toLowerCase();
  const matches: SearchMatch[] = [];
  let total = 0;
  for (const entry of entries) {
    let match: SearchMatch | null = null;
    if (needle === '' || entry.lowerKey.includes(needle)) {
      match = { key: entry.key, in: 'key', snippet: entry.value.slice(0, 120) };
    } else {
      const at = entry.lowerValue.indexOf(needle);
      if (at >= 0) {
        const start = Math.max(0, at - 40);
        match = {
          key: entry.key,
          in: 'value',
          snippet: `${start > 0 ? '…' : ''}${entry.value.slice(start, at + needle.length + 60)}`,
        };
      }
    }
    if (match === null) continue;
    total += 1;
    if (matches.length < MAX_MATCHES) matches.push(match);
  }
  post({ type: 'results', id: query.id, text: query.text, matches, total });
}

function post(message: SearchAnswer): void {
  self.postMessage(message);
}
