// Health shown with a word and a symbol, never by colour alone.
import type { ReactNode } from 'react';

import type { Status } from '../api/types';

const SYMBOLS: Record<Status | 'empty', string> = {
  passing: '✓',
  warning: '!',
  critical: '✕',
  maintenance: '⏸',
  empty: '–',
};

const LABELS: Record<Status | 'empty', string> = {
  passing: 'passing',
  warning: 'warning',
  critical: 'critical',
  maintenance: 'maintenance',
  empty: 'no checks',
};

export type Health = Status | 'empty';

export function worstOf(statuses: Iterable<string>): Health {
  let worst: Health = 'empty';
  for (const status of statuses) {
    if (status === 'critical') return 'critical';
    if (status === 'maintenance') worst = 'maintenance';
    else if (status === 'warning' && worst !== 'maintenance') worst = 'warning';
    else if (status === 'passing' && worst === 'empty') worst = 'passing';
  }
  return worst;
}

export function StatusBadge({ status, children }: { status: Health; children?: ReactNode }) {
  return (
    <span className={`status status-${status}`}>
      <span aria-hidden="true" className="status-symbol">
        {SYMBOLS[status]}
      </span>
      {children ?? LABELS[status]}
    </span>
  );
}

/** Counts of checks per status, each a badge; statuses with none are left out. */
export function CheckCounts({
  passing,
  warning,
  critical,
}: {
  passing: number;
  warning: number;
  critical: number;
}) {
  if (passing + warning + critical === 0) return <StatusBadge status="empty" />;
  return (
    <span className="check-counts">
      {passing > 0 && <StatusBadge status="passing">{passing} passing</StatusBadge>}
      {warning > 0 && <StatusBadge status="warning">{warning} warning</StatusBadge>}
      {critical > 0 && <StatusBadge status="critical">{critical} critical</StatusBadge>}
    </span>
  );
}

export function Tags({ tags }: { tags: readonly string[] | null | undefined }) {
  if (tags === null || tags === undefined || tags.length === 0) return null;
  return (
    <ul className="tags" aria-label="Tags">
      {tags.map((tag) => (
        <li key={tag}>{tag}</li>
      ))}
    </ul>
  );
}
