// /ui/<dc>/nodes/<node>/<tab>: a node's health checks, service instances, lock sessions and
// metadata (Consul's tabs and URLs), each live through a blocking query.
import { useEffect, useRef, type KeyboardEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';

import { useBlocking } from '../api/blocking';
import { apiUrl, encodePath } from '../api/http';
import type { HealthCheck, NodeServices } from '../api/types';
import { Checks } from '../components/Checks';
import { StatusBadge, Tags, worstOf } from '../components/Health';
import { useTitle } from '../components/Layout';
import { Meta } from '../components/Meta';
import { Empty, ErrorNotice, Loading } from '../components/Status';
import { markPaintedOnce } from '../perf';
import { Sessions } from './Sessions';

const TABS = [
  { path: 'health-checks', label: 'Health checks' },
  { path: 'service-instances', label: 'Service instances' },
  { path: 'lock-sessions', label: 'Lock sessions' },
  { path: 'metadata', label: 'Metadata' },
] as const;

export function NodeDetail() {
  const { dc = '', node = '', '*': rest = '' } = useParams();
  useTitle(node);
  const navigate = useNavigate();
  const tabsRef = useRef<HTMLDivElement>(null);
  const tab = TABS.find((candidate) => candidate.path === rest.split('/')[0]) ?? TABS[0];
  const catalog = useBlocking<NodeServices | null>(
    apiUrl(`catalog/node/${encodePath(node)}`, { dc }),
  );
  const checks = useBlocking<HealthCheck[]>(apiUrl(`health/node/${encodePath(node)}`, { dc }));
  const loaded = catalog.data !== undefined;
  useEffect(() => {
    if (loaded) markPaintedOnce('ui:node:painted');
  }, [loaded]);

  const base = `/${dc}/nodes/${encodePath(node)}`;
  function onTabKey(event: KeyboardEvent<HTMLDivElement>): void {
    const at = TABS.indexOf(tab);
    const next =
      event.key === 'ArrowRight'
        ? (at + 1) % TABS.length
        : event.key === 'ArrowLeft'
          ? (at + TABS.length - 1) % TABS.length
          : -1;
    if (next < 0) return;
    event.preventDefault();
    navigate(`${base}/${TABS[next].path}`, { replace: true });
    requestAnimationFrame(() =>
      tabsRef.current?.querySelector<HTMLElement>(`#tab-${TABS[next].path}`)?.focus(),
    );
  }

  const services = Object.values(catalog.data?.Services ?? {});
  const health = worstOf((checks.data ?? []).map((check) => check.Status));
  return (
    <section aria-labelledby="node-title">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to={`/${dc}/nodes`}>All nodes</Link>
      </nav>
      <div className="page-header">
        <h1 id="node-title">{node}</h1>
        {checks.data !== undefined && <StatusBadge status={health} />}
        {catalog.data !== undefined && catalog.data !== null && (
          <code className="muted">{catalog.data.Node.Address}</code>
        )}
      </div>
      {catalog.error !== null && (
        <ErrorNotice error={catalog.error} title="The node could not be read." />
      )}
      {catalog.data === null && <Empty>No node named {node} is registered.</Empty>}
      <div
        role="tablist"
        aria-label="Node details"
        className="tabs"
        ref={tabsRef}
        onKeyDown={onTabKey}
      >
        {TABS.map((candidate) => (
          <Link
            key={candidate.path}
            id={`tab-${candidate.path}`}
            role="tab"
            aria-selected={candidate === tab}
            aria-controls="node-tabpanel"
            tabIndex={candidate === tab ? 0 : -1}
            to={`${base}/${candidate.path}`}
            replace
          >
            {candidate.label}
          </Link>
        ))}
      </div>
      <div
        role="tabpanel"
        id="node-tabpanel"
        aria-labelledby={`tab-${tab.path}`}
        className="tabpanel"
      >
        {tab.path === 'health-checks' &&
          (checks.error !== null ? (
            <ErrorNotice error={checks.error} />
          ) : checks.data === undefined ? (
            <Loading what="health checks" />
          ) : (
            <Checks checks={checks.data} />
          ))}
        {tab.path === 'service-instances' &&
          (catalog.data === undefined ? (
            <Loading what="services" />
          ) : services.length === 0 ? (
            <Empty>No service instance is registered on this node.</Empty>
          ) : (
            <table className="table">
              <caption className="visually-hidden">Service instances on {node}</caption>
              <thead>
                <tr>
                  <th scope="col">Service</th>
                  <th scope="col">ID</th>
                  <th scope="col">Address</th>
                  <th scope="col">Tags</th>
                </tr>
              </thead>
              <tbody>
                {services.map((service) => (
                  <tr key={service.ID}>
                    <td>
                      <Link to={`/${dc}/services/${encodePath(service.Service)}`}>
                        {service.Service}
                      </Link>
                    </td>
                    <td>
                      <code>{service.ID}</code>
                    </td>
                    <td>
                      <code>
                        {service.Address === '' ? catalog.data?.Node.Address : service.Address}
                        {service.Port > 0 ? `:${service.Port}` : ''}
                      </code>
                    </td>
                    <td>
                      <Tags tags={service.Tags} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ))}
        {tab.path === 'lock-sessions' && <Sessions dc={dc} node={node} />}
        {tab.path === 'metadata' &&
          (catalog.data === undefined || catalog.data === null ? (
            <Loading what="metadata" />
          ) : (
            <>
              <h2>Node meta</h2>
              {Object.keys(catalog.data.Node.Meta ?? {}).length === 0 ? (
                <Empty>This node has no metadata.</Empty>
              ) : (
                <Meta meta={catalog.data.Node.Meta} label="Node meta" />
              )}
              <h2>Tagged addresses</h2>
              <Meta meta={catalog.data.Node.TaggedAddresses} label="Tagged addresses" />
              <h2>Node ID</h2>
              <code>{catalog.data.Node.ID}</code>
            </>
          ))}
      </div>
    </section>
  );
}
