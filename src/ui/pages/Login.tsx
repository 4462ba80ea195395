// /ui/<dc>/login: log in with an ACL token's SecretID. The token is checked with
// /v1/acl/token/self before it is kept (localStorage), then the page asked for opens again.
import { useId, useState } from 'react';
import { useNavigate, useParams, useSearchParams } from 'react-router';

import { ApiError, apiUrl } from '../api/http';
import { storeToken, useToken } from '../api/token';
import { useTitle } from '../components/Layout';

interface TokenSelf {
  AccessorID: string;
  SecretID: string;
  Description: string;
}

export function Login() {
  const { dc = '' } = useParams();
  const [search] = useSearchParams();
  const navigate = useNavigate();
  const token = useToken();
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();
  useTitle('Log in');
  const next = search.get('next');
  const target = next !== null && next.startsWith('/') ? next : `/${dc}/services`;

  async function login(): Promise<void> {
    setBusy(true);
    setError(null);
    try {
      const response = await fetch(apiUrl('acl/token/self'), {
        headers: { 'x-consul-token': secret.trim() },
      });
      const text = (await response.text()).trim();
      if (!response.ok)
        throw new ApiError(response.status, text === '' ? response.statusText : text);
      const self = JSON.parse(text) as TokenSelf;
      storeToken({
        AccessorID: self.AccessorID,
        SecretID: secret.trim(),
        Description: self.Description,
      });
      navigate(target);
    } catch (caught) {
      setError(
        caught instanceof ApiError && caught.status === 403
          ? `This token was not accepted (${caught.message}).`
          : caught instanceof Error
            ? caught.message
            : String(caught),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="login-title">
      <div className="page-header">
        <h1 id="login-title">Log in</h1>
      </div>
      {token !== null && (
        <p className="notice" role="status">
          You are logged in with the token {token.AccessorID}. Logging in again replaces it.
        </p>
      )}
      <form
        className="kv-form"
        onSubmit={(event) => {
          event.preventDefault();
          void login();
        }}
      >
        <div className="field">
          <label htmlFor={id}>ACL token</label>
          <input
            id={id}
            type="password"
            value={secret}
            onChange={(event) => setSecret(event.target.value)}
            autoComplete="off"
            spellCheck={false}
            required
            aria-invalid={error !== null}
            aria-describedby={`${id}-help${error === null ? '' : ` ${id}-error`}`}
          />
          <p id={`${id}-help`} className="help">
            The token&apos;s SecretID. It is kept in this browser (localStorage) and sent with every
            request as X-Consul-Token.
          </p>
          {error !== null && (
            <p id={`${id}-error`} className="field-error" role="alert">
              {error}
            </p>
          )}
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || secret.trim() === ''}>
            Log in
          </button>
        </div>
      </form>
    </section>
  );
}
