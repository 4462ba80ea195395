// The web UI: Consul's pages and URLs (/ui/<dc>/services, /nodes, /kv/<path>) as a single-page
// app with history routing under the content path the agent serves it at.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, Navigate, RouterProvider } from 'react-router';

import { Layout } from './components/Layout';
import { PoliciesList, PolicyEdit } from './pages/acl/Policies';
import { RoleEdit, RolesList } from './pages/acl/Roles';
import { TokenEdit, TokensList } from './pages/acl/Tokens';
import { KvPage } from './pages/Kv';
import { Login } from './pages/Login';
import { NodeDetail } from './pages/NodeDetail';
import { NodesList } from './pages/Nodes';
import { NotFound } from './pages/NotFound';
import { ServiceDetail } from './pages/ServiceDetail';
import { ServicesList } from './pages/Services';
import { prefetchFor } from './pages/urls';
import { readSettings } from './settings';
import './styles.css';

const settings = readSettings();
prefetchFor(window.location.pathname.slice(settings.contentPath.length - 1));

const router = createBrowserRouter(
  [
    { path: '/', element: <Navigate to={`/${settings.datacenter}/services`} replace /> },
    {
      path: '/:dc',
      element: <Layout />,
      children: [
        { index: true, element: <Navigate to="services" replace /> },
        { path: 'services', element: <ServicesList /> },
        { path: 'services/:name/*', element: <ServiceDetail /> },
        { path: 'nodes', element: <NodesList /> },
        { path: 'nodes/:node/*', element: <NodeDetail /> },
        { path: 'kv/*', element: <KvPage /> },
        { path: 'login', element: <Login /> },
        { path: 'acls', element: <Navigate to="tokens" replace /> },
        { path: 'acls/tokens', element: <TokensList /> },
        { path: 'acls/tokens/:id', element: <TokenEdit /> },
        { path: 'acls/policies', element: <PoliciesList /> },
        { path: 'acls/policies/:id', element: <PolicyEdit /> },
        { path: 'acls/roles', element: <RolesList /> },
        { path: 'acls/roles/:id', element: <RoleEdit /> },
        { path: '*', element: <NotFound /> },
      ],
    },
  ],
  { basename: settings.contentPath.replace(/\/$/, '') },
);

const root = document.getElementById('root');
if (root !== null) {
  createRoot(root).render(
    <StrictMode>
      <RouterProvider router={router} />
    </StrictMode>,
  );
}
