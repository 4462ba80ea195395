// Key/Value / a / b / : each folder of a path as a link.
import { Link } from 'react-router';

import { encodePath } from '../api/http';

export function KvBreadcrumbs({ dc, path }: { dc: string; path: string }) {
  const parts = path.split('/').filter((part, index, all) => part !== '' || index < all.length - 1);
  const folders = path.endsWith('/') ? parts : parts.slice(0, -1);
  return (
    <nav aria-label="Breadcrumb" className="breadcrumb">
      <ol>
        <li>
          <Link to={`/${dc}/kv/`}>Key/Value</Link>
        </li>
        {folders.map((part, index) => {
          const prefix = `${folders.slice(0, index + 1).join('/')}/`;
          return (
            <li key={prefix}>
              <Link to={`/${dc}/kv/${encodePath(prefix)}`}>{part}</Link>
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
