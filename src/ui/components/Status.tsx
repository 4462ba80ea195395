// Loading, error and empty states, announced to screen readers.
import type { ReactNode } from 'react';

import { describeError } from '../api/http';

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      Loading {what}…
    </p>
  );
}

export function ErrorNotice({ error, title }: { error: unknown; title?: string }) {
  return (
    <div className="notice notice-error" role="alert">
      {title !== undefined && <strong>{title}</strong>} {describeError(error)}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}
