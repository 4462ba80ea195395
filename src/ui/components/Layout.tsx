// The frame of every page: a skip link, the header with the datacenter switcher and the main
// navigation (with ACL and the login state when ACLs are on), then the page. The datacenter is
// the first segment of every URL.
import { useEffect, useRef } from 'react';
import { NavLink, Outlet, useLocation, useNavigate, useParams } from 'react-router';

import { useBlocking } from '../api/blocking';
import { apiUrl } from '../api/http';
import { storeToken, useToken } from '../api/token';
import { readSettings } from '../settings';
import { LoginLink } from './Status';

const SECTIONS = [
  { path: 'services', label: 'Services' },
  { path: 'nodes', label: 'Nodes' },
  { path: 'kv', label: 'Key/Value' },
] as const;

const ACL_SECTION = { path: 'acls', label: 'ACL' } as const;
const { aclsEnabled } = readSettings();

export function Layout() {
  const { dc = '' } = useParams();
  const location = useLocation();
  const navigate = useNavigate();
  const datacenters = useBlocking<string[]>(apiUrl('catalog/datacenters'));
  const known = datacenters.data ?? [dc];
  const token = useToken();
  const sections = aclsEnabled ? [...SECTIONS, ACL_SECTION] : SECTIONS;
  const section = location.pathname.split('/')[2] ?? 'services';
  useFocusOnNavigation(location.pathname);

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <div className="brand" aria-label="Consulate">
          <svg viewBox="0 0 32 32" width="24" height="24" aria-hidden="true">
            <circle cx="16" cy="16" r="14" fill="#c62a71" />
            <circle cx="16" cy="16" r="6" fill="#fff" />
          </svg>
          <span>Consulate</span>
        </div>
        <label className="dc-switcher">
          <span>Datacenter</span>
          <select value={dc} onChange={(event) => navigate(`/${event.target.value}/${section}`)}>
            {(known.includes(dc) ? known : [dc, ...known]).map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <nav aria-label="Main">
          <ul>
            {sections.map(({ path, label }) => (
              <li key={path}>
                <NavLink to={`/${dc}/${path}`}>{label}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
        {aclsEnabled && (
          <div className="session">
            {token === null ? (
              section !== 'login' && <LoginLink>Log in</LoginLink>
            ) : (
              <>
                <span className="muted" title={`Token ${token.AccessorID}`}>
                  Logged in
                  {token.Description !== undefined && token.Description !== ''
                    ? ` as ${token.Description}`
                    : ''}
                </span>
                <button type="button" onClick={() => storeToken(null)}>
                  Log out
                </button>
              </>
            )}
          </div>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {aclsEnabled && token === null && section !== 'login' && (
          <div className="notice notice-warning" role="status">
            ACLs are enabled and you are not logged in: you see only what the anonymous token may
            read. <LoginLink>Log in with a token</LoginLink>
          </div>
        )}
        <Outlet />
      </main>
    </>
  );
}

/**
 * After a navigation inside the app (not the first load) the focus goes to the page's content,
 * so that keyboard and screen-reader users start at the new page, not at a vanished link.
 */
function useFocusOnNavigation(pathname: string): void {
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const active = document.activeElement;
    // Keys that move within the page (tabs, rows) keep their own focus.
    if (active !== null && active !== document.body && active.isConnected) return;
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [pathname]);
}

/** Sets the document's title for the page shown. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} - Consulate`;
  }, [title]);
}
