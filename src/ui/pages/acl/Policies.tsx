// /ui/<dc>/acls/policies: the ACL policies, and a policy's page (/acls/policies/<id>,
// /acls/policies/create) where its rules are edited as HCL text. The agent parses the rules:
// its 400 is shown next to the field it is about.
import { useEffect, useId, useState } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router';

import { useBlocking } from '../../api/blocking';
import { apiJson, apiUrl, encodePath } from '../../api/http';
import { useTitle } from '../../components/Layout';
import { Empty, ErrorNotice, Loading } from '../../components/Status';
import {
  AclTabs,
  fieldError,
  GLOBAL_MANAGEMENT,
  saveError,
  type AclPolicy,
  type SaveError,
} from './common';

export function PoliciesList() {
  const { dc = '' } = useParams();
  useTitle('Policies');
  const policies = useBlocking<AclPolicy[]>(apiUrl('acl/policies', { dc }));
  return (
    <section aria-labelledby="policies-title">
      <div className="page-header">
        <h1 id="policies-title">Policies</h1>
        {policies.data !== undefined && <span className="count">{policies.data.length} total</span>}
        <div className="actions">
          <Link className="button primary" to={`/${dc}/acls/policies/create`}>
            Create policy
          </Link>
        </div>
      </div>
      <AclTabs />
      {policies.error !== null && (
        <ErrorNotice error={policies.error} title="Policies could not be read." />
      )}
      {policies.data === undefined ? (
        policies.error === null && <Loading what="policies" />
      ) : policies.data.length === 0 ? (
        <Empty>There are no policies.</Empty>
      ) : (
        <table className="table">
          <caption className="visually-hidden">ACL policies</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
              <th scope="col">Datacenters</th>
            </tr>
          </thead>
          <tbody>
            {policies.data.map((policy) => (
              <tr key={policy.ID}>
                <td>
                  <Link to={`/${dc}/acls/policies/${encodePath(policy.ID)}`}>{policy.Name}</Link>
                </td>
                <td>{policy.Description}</td>
                <td>{(policy.Datacenters ?? []).join(', ') || 'all'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const POLICY_FIELDS = { rules: /rules/i, name: /name/i, description: /description/i };

export function PolicyEdit() {
  const { dc = '', id = 'create' } = useParams();
  const creating = id === 'create';
  const navigate = useNavigate();
  const location = useLocation();
  useTitle(creating ? 'New policy' : 'Policy');
  const policy = useBlocking<AclPolicy>(
    creating ? null : apiUrl(`acl/policy/${encodePath(id)}`, { dc }),
    { once: true },
  );
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [rules, setRules] = useState('');
  const [error, setError] = useState<SaveError | null>(null);
  const [busy, setBusy] = useState(false);
  const saved = (location.state as { saved?: string } | null)?.saved;
  const nameId = useId();
  const descriptionId = useId();
  const rulesId = useId();
  const builtin = id === GLOBAL_MANAGEMENT;

  useEffect(() => {
    if (policy.data === undefined) return;
    setName(policy.data.Name);
    setDescription(policy.data.Description);
    setRules(policy.data.Rules ?? '');
  }, [policy.data]);

  async function save(): Promise<void> {
    setBusy(true);
    setError(null);
    const body = {
      ...(creating ? {} : { ID: id }),
      Name: name,
      Description: description,
      Rules: rules,
      Datacenters: policy.data?.Datacenters ?? [],
    };
    try {
      const stored = await apiJson<AclPolicy>(
        'PUT',
        apiUrl(creating ? 'acl/policy' : `acl/policy/${encodePath(id)}`, { dc }),
        JSON.stringify(body),
      );
      navigate(`/${dc}/acls/policies/${encodePath(stored.ID)}`, {
        replace: !creating,
        state: {
          saved: creating ? `Policy ${stored.Name} created.` : `Policy ${stored.Name} saved.`,
        },
      });
    } catch (caught) {
      setError(saveError(caught, POLICY_FIELDS));
    } finally {
      setBusy(false);
    }
  }

  async function remove(): Promise<void> {
    if (!window.confirm(`Delete the policy ${name}? Tokens and roles linked to it lose it.`))
      return;
    setBusy(true);
    setError(null);
    try {
      await apiJson<boolean>('DELETE', apiUrl(`acl/policy/${encodePath(id)}`, { dc }));
      navigate(`/${dc}/acls/policies`);
    } catch (caught) {
      setError(saveError(caught, {}));
    } finally {
      setBusy(false);
    }
  }

  const nameError = fieldError(error, 'name', nameId);
  const descriptionError = fieldError(error, 'description', descriptionId);
  const rulesError = fieldError(error, 'rules', rulesId);

  return (
    <section aria-labelledby="policy-title">
      <div className="page-header">
        <h1 id="policy-title">{creating ? 'New policy' : (policy.data?.Name ?? 'Policy')}</h1>
      </div>
      <AclTabs />
      {saved !== undefined && error === null && (
        <p className="notice notice-ok" role="status">
          {saved}
        </p>
      )}
      {policy.error !== null && (
        <ErrorNotice error={policy.error} title="The policy could not be read." />
      )}
      {builtin && (
        <p className="notice">
          This is the built-in policy of management tokens: it grants every permission and cannot be
          changed or deleted.
        </p>
      )}
      {!creating && policy.data === undefined ? (
        policy.error === null && <Loading what="the policy" />
      ) : (
        <form
          className="kv-form"
          onSubmit={(event) => {
            event.preventDefault();
            void save();
          }}
        >
          <div className="field">
            <label htmlFor={nameId}>Name</label>
            <input
              id={nameId}
              type="text"
              value={name}
              onChange={(event) => setName(event.target.value)}
              autoComplete="off"
              spellCheck={false}
              required
              readOnly={builtin}
              {...nameError.props}
            />
            {nameError.node}
          </div>
          <div className="field">
            <label htmlFor={descriptionId}>Description</label>
            <input
              id={descriptionId}
              type="text"
              value={description}
              onChange={(event) => setDescription(event.target.value)}
              autoComplete="off"
              readOnly={builtin}
              {...descriptionError.props}
            />
            {descriptionError.node}
          </div>
          <div className="field">
            <label htmlFor={rulesId}>Rules (HCL)</label>
            <textarea
              id={rulesId}
              className="code"
              rows={14}
              spellCheck={false}
              wrap="off"
              value={rules}
              readOnly={builtin}
              placeholder={'service_prefix "" {\n  policy = "read"\n}'}
              onChange={(event) => setRules(event.target.value)}
              {...rulesError.props}
            />
            {rulesError.node}
          </div>
          {error !== null && error.field === null && <ErrorNotice error={error.error} />}
          {!builtin && (
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
          )}
        </form>
      )}
    </section>
  );
}
