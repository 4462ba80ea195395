// /ui/<dc>/nodes: every node with its address and the health of its checks (the Raft
// leader marked), search by name or address, filter by health; live through blocking queries.
import { useCallback, useDeferredValue, useEffect, useMemo, useRef } from 'react';
import { Link, useParams } from 'react-router';

import { useBlocking } from '../api/blocking';
import { apiUrl, encodePath } from '../api/http';
import type { HealthCheck, Node } from '../api/types';
import { StatusBadge, worstOf, type Health } from '../components/Health';
import { useTitle } from '../components/Layout';
import { SearchBar, StatusFilter } from '../components/SearchBar';
import { Empty, ErrorNotice, Loading } from '../components/Status';
import { useQueryParam } from '../components/useQueryParam';
import { focusFirstRow, VirtualList } from '../components/VirtualList';
import { markPaintedOnce, markSearchPainted } from '../perf';
import { noneRegistered } from '../settings';
import { nodesUrl } from './urls';

export function NodesList() {
  const { dc = '' } = useParams();
  useTitle('Nodes');
  const nodes = useBlocking<Node[]>(nodesUrl(dc));
  const nodeChecks = useBlocking<HealthCheck[]>(apiUrl('health/state/any', { dc }));
  const leader = useBlocking<string>(apiUrl('status/leader', { dc }));
  const [filter, setFilter] = useQueryParam('filter');
  const [status, setStatus] = useQueryParam('status');
  const query = useDeferredValue(filter);
  const listRef = useRef<HTMLDivElement>(null);

  const healthByNode = useMemo(() => {
    const statuses = new Map<string, string[]>();
    for (const check of nodeChecks.data ?? []) {
      const list = statuses.get(check.Node) ?? [];
      list.push(check.Status);
      statuses.set(check.Node, list);
    }
    return new Map([...statuses].map(([node, list]) => [node, worstOf(list)]));
  }, [nodeChecks.data]);
  const leaderAddress = (leader.data ?? '').replace(/:\d+$/, '');

  const shown = useMemo(() => {
    const needle = query.trim().toLowerCase();
    return (nodes.data ?? []).filter(
      (node) =>
        (status === '' || (healthByNode.get(node.Node) ?? 'empty') === status) &&
        (needle === '' ||
          node.Node.toLowerCase().includes(needle) ||
          node.Address.toLowerCase().includes(needle)),
    );
  }, [nodes.data, query, status, healthByNode]);
  useEffect(() => {
    if (nodes.data !== undefined) markSearchPainted();
  }, [shown, nodes.data]);
  const onPainted = useCallback(() => markPaintedOnce('ui:nodes:painted'), []);

  return (
    <section aria-labelledby="nodes-title">
      <div className="page-header">
        <h1 id="nodes-title">Nodes</h1>
        {nodes.data !== undefined && (
          <span className="count" aria-live="polite">
            {shown.length === nodes.data.length
              ? `${nodes.data.length} total`
              : `${shown.length} of ${nodes.data.length}`}
          </span>
        )}
      </div>
      <SearchBar
        value={filter}
        onChange={setFilter}
        label="Search nodes by name or address"
        placeholder="Search by name or address"
        onArrowDown={() => focusFirstRow(listRef.current)}
      >
        <StatusFilter value={status} onChange={setStatus} />
      </SearchBar>
      {nodes.error !== null && <ErrorNotice error={nodes.error} title="Nodes could not be read." />}
      {nodes.data === undefined ? (
        nodes.error === null && <Loading what="nodes" />
      ) : shown.length === 0 ? (
        <Empty>{nodes.data.length === 0 ? noneRegistered('nodes are') : 'No node matches.'}</Empty>
      ) : (
        <div ref={listRef}>
          <VirtualList
            items={shown}
            label="Nodes"
            estimate={56}
            rowKey={(node) => node.Node}
            onPainted={onPainted}
            render={(node) => {
              const health: Health = healthByNode.get(node.Node) ?? 'empty';
              return (
                <div className="row">
                  <div className="row-main">
                    <Link className="row-title" to={`/${dc}/nodes/${encodePath(node.Node)}`}>
                      {node.Node}
                    </Link>
                    {leaderAddress !== '' && node.Address === leaderAddress && (
                      <span className="leader" title="Raft leader">
                        <span aria-hidden="true">★</span> leader
                      </span>
                    )}
                    <StatusBadge status={health} />
                  </div>
                  <div className="row-details">
                    <code>{node.Address}</code>
                  </div>
                </div>
              );
            }}
          />
        </div>
      )}
    </section>
  );
}
