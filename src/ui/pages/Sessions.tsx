// A node's sessions (/v1/session/node/<node>, live), each of which can be invalidated. An agent
// without the session endpoints answers 404 without an index: the tab says so plainly.
import { useState } from 'react';

import { useBlocking } from '../api/blocking';
import { ApiError, apiRequest, apiUrl, describeError, encodePath } from '../api/http';
import type { Session } from '../api/types';
import { Empty, ErrorNotice, Loading } from '../components/Status';

export function Sessions({ dc, node }: { dc: string; node: string }) {
  const sessions = useBlocking<Session[]>(apiUrl(`session/node/${encodePath(node)}`, { dc }));
  const [pending, setPending] = useState<string | null>(null);
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);

  if (
    sessions.error instanceof ApiError &&
    sessions.error.status === 404 &&
    !sessions.error.hasIndex
  ) {
    return (
      <div className="notice" role="status">
        Sessions are not available on this agent: it has no /v1/session endpoints.
      </div>
    );
  }
  if (sessions.error !== null && sessions.data === undefined)
    return <ErrorNotice error={sessions.error} />;
  if (sessions.data === undefined) return <Loading what="sessions" />;

  async function invalidate(session: Session): Promise<void> {
    if (!window.confirm(`Invalidate session ${session.ID}? Locks it holds are released.`)) return;
    setPending(session.ID);
    try {
      await apiRequest('PUT', apiUrl(`session/destroy/${encodePath(session.ID)}`, { dc }));
      setMessage({ error: false, text: `Session ${session.ID} was invalidated.` });
    } catch (error) {
      setMessage({
        error: true,
        text: `Session ${session.ID} could not be invalidated: ${describeError(error)}`,
      });
    } finally {
      setPending(null);
    }
  }

  return (
    <>
      {message !== null && (
        <div
          className={`notice ${message.error ? 'notice-error' : 'notice-ok'}`}
          role={message.error ? 'alert' : 'status'}
        >
          {message.text}
        </div>
      )}
      {sessions.data.length === 0 ? (
        <Empty>There are no sessions on this node.</Empty>
      ) : (
        <table className="table">
          <caption className="visually-hidden">Lock sessions on {node}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">ID</th>
              <th scope="col">Behavior</th>
              <th scope="col">TTL</th>
              <th scope="col">Lock delay</th>
              <th scope="col">Checks</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sessions.data.map((session) => (
              <tr key={session.ID}>
                <td>
                  {session.Name === '' ? <span className="muted">(unnamed)</span> : session.Name}
                </td>
                <td>
                  <code>{session.ID}</code>
                </td>
                <td>{session.Behavior}</td>
                <td>{session.TTL === '' ? '—' : session.TTL}</td>
                <td>{formatNanoseconds(session.LockDelay)}</td>
                <td>{sessionChecks(session).join(', ') || '—'}</td>
                <td>
                  <button
                    type="button"
                    className="danger"
                    disabled={pending === session.ID}
                    onClick={() => void invalidate(session)}
                    aria-label={`Invalidate session ${session.Name || session.ID}`}
                  >
                    Invalidate
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function sessionChecks(session: Session): string[] {
  return [
    ...(session.Checks ?? []),
    ...(session.NodeChecks ?? []),
    ...(session.ServiceChecks ?? []).map((check) => check.ID),
  ].filter((check, index, all) => all.indexOf(check) === index);
}

function formatNanoseconds(ns: number): string {
  if (ns === 0) return '0s';
  const ms = ns / 1e6;
  return ms >= 1000 ? `${ms / 1000}s` : `${ms}ms`;
}
