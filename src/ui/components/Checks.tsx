// Health checks with their status, type and latest output.
import type { HealthCheck } from '../api/types';
import { StatusBadge } from './Health';

export function Checks({ checks }: { checks: readonly HealthCheck[] }) {
  if (checks.length === 0) return <p className="empty">No health checks.</p>;
  return (
    <ul className="checks" aria-label="Health checks">
      {checks.map((check) => (
        <li key={`${check.Node}/${check.CheckID}`} className={`check check-${check.Status}`}>
          <div className="check-header">
            <StatusBadge status={check.Status} />
            <strong>{check.Name}</strong>
            <span className="muted">
              {check.ServiceID === '' ? 'node check' : 'service check'}
              {check.Type !== '' ? ` · ${check.Type}` : ''} · <code>{check.CheckID}</code>
            </span>
          </div>
          {check.Notes !== '' && <p className="check-notes">{check.Notes}</p>}
          {check.Output !== '' && (
            <pre className="check-output" aria-label={`Output of ${check.Name}`} tabIndex={0}>
              {check.Output}
            </pre>
          )}
        </li>
      ))}
    </ul>
  );
}
