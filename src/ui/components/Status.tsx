// Loading, error and empty states, announced to screen readers. A 403 says that the token
// lacks permission and offers to log in with another one, rather than showing an empty page.
import type { ReactNode } from 'react';
import { Link, useLocation, useParams } from 'react-router';

import { describeError, isPermissionError } from '../api/http';
import { useToken } from '../api/token';

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      Loading {what}…
    </p>
  );
}

export function ErrorNotice({ error, title }: { error: unknown; title?: string }) {
  if (isPermissionError(error)) return <PermissionNotice message={error.message} />;
  return (
    <div className="notice notice-error" role="alert">
      {title !== undefined && <strong>{title}</strong>} {describeError(error)}
    </div>
  );
}

/** The link to the login page, coming back here afterwards. */
export function LoginLink({ children }: { children: ReactNode }) {
  const { dc = '' } = useParams();
  const location = useLocation();
  const next = `${location.pathname}${location.search}`;
  return <Link to={`/${dc}/login?next=${encodeURIComponent(next)}`}>{children}</Link>;
}

export function PermissionNotice({ message }: { message: string }) {
  const token = useToken();
  return (
    <div className="notice notice-error" role="alert">
      <strong>
        {token === null
          ? 'You are not logged in, and the anonymous token lacks permission to see this.'
          : 'Your token lacks permission to see this.'}
      </strong>{' '}
      <span className="muted">({message})</span>{' '}
      <LoginLink>{token === null ? 'Log in with a token' : 'Log in with another token'}</LoginLink>
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}
