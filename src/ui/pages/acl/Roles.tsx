// /ui/<dc>/acls/roles: the ACL roles (named sets of policies), and a role's page
// (/acls/roles/<id>, /acls/roles/create) to read, create, edit or delete it.
import { useEffect, useId, useState } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router';

import { useBlocking } from '../../api/blocking';
import { apiJson, apiUrl, encodePath } from '../../api/http';
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
  type SaveError,
} from './common';

export function RolesList() {
  const { dc = '' } = useParams();
  useTitle('Roles');
  const roles = useBlocking<AclRole[]>(apiUrl('acl/roles', { dc }));
  return (
    <section aria-labelledby="roles-title">
      <div className="page-header">
        <h1 id="roles-title">Roles</h1>
        {roles.data !== undefined && <span className="count">{roles.data.length} total</span>}
        <div className="actions">
          <Link className="button primary" to={`/${dc}/acls/roles/create`}>
            Create role
          </Link>
        </div>
      </div>
      <AclTabs />
      {roles.error !== null && <ErrorNotice error={roles.error} title="Roles could not be read." />}
      {roles.data === undefined ? (
        roles.error === null && <Loading what="roles" />
      ) : roles.data.length === 0 ? (
        <Empty>There are no roles.</Empty>
      ) : (
        <table className="table">
          <caption className="visually-hidden">ACL roles</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
              <th scope="col">Policies</th>
            </tr>
          </thead>
          <tbody>
            {roles.data.map((role) => (
              <tr key={role.ID}>
                <td>
                  <Link to={`/${dc}/acls/roles/${encodePath(role.ID)}`}>{role.Name}</Link>
                </td>
                <td>{role.Description}</td>
                <td>{linkNames(role.Policies)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const ROLE_FIELDS = { name: /name/i, description: /description/i, policies: /polic/i };

export function RoleEdit() {
  const { dc = '', id = 'create' } = useParams();
  const creating = id === 'create';
  const navigate = useNavigate();
  const location = useLocation();
  useTitle(creating ? 'New role' : 'Role');
  const role = useBlocking<AclRole>(
    creating ? null : apiUrl(`acl/role/${encodePath(id)}`, { dc }),
    { once: true },
  );
  const policies = useBlocking<AclPolicy[]>(apiUrl('acl/policies', { dc }));
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [error, setError] = useState<SaveError | null>(null);
  const [busy, setBusy] = useState(false);
  const saved = (location.state as { saved?: string } | null)?.saved;
  const nameId = useId();
  const descriptionId = useId();

  useEffect(() => {
    if (role.data === undefined) return;
    setName(role.data.Name);
    setDescription(role.data.Description);
    setChosen(new Set((role.data.Policies ?? []).map((link) => link.ID)));
  }, [role.data]);

  async function save(): Promise<void> {
    setBusy(true);
    setError(null);
    const body = {
      ...(creating ? {} : { ID: id }),
      Name: name,
      Description: description,
      Policies: [...chosen].map((ID) => ({ ID })),
    };
    try {
      const stored = await apiJson<AclRole>(
        'PUT',
        apiUrl(creating ? 'acl/role' : `acl/role/${encodePath(id)}`, { dc }),
        JSON.stringify(body),
      );
      navigate(`/${dc}/acls/roles/${encodePath(stored.ID)}`, {
        replace: !creating,
        state: { saved: creating ? `Role ${stored.Name} created.` : `Role ${stored.Name} saved.` },
      });
    } catch (caught) {
      setError(saveError(caught, ROLE_FIELDS));
    } finally {
      setBusy(false);
    }
  }

  async function remove(): Promise<void> {
    if (!window.confirm(`Delete the role ${name}? Tokens linked to it lose it.`)) return;
    setBusy(true);
    setError(null);
    try {
      await apiJson<boolean>('DELETE', apiUrl(`acl/role/${encodePath(id)}`, { dc }));
      navigate(`/${dc}/acls/roles`);
    } catch (caught) {
      setError(saveError(caught, {}));
    } finally {
      setBusy(false);
    }
  }

  const nameError = fieldError(error, 'name', nameId);
  const descriptionError = fieldError(error, 'description', descriptionId);
  const policiesError = fieldError(error, 'policies', `${nameId}-policies`);

  return (
    <section aria-labelledby="role-title">
      <div className="page-header">
        <h1 id="role-title">{creating ? 'New role' : (role.data?.Name ?? 'Role')}</h1>
      </div>
      <AclTabs />
      {saved !== undefined && error === null && (
        <p className="notice notice-ok" role="status">
          {saved}
        </p>
      )}
      {role.error !== null && (
        <ErrorNotice error={role.error} title="The role could not be read." />
      )}
      {!creating && role.data === undefined ? (
        role.error === null && <Loading what="the role" />
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
              {...descriptionError.props}
            />
            {descriptionError.node}
          </div>
          <div className="field">
            <LinkChoices
              legend="Policies"
              options={policies.data ?? []}
              chosen={chosen}
              onChange={setChosen}
            />
            {policiesError.node}
          </div>
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
      )}
    </section>
  );
}
