// /ui/<dc>/acls/tokens: the ACL tokens (description, policies, roles), and a token's page
// (/acls/tokens/<accessor>, /acls/tokens/create) to read, create, edit, delete or use it.
import { useEffect, useId, useState } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router';

import { useBlocking } from '../../api/blocking';
import { apiJson, apiUrl, encodePath } from '../../api/http';
import { storeToken, useToken } from '../../api/token';
import { useTitle } from '../../components/Layout';
import { Empty, ErrorNotice, Loading } from '../../components/Status';
import {
  AclTabs,
  fieldError,
  linkNames,
  LinkChoices,
  saveError,
  type AclPolicy,
  type AclRole,
  type AclToken,
  type SaveError,
} from './common';

export function TokensList() {
  const { dc = '' } = useParams();
  useTitle('Tokens');
  const tokens = useBlocking<AclToken[]>(apiUrl('acl/tokens', { dc }));
  const mine = useToken();
  return (
    <section aria-labelledby="tokens-title">
      <div className="page-header">
        <h1 id="tokens-title">Tokens</h1>
        {tokens.data !== undefined && <span className="count">{tokens.data.length} total</span>}
        <div className="actions">
          <Link className="button primary" to={`/${dc}/acls/tokens/create`}>
            Create token
          </Link>
        </div>
      </div>
      <AclTabs />
      {tokens.error !== null && (
        <ErrorNotice error={tokens.error} title="Tokens could not be read." />
      )}
      {tokens.data === undefined ? (
        tokens.error === null && <Loading what="tokens" />
      ) : tokens.data.length === 0 ? (
        <Empty>There are no tokens.</Empty>
      ) : (
        <table className="table">
          <caption className="visually-hidden">ACL tokens</caption>
          <thead>
            <tr>
              <th scope="col">Accessor ID</th>
              <th scope="col">Description</th>
              <th scope="col">Policies</th>
              <th scope="col">Roles</th>
              <th scope="col">Scope</th>
            </tr>
          </thead>
          <tbody>
            {tokens.data.map((token) => (
              <tr key={token.AccessorID}>
                <td>
                  <Link
                    className="secret"
                    to={`/${dc}/acls/tokens/${encodePath(token.AccessorID)}`}
                  >
                    {token.AccessorID}
                  </Link>
                  {mine?.AccessorID === token.AccessorID && <span className="muted"> (yours)</span>}
                </td>
                <td>{token.Description}</td>
                <td>{linkNames(token.Policies)}</td>
                <td>{linkNames(token.Roles)}</td>
                <td>{token.Local ? 'local' : 'global'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const TOKEN_FIELDS = { description: /description/i, policies: /polic/i, roles: /role/i };

export function TokenEdit() {
  const { dc = '', id = 'create' } = useParams();
  const creating = id === 'create';
  const navigate = useNavigate();
  const location = useLocation();
  const mine = useToken();
  useTitle(creating ? 'New token' : 'Token');
  const token = useBlocking<AclToken>(
    creating ? null : apiUrl(`acl/token/${encodePath(id)}`, { dc }),
    { once: true },
  );
  const policies = useBlocking<AclPolicy[]>(apiUrl('acl/policies', { dc }));
  const roles = useBlocking<AclRole[]>(apiUrl('acl/roles', { dc }));
  const [description, setDescription] = useState('');
  const [chosenPolicies, setChosenPolicies] = useState<Set<string>>(new Set());
  const [chosenRoles, setChosenRoles] = useState<Set<string>>(new Set());
  const [local, setLocal] = useState(false);
  const [error, setError] = useState<SaveError | null>(null);
  const [busy, setBusy] = useState(false);
  const saved = (location.state as { saved?: string } | null)?.saved;
  const descriptionId = useId();

  useEffect(() => {
    if (token.data === undefined) return;
    setDescription(token.data.Description);
    setChosenPolicies(new Set((token.data.Policies ?? []).map((link) => link.ID)));
    setChosenRoles(new Set((token.data.Roles ?? []).map((link) => link.ID)));
    setLocal(token.data.Local);
  }, [token.data]);

  async function save(): Promise<void> {
    setBusy(true);
    setError(null);
    const body = {
      ...(creating ? {} : { AccessorID: id }),
      Description: description,
      Policies: [...chosenPolicies].map((ID) => ({ ID })),
      Roles: [...chosenRoles].map((ID) => ({ ID })),
      Local: local,
    };
    try {
      const stored = await apiJson<AclToken>(
        'PUT',
        apiUrl(creating ? 'acl/token' : `acl/token/${encodePath(id)}`, { dc }),
        JSON.stringify(body),
      );
      navigate(`/${dc}/acls/tokens/${encodePath(stored.AccessorID)}`, {
        replace: !creating,
        state: { saved: creating ? 'Token created.' : 'Token saved.' },
      });
    } catch (caught) {
      setError(saveError(caught, TOKEN_FIELDS));
    } finally {
      setBusy(false);
    }
  }

  async function remove(): Promise<void> {
    if (!window.confirm(`Delete the token ${id}? Whoever uses it loses its permissions.`)) return;
    setBusy(true);
    setError(null);
    try {
      await apiJson<boolean>('DELETE', apiUrl(`acl/token/${encodePath(id)}`, { dc }));
      navigate(`/${dc}/acls/tokens`);
    } catch (caught) {
      setError(saveError(caught, {}));
    } finally {
      setBusy(false);
    }
  }

  const descriptionError = fieldError(error, 'description', descriptionId);
  const policiesError = fieldError(error, 'policies', `${descriptionId}-policies`);
  const rolesError = fieldError(error, 'roles', `${descriptionId}-roles`);
  const loaded = creating || token.data !== undefined;

  return (
    <section aria-labelledby="token-title">
      <div className="page-header">
        <h1 id="token-title">{creating ? 'New token' : token.data?.Description || 'Token'}</h1>
      </div>
      <AclTabs />
      {saved !== undefined && error === null && (
        <p className="notice notice-ok" role="status">
          {saved}
        </p>
      )}
      {token.error !== null && (
        <ErrorNotice error={token.error} title="The token could not be read." />
      )}
      {!loaded ? (
        token.error === null && <Loading what="the token" />
      ) : (
        <>
          {token.data !== undefined && (
            <dl className="meta" aria-label="Token">
              <div>
                <dt>Accessor ID</dt>
                <dd className="secret">{token.data.AccessorID}</dd>
              </div>
              {token.data.SecretID !== undefined && (
                <div>
                  <dt>Secret ID</dt>
                  <dd className="secret">{token.data.SecretID}</dd>
                </div>
              )}
              <div>
                <dt>Scope</dt>
                <dd>{token.data.Local ? 'local' : 'global'}</dd>
              </div>
            </dl>
          )}
          {token.data?.SecretID !== undefined && (
            <div className="actions">
              <button
                type="button"
                disabled={mine?.SecretID === token.data.SecretID}
                onClick={() => {
                  storeToken({
                    AccessorID: token.data?.AccessorID ?? '',
                    SecretID: token.data?.SecretID ?? '',
                    Description: token.data?.Description,
                  });
                  // The page is read again with the new token: the last save's notice is stale.
                  navigate(location.pathname, { replace: true, state: null });
                }}
              >
                {mine?.SecretID === token.data.SecretID ? 'In use by you' : 'Use this token'}
              </button>
            </div>
          )}
          <form
            className="kv-form"
            onSubmit={(event) => {
              event.preventDefault();
              void save();
            }}
          >
            <div className="field">
              <label htmlFor={descriptionId}>Description</label>
              <input
                id={descriptionId}
                type="text"
                value={description}
                onChange={(event) => setDescription(event.target.value)}
                autoComplete="off"
                {...descriptionError.props}
              />
              {descriptionError.node}
            </div>
            <div className="field">
              <LinkChoices
                legend="Policies"
                options={policies.data ?? []}
                chosen={chosenPolicies}
                onChange={setChosenPolicies}
              />
              {policiesError.node}
            </div>
            <div className="field">
              <LinkChoices
                legend="Roles"
                options={roles.data ?? []}
                chosen={chosenRoles}
                onChange={setChosenRoles}
              />
              {rolesError.node}
            </div>
            <label className="toggle">
              <input
                type="checkbox"
                checked={local}
                disabled={!creating}
                onChange={(event) => setLocal(event.target.checked)}
              />{' '}
              Local to this datacenter
            </label>
            {error !== null && error.field === null && <ErrorNotice error={error.error} />}
            <div className="actions">
              <button type="submit" className="primary" disabled={busy}>
                {creating ? 'Create' : 'Save'}
              </button>
              {!creating && (
                <button
                  type="button"
                  className="danger"
                  disabled={busy}
                  onClick={() => void remove()}
                >
                  Delete
                </button>
              )}
            </div>
          </form>
        </>
      )}
    </section>
  );
}
