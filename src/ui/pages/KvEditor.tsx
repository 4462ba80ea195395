// Creating or editing one key. The value is edited in a plain text area (fast at 512 KiB: it is
// not re-rendered per keystroke) or in the code view, where the chosen language (JSON, YAML,
// CSV) is validated in a worker before saving. Saves and deletes use check-and-set on the
// ModifyIndex the editor started from, so an edit made meanwhile by someone else is never
// overwritten: the agent refuses it and the page says so. The key stays live: a change by
// someone else is shown as it happens.
import { useEffect, useId, useRef, useState } from 'react';
import { useNavigate } from 'react-router';

import { useBlocking } from '../api/blocking';
import { describeError, encodePath } from '../api/http';
import { decodeValue, deleteWithCas, kvUrl, lastSegment, putWithCas } from '../api/kv';
import type { KvPair } from '../api/types';
import { KvBreadcrumbs } from '../components/KvBreadcrumbs';
import { ErrorNotice, Loading } from '../components/Status';
import { markPaintedOnce } from '../perf';
import type { Language, ValidateAnswer } from '../workers/validate.worker';

type Notice = { kind: 'error' | 'ok' | 'warning'; text: string };

/** `folder` set: create a key in it; `keyName` set: edit that key. */
export function KvEditor({
  dc,
  folder,
  keyName,
}: {
  dc: string;
  folder: string | null;
  keyName: string | null;
}) {
  const live = useBlocking<KvPair[] | null>(keyName === null ? null : kvUrl(dc, keyName), {
    notFound: null,
  });
  const navigate = useNavigate();
  const textRef = useRef<HTMLTextAreaElement>(null);
  const nameId = useId();
  const valueId = useId();
  const languageId = useId();
  const [name, setName] = useState('');
  const [code, setCode] = useState(false);
  const [language, setLanguage] = useState<Language>('json');
  const [notice, setNotice] = useState<Notice | null>(null);
  const [busy, setBusy] = useState(false);
  const [dirty, setDirty] = useState(false);
  /** The version the editor holds: its ModifyIndex is the CAS guard. */
  const [base, setBase] = useState<KvPair | null>(null);
  const validator = useValidator();

  const current = live.data === undefined || live.data === null ? null : live.data[0];
  // Load the live value into the editor until the user starts typing.
  useEffect(() => {
    if (current === null || dirty) return;
    if (base !== null && base.ModifyIndex === current.ModifyIndex) return;
    setBase(current);
    const decoded = decodeValue(current.Value);
    if (textRef.current !== null) textRef.current.value = decoded.text ?? '';
    markPaintedOnce('ui:kv-key:painted');
  }, [current, dirty, base]);

  const changedMeanwhile =
    dirty && base !== null && current !== null && current.ModifyIndex !== base.ModifyIndex;
  const deletedMeanwhile = keyName !== null && base !== null && live.data === null;
  const decoded = base === null ? null : decodeValue(base.Value);
  const binary = decoded !== null && decoded.text === null;
  const fullKey = keyName ?? `${folder ?? ''}${name}`;

  async function save(): Promise<void> {
    const value = textRef.current?.value ?? '';
    if (keyName === null && name.trim() === '') {
      setNotice({ kind: 'error', text: 'Enter a name for the key.' });
      return;
    }
    setBusy(true);
    setNotice(null);
    try {
      if (code && language !== 'text') {
        const error = await validator(language, value);
        if (error !== null) {
          setNotice({ kind: 'error', text: `Not saved: ${error}` });
          return;
        }
      }
      if (keyName === null) {
        const created = await putWithCas(dc, fullKey, fullKey.endsWith('/') ? '' : value, 0, 0);
        if (!created) {
          setNotice({
            kind: 'error',
            text: `Not saved: a key named ${fullKey} already exists, and it was not overwritten.`,
          });
          return;
        }
        navigate(
          fullKey.endsWith('/')
            ? `/${dc}/kv/${encodePath(fullKey)}`
            : `/${dc}/kv/${encodePath(fullKey)}/edit`,
        );
        return;
      }
      const cas = base?.ModifyIndex ?? 0;
      const saved = await putWithCas(dc, fullKey, value, cas, base?.Flags ?? 0);
      if (!saved) {
        setNotice({
          kind: 'error',
          text: `Not saved: someone else changed ${fullKey} after you opened it (you edited version ${cas}${
            current !== null
              ? `, it is now at ${current.ModifyIndex}`
              : ', it has since been deleted'
          }). Your text is still here: load their version and apply your change again.`,
        });
        return;
      }
      setDirty(false);
      setNotice({ kind: 'ok', text: `Saved ${fullKey}.` });
    } catch (error) {
      setNotice({ kind: 'error', text: `Not saved: ${describeError(error)}` });
    } finally {
      setBusy(false);
    }
  }

  async function remove(): Promise<void> {
    if (keyName === null || base === null) return;
    if (!window.confirm(`Delete ${keyName}?`)) return;
    setBusy(true);
    try {
      const deleted = await deleteWithCas(dc, keyName, base.ModifyIndex);
      if (!deleted) {
        setNotice({
          kind: 'error',
          text: `Not deleted: someone else changed ${keyName} after you opened it. Look at their version first.`,
        });
        return;
      }
      navigate(
        `/${dc}/kv/${encodePath(keyName.slice(0, keyName.length - lastSegment(keyName).length))}`,
      );
    } catch (error) {
      setNotice({ kind: 'error', text: `Not deleted: ${describeError(error)}` });
    } finally {
      setBusy(false);
    }
  }

  function loadLatest(): void {
    setDirty(false);
    setBase(null);
    setNotice(null);
  }

  if (keyName !== null && live.data === undefined) {
    return live.error !== null ? (
      <ErrorNotice error={live.error} title="The key could not be read." />
    ) : (
      <Loading what="the key" />
    );
  }
  const missing = keyName !== null && live.data === null && base === null;

  return (
    <section aria-labelledby="kv-editor-title">
      <KvBreadcrumbs dc={dc} path={keyName ?? folder ?? ''} />
      <h1 id="kv-editor-title">{keyName === null ? 'New key' : lastSegment(keyName)}</h1>
      {missing && (
        <div className="notice notice-error" role="alert">
          There is no key named {keyName}.
        </div>
      )}
      {changedMeanwhile && (
        <div className="notice notice-warning" role="alert">
          Someone else changed this key while you were editing (now version {current?.ModifyIndex}).
          Saving your text would be refused.{' '}
          <button type="button" onClick={loadLatest}>
            Load their version
          </button>
        </div>
      )}
      {deletedMeanwhile && (
        <div className="notice notice-warning" role="alert">
          Someone else deleted this key while you were viewing it.
        </div>
      )}
      {notice !== null && (
        <div
          className={`notice notice-${notice.kind}`}
          role={notice.kind === 'ok' ? 'status' : 'alert'}
        >
          {notice.text}
        </div>
      )}
      {!missing && (
        <form
          className="kv-form"
          onSubmit={(event) => {
            event.preventDefault();
            void save();
          }}
        >
          {keyName === null && (
            <div className="field">
              <label htmlFor={nameId}>Key or folder name</label>
              <div className="key-name">
                {folder !== null && folder !== '' && <code className="muted">{folder}</code>}
                <input
                  id={nameId}
                  value={name}
                  onChange={(event) => setName(event.target.value)}
                  autoComplete="off"
                  spellCheck={false}
                  aria-describedby={`${nameId}-help`}
                  required
                />
              </div>
              <p id={`${nameId}-help`} className="help">
                End the name with / to create a folder.
              </p>
            </div>
          )}
          <div className="field">
            <div className="value-toolbar">
              <label htmlFor={valueId}>Value</label>
              <label className="toggle">
                <input
                  type="checkbox"
                  checked={code}
                  onChange={(event) => setCode(event.target.checked)}
                />{' '}
                Code
              </label>
              {code && (
                <span>
                  <label htmlFor={languageId} className="visually-hidden">
                    Language
                  </label>
                  <select
                    id={languageId}
                    value={language}
                    onChange={(event) => setLanguage(event.target.value as Language)}
                  >
                    <option value="json">JSON</option>
                    <option value="yaml">YAML</option>
                    <option value="csv">CSV</option>
                    <option value="text">Plain text</option>
                  </select>
                </span>
              )}
              {decoded !== null && <span className="muted">{formatBytes(decoded.bytes)}</span>}
              {base !== null && <span className="muted">version {base.ModifyIndex}</span>}
            </div>
            {binary ? (
              <p className="notice">
                This value is binary ({formatBytes(decoded?.bytes ?? 0)}, not UTF-8 text); it cannot
                be edited here.
              </p>
            ) : (
              <textarea
                id={valueId}
                ref={textRef}
                className={code ? 'code' : undefined}
                rows={code ? 20 : 10}
                spellCheck={false}
                wrap={code ? 'off' : 'soft'}
                disabled={fullKey.endsWith('/')}
                onInput={() => {
                  if (!dirty) setDirty(true);
                }}
              />
            )}
          </div>
          <div className="actions">
            <button type="submit" className="primary" disabled={busy || binary}>
              {keyName === null ? 'Create' : 'Save'}
            </button>
            {keyName !== null && (
              <button
                type="button"
                className="danger"
                disabled={busy || base === null}
                onClick={() => void remove()}
              >
                Delete
              </button>
            )}
          </div>
        </form>
      )}
    </section>
  );
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KiB`;
}

/** One validation worker per editor; each call resolves with the first error or null. */
function useValidator(): (language: Language, text: string) => Promise<string | null> {
  const worker = useRef<Worker | null>(null);
  const waiting = useRef(new Map<number, (error: string | null) => void>());
  const next = useRef(0);
  useEffect(() => {
    const created = new Worker(new URL('../workers/validate.worker.ts', import.meta.url), {
      type: 'module',
    });
    created.onmessage = (event: MessageEvent<ValidateAnswer>) => {
      waiting.current.get(event.data.id)?.(event.data.error);
      waiting.current.delete(event.data.id);
    };
    worker.current = created;
    return () => created.terminate();
  }, []);
  return (language, text) =>
    new Promise((resolve) => {
      next.current += 1;
      waiting.current.set(next.current, resolve);
      worker.current?.postMessage({ id: next.current, language, text });
    });
}
