// A folder of the key/value tree: its keys and sub-folders (live, ?keys&separator=/), filtered
// as you type; or, with the scope switched, every key under it (?keys) or a search across keys
// and values under it (done in a worker that keeps ?recurse live). Rows are virtualised.
import { useCallback, useDeferredValue, useEffect, useId, useMemo, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';

import { useBlocking } from '../api/blocking';
import { describeError, encodePath } from '../api/http';
import { deleteTree, kvUrl, lastSegment, parentOf } from '../api/kv';
import { useToken } from '../api/token';
import { KvBreadcrumbs } from '../components/KvBreadcrumbs';
import { SearchBar } from '../components/SearchBar';
import { Empty, ErrorNotice, Loading } from '../components/Status';
import { useQueryParam } from '../components/useQueryParam';
import { focusFirstRow, VirtualList } from '../components/VirtualList';
import { markPaintedOnce, markSearchPainted } from '../perf';
import { kvFolderUrl } from './urls';
import type { SearchAnswer, SearchMatch } from '../workers/kv-search.worker';

type Scope = 'folder' | 'recursive' | 'values';

interface Row {
  key: string;
  label: string;
  snippet?: string;
}

export function KvFolder({ dc, prefix }: { dc: string; prefix: string }) {
  const [filter, setFilter] = useQueryParam('filter');
  const [scopeParam, setScope] = useQueryParam('scope');
  const scope: Scope =
    scopeParam === 'recursive' || scopeParam === 'values' ? scopeParam : 'folder';
  const query = useDeferredValue(filter);
  const listRef = useRef<HTMLDivElement>(null);
  const scopeId = useId();
  const navigate = useNavigate();
  const [notice, setNotice] = useState<{ error: boolean; text: string } | null>(null);

  const keys = useBlocking<string[]>(
    scope === 'values'
      ? null
      : scope === 'folder'
        ? kvFolderUrl(dc, prefix)
        : kvUrl(dc, prefix, { keys: '' }),
    { notFound: [] },
  );
  const search = useValueSearch(
    scope === 'values' ? kvUrl(dc, prefix, { recurse: '' }) : null,
    query,
  );

  const rows: Row[] | undefined = useMemo(() => {
    if (scope === 'values') {
      return search.matches?.map((match: SearchMatch) => ({
        key: match.key,
        label: match.key.slice(prefix.length),
        snippet: match.snippet,
      }));
    }
    if (keys.data === undefined) return undefined;
    const needle = query.trim().toLowerCase();
    return keys.data
      .filter(
        (key) =>
          key !== prefix &&
          (needle === '' || key.slice(prefix.length).toLowerCase().includes(needle)),
      )
      .map((key) => ({ key, label: key.slice(prefix.length) }));
  }, [scope, search.matches, keys.data, query, prefix]);

  useEffect(() => {
    if (rows !== undefined) markSearchPainted();
  }, [rows]);
  const onPainted = useCallback(() => markPaintedOnce('ui:kv:painted'), []);

  async function removeFolder(): Promise<void> {
    if (!window.confirm(`Delete the folder ${prefix} and every key under it?`)) return;
    try {
      await deleteTree(dc, prefix);
      navigate(`/${dc}/kv/${encodePath(parentOf(prefix))}`);
    } catch (error) {
      setNotice({ error: true, text: `The folder could not be deleted: ${describeError(error)}` });
    }
  }

  const error = scope === 'values' ? search.error : keys.error;
  const title = prefix === '' ? 'Key/Value' : lastSegment(prefix);
  return (
    <section aria-labelledby="kv-title">
      <KvBreadcrumbs dc={dc} path={prefix} />
      <div className="page-header">
        <h1 id="kv-title">{title}</h1>
        <div className="actions">
          <Link className="button primary" to={`/${dc}/kv/${encodePath(prefix)}create`}>
            Create
          </Link>
          {prefix !== '' && (
            <button type="button" className="danger" onClick={() => void removeFolder()}>
              Delete folder
            </button>
          )}
        </div>
      </div>
      {notice !== null && (
        <div
          className={`notice ${notice.error ? 'notice-error' : 'notice-ok'}`}
          role={notice.error ? 'alert' : 'status'}
        >
          {notice.text}
        </div>
      )}
      <SearchBar
        value={filter}
        onChange={setFilter}
        label={scope === 'values' ? 'Search keys and values' : 'Search keys'}
        placeholder={scope === 'values' ? 'Search keys and values' : 'Search keys'}
        onArrowDown={() => focusFirstRow(listRef.current)}
      >
        <span className="status-filter">
          <label htmlFor={scopeId}>Show</label>
          <select
            id={scopeId}
            value={scope}
            onChange={(event) =>
              setScope(event.target.value === 'folder' ? '' : event.target.value)
            }
          >
            <option value="folder">This folder</option>
            <option value="recursive">All keys below (recursive)</option>
            <option value="values">Search keys and values below</option>
          </select>
        </span>
      </SearchBar>
      {rows !== undefined && (
        <p className="count" aria-live="polite">
          {scope === 'values' && search.total !== undefined && search.total > rows.length
            ? `${rows.length} of ${search.total} matches shown`
            : `${rows.length} ${rows.length === 1 ? 'entry' : 'entries'}`}
        </p>
      )}
      {error !== null && <ErrorNotice error={error} title="The keys could not be read." />}
      {rows === undefined ? (
        error === null && <Loading what="keys" />
      ) : rows.length === 0 ? (
        <Empty>{filter === '' ? 'This folder is empty.' : 'No key matches.'}</Empty>
      ) : (
        <div ref={listRef}>
          <VirtualList
            items={rows}
            label={
              scope === 'folder'
                ? `Keys in ${prefix === '' ? 'the root folder' : prefix}`
                : `Keys under ${prefix === '' ? 'the root' : prefix}`
            }
            estimate={scope === 'values' ? 64 : 44}
            rowKey={(row) => row.key}
            onPainted={onPainted}
            render={(row) => {
              const folder = row.key.endsWith('/');
              return (
                <div className="row kv-row">
                  <KvIcon folder={folder} />
                  <Link
                    className="row-title"
                    to={`/${dc}/kv/${encodePath(row.key)}${folder ? '' : '/edit'}`}
                    aria-label={`${folder ? 'Folder' : 'Key'} ${row.label}`}
                  >
                    {row.label}
                  </Link>
                  {row.snippet !== undefined && row.snippet !== '' && (
                    <code className="snippet">{row.snippet}</code>
                  )}
                </div>
              );
            }}
          />
        </div>
      )}
    </section>
  );
}

function KvIcon({ folder }: { folder: boolean }) {
  return (
    <svg className="kv-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
      {folder ? (
        <path d="M1 3.5h5l1.5 1.5H15v8.5H1z" fill="#e9b949" stroke="#a47a14" />
      ) : (
        <g fill="none" stroke="#5b616b" strokeWidth="1.6">
          <circle cx="5" cy="8" r="3" />
          <path d="M8 8h7M12.5 8v3M14.5 8v2" />
        </g>
      )}
    </svg>
  );
}

interface ValueSearch {
  matches: SearchMatch[] | undefined;
  total: number | undefined;
  error: Error | null;
}

/** Drives the search worker: it watches `url` and answers each `query`. */
function useValueSearch(url: string | null, query: string): ValueSearch {
  const worker = useRef<Worker | null>(null);
  const next = useRef(0);
  const secret = useToken()?.SecretID;
  const [state, setState] = useState<ValueSearch>({
    matches: undefined,
    total: undefined,
    error: null,
  });
  useEffect(() => {
    if (url === null) return;
    const created = new Worker(new URL('../workers/kv-search.worker.ts', import.meta.url), {
      type: 'module',
    });
    worker.current = created;
    setState({ matches: undefined, total: undefined, error: null });
    created.onmessage = (event: MessageEvent<SearchAnswer>) => {
      const message = event.data;
      if (message.type === 'error')
        setState((previous) => ({ ...previous, error: new Error(message.message) }));
      else if (message.type === 'results' && message.id === next.current) {
        setState({ matches: message.matches, total: message.total, error: null });
      }
    };
    created.postMessage({ type: 'watch', url: new URL(url, document.baseURI).href, token: secret });
    return () => {
      created.terminate();
      worker.current = null;
    };
  }, [url, secret]);
  useEffect(() => {
    if (url === null || worker.current === null) return;
    next.current += 1;
    worker.current.postMessage({ type: 'query', id: next.current, text: query });
  }, [url, query]);
  return url === null ? { matches: undefined, total: undefined, error: null } : state;
}
