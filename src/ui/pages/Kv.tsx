// /ui/<dc>/kv/<path>: Consul's key/value URLs. A path ending in "/" (or empty) is a folder,
// "<key>/edit" (or a path without a trailing slash) a key's editor, "<folder>/create" the form
// that creates a key in that folder.
import { useParams } from 'react-router';

import { useTitle } from '../components/Layout';
import { KvEditor } from './KvEditor';
import { KvFolder } from './KvFolder';

export function KvPage() {
  const { dc = '', '*': splat = '' } = useParams();
  const path = splat;
  useTitle('Key/Value');
  if (path === 'create' || path.endsWith('/create')) {
    return <KvEditor dc={dc} folder={path.slice(0, -'create'.length)} keyName={null} />;
  }
  if (path === '' || path.endsWith('/')) return <KvFolder dc={dc} prefix={path} />;
  const key = path.endsWith('/edit') ? path.slice(0, -'/edit'.length) : path;
  return <KvEditor dc={dc} folder={null} keyName={key} />;
}
