// What the ACL pages share: their types (as /v1/acl/* answers), the tabs between tokens,
// policies and roles, the checkbox lists that link policies and roles, and where a 400 from
// the agent is shown (next to the field it is about).
import { useId, type ReactNode } from 'react';
import { NavLink, useParams } from 'react-router';

import { ApiError, describeError } from '../../api/http';

export interface AclLink {
  ID: string;
  Name: string;
}

export interface AclToken {
  AccessorID: string;
  SecretID?: string;
  Description: string;
  Policies?: AclLink[] | null;
  Roles?: AclLink[] | null;
  Local: boolean;
  CreateTime?: string;
}

export interface AclPolicy {
  ID: string;
  Name: string;
  Description: string;
  Rules?: string;
  Datacenters?: string[] | null;
}

export interface AclRole {
  ID: string;
  Name: string;
  Description: string;
  Policies?: AclLink[] | null;
}

/** The built-in policy every management token links to: not editable, not deletable. */
export const GLOBAL_MANAGEMENT = '00000000-0000-0000-0000-000000000001';

const TABS = [
  { path: 'tokens', label: 'Tokens' },
  { path: 'policies', label: 'Policies' },
  { path: 'roles', label: 'Roles' },
] as const;

export function AclTabs() {
  const { dc = '' } = useParams();
  return (
    <nav aria-label="ACL" className="tabs acl-tabs">
      {TABS.map(({ path, label }) => (
        <NavLink key={path} to={`/${dc}/acls/${path}`}>
          {label}
        </NavLink>
      ))}
    </nav>
  );
}

/** A save's failure: a 400 about `field` (by the agent's words) goes next to that field. */
export interface SaveError {
  field: string | null;
  message: string;
  error: unknown;
}

export function saveError(error: unknown, fields: Record<string, RegExp>): SaveError {
  const message = describeError(error);
  if (error instanceof ApiError && error.status === 400) {
    for (const [field, pattern] of Object.entries(fields)) {
      if (pattern.test(error.message)) return { field, message: error.message, error };
    }
  }
  return { field: null, message, error };
}

/** The attributes and the message element for a field that `error` may be about. */
export function fieldError(
  error: SaveError | null,
  field: string,
  id: string,
): { props: { 'aria-invalid': boolean; 'aria-describedby'?: string }; node: ReactNode } {
  if (error === null || error.field !== field)
    return { props: { 'aria-invalid': false }, node: null };
  return {
    props: { 'aria-invalid': true, 'aria-describedby': `${id}-error` },
    node: (
      <p id={`${id}-error`} className="field-error" role="alert">
        {error.message}
      </p>
    ),
  };
}

/** Checkboxes choosing some of `options` (policies or roles) by ID. */
export function LinkChoices({
  legend,
  options,
  chosen,
  onChange,
}: {
  legend: string;
  options: readonly AclLink[];
  chosen: ReadonlySet<string>;
  onChange: (next: Set<string>) => void;
}) {
  const id = useId();
  return (
    <fieldset className="choices">
      <legend>{legend}</legend>
      {options.length === 0 && <p className="muted">There are none yet.</p>}
      {options.map((option) => (
        <label key={option.ID} htmlFor={`${id}-${option.ID}`}>
          <input
            id={`${id}-${option.ID}`}
            type="checkbox"
            checked={chosen.has(option.ID)}
            onChange={(event) => {
              const next = new Set(chosen);
              if (event.target.checked) next.add(option.ID);
              else next.delete(option.ID);
              onChange(next);
            }}
          />{' '}
          {option.Name}
        </label>
      ))}
    </fieldset>
  );
}

export function linkNames(links: readonly AclLink[] | null | undefined): string {
  return (links ?? []).map((link) => link.Name).join(', ');
}
