// /ui/<dc>/services/<name>: every instance with its node, address, port, tags, meta and checks
// (output included), live through a blocking query on /v1/health/service/<name>.
import { useCallback } from 'react';
import { Link, useParams } from 'react-router';

import { useBlocking } from '../api/blocking';
import { apiUrl, encodePath } from '../api/http';
import type { ServiceEntry } from '../api/types';
import { Checks } from '../components/Checks';
import { StatusBadge, Tags, worstOf } from '../components/Health';
import { useTitle } from '../components/Layout';
import { Meta } from '../components/Meta';
import { Empty, ErrorNotice, Loading } from '../components/Status';
import { VirtualList } from '../components/VirtualList';
import { markPaintedOnce } from '../perf';

export function ServiceDetail() {
  const { dc = '', name = '' } = useParams();
  useTitle(name);
  const instances = useBlocking<ServiceEntry[]>(
    apiUrl(`health/service/${encodePath(name)}`, { dc }),
  );
  const onPainted = useCallback(() => markPaintedOnce('ui:service:painted'), []);
  const entries = instances.data ?? [];
  const health = worstOf(entries.flatMap((entry) => entry.Checks.map((check) => check.Status)));
  const tags = [...new Set(entries.flatMap((entry) => entry.Service.Tags ?? []))].sort();

  return (
    <section aria-labelledby="service-title">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to={`/${dc}/services`}>All services</Link>
      </nav>
      <div className="page-header">
        <h1 id="service-title">{name}</h1>
        {instances.data !== undefined && entries.length > 0 && <StatusBadge status={health} />}
      </div>
      {instances.error !== null && (
        <ErrorNotice error={instances.error} title="The service could not be read." />
      )}
      {instances.data === undefined ? (
        instances.error === null && <Loading what="instances" />
      ) : entries.length === 0 ? (
        <Empty>No instance of {name} is registered.</Empty>
      ) : (
        <>
          <Tags tags={tags} />
          <h2>
            {entries.length} {entries.length === 1 ? 'instance' : 'instances'}
          </h2>
          <VirtualList
            items={entries}
            label="Instances"
            estimate={220}
            rowKey={(entry) => `${entry.Node.Node}/${entry.Service.ID}`}
            onPainted={onPainted}
            render={(entry) => <Instance dc={dc} entry={entry} />}
          />
        </>
      )}
    </section>
  );
}

function Instance({ dc, entry }: { dc: string; entry: ServiceEntry }) {
  const { Node: node, Service: service, Checks: checks } = entry;
  const address = service.Address === '' ? node.Address : service.Address;
  return (
    <article className="card instance" aria-label={`Instance ${service.ID} on ${node.Node}`}>
      <header className="card-header">
        <h3>{service.ID}</h3>
        <StatusBadge status={worstOf(checks.map((check) => check.Status))} />
      </header>
      <dl className="facts">
        <div>
          <dt>Node</dt>
          <dd>
            <Link to={`/${dc}/nodes/${encodePath(node.Node)}`}>{node.Node}</Link>
          </dd>
        </div>
        <div>
          <dt>Address</dt>
          <dd>
            <code>
              {address}
              {service.Port > 0 ? `:${service.Port}` : ''}
            </code>
          </dd>
        </div>
      </dl>
      <Tags tags={service.Tags} />
      <Meta meta={service.Meta} label="Service meta" />
      <Checks checks={checks} />
    </article>
  );
}
