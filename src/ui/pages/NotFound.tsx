import { Link, useParams } from 'react-router';

import { useTitle } from '../components/Layout';

export function NotFound() {
  const { dc = '' } = useParams();
  useTitle('Not found');
  return (
    <section aria-labelledby="not-found-title">
      <h1 id="not-found-title">Page not found</h1>
      <p>
        This address is not a page of the UI. Go to the <Link to={`/${dc}/services`}>services</Link>
        .
      </p>
    </section>
  );
}
