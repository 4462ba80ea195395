// /ui/<dc>/services: every service with its health summary, instance count and tags; search
// by name or tag as you type, filter by health. Live through a blocking query on Consul's UI
// summary endpoint.
import { useCallback, useDeferredValue, useEffect, useMemo, useRef } from 'react';
import { Link, useParams } from 'react-router';

import { useBlocking } from '../api/blocking';
import { encodePath } from '../api/http';
import type { ServiceSummary } from '../api/types';
import { CheckCounts, Tags, type Health } from '../components/Health';
import { useTitle } from '../components/Layout';
import { SearchBar, StatusFilter } from '../components/SearchBar';
import { Empty, ErrorNotice, Loading } from '../components/Status';
import { useQueryParam } from '../components/useQueryParam';
import { focusFirstRow, VirtualList } from '../components/VirtualList';
import { markPaintedOnce, markSearchPainted } from '../perf';
import { noneRegistered } from '../settings';
import { servicesUrl } from './urls';

export function healthOfSummary(service: ServiceSummary): Health {
  if (service.ChecksCritical > 0) return 'critical';
  if (service.ChecksWarning > 0) return 'warning';
  if (service.ChecksPassing > 0) return 'passing';
  return 'empty';
}

export function ServicesList() {
  const { dc = '' } = useParams();
  useTitle('Services');
  const services = useBlocking<ServiceSummary[]>(servicesUrl(dc));
  const [filter, setFilter] = useQueryParam('filter');
  const [status, setStatus] = useQueryParam('status');
  const query = useDeferredValue(filter);
  const listRef = useRef<HTMLDivElement>(null);

  const shown = useMemo(() => {
    const needle = query.trim().toLowerCase();
    return (services.data ?? []).filter(
      (service) =>
        (status === '' || healthOfSummary(service) === status) &&
        (needle === '' ||
          service.Name.toLowerCase().includes(needle) ||
          (service.Tags ?? []).some((tag) => tag.toLowerCase().includes(needle))),
    );
  }, [services.data, query, status]);

  useEffect(() => {
    if (services.data !== undefined) markSearchPainted();
  }, [shown, services.data]);
  const onPainted = useCallback(() => markPaintedOnce('ui:services:painted'), []);

  return (
    <section aria-labelledby="services-title">
      <div className="page-header">
        <h1 id="services-title">Services</h1>
        {services.data !== undefined && (
          <span className="count" aria-live="polite">
            {shown.length === services.data.length
              ? `${services.data.length} total`
              : `${shown.length} of ${services.data.length}`}
          </span>
        )}
      </div>
      <SearchBar
        value={filter}
        onChange={setFilter}
        label="Search services by name or tag"
        placeholder="Search by name or tag"
        onArrowDown={() => focusFirstRow(listRef.current)}
      >
        <StatusFilter value={status} onChange={setStatus} />
      </SearchBar>
      {services.error !== null && (
        <ErrorNotice error={services.error} title="Services could not be read." />
      )}
      {services.data === undefined ? (
        services.error === null && <Loading what="services" />
      ) : shown.length === 0 ? (
        <Empty>
          {services.data.length === 0 ? noneRegistered('services are') : 'No service matches.'}
        </Empty>
      ) : (
        <div ref={listRef}>
          <VirtualList
            items={shown}
            label="Services"
            estimate={64}
            rowKey={(service) => service.Name}
            onPainted={onPainted}
            render={(service) => (
              <div className="row">
                <div className="row-main">
                  <Link className="row-title" to={`/${dc}/services/${encodePath(service.Name)}`}>
                    {service.Name}
                  </Link>
                  <CheckCounts
                    passing={service.ChecksPassing}
                    warning={service.ChecksWarning}
                    critical={service.ChecksCritical}
                  />
                </div>
                <div className="row-details">
                  <span>
                    {service.InstanceCount} {service.InstanceCount === 1 ? 'instance' : 'instances'}
                  </span>
                  <Tags tags={service.Tags} />
                </div>
              </div>
            )}
          />
        </div>
      )}
    </section>
  );
}
