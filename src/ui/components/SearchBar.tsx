// The search box and status filter above a list. The query lives in the URL (?filter=,
// ?status=, as Consul's UI) so that a filtered list can be bookmarked.
import { useId, type KeyboardEvent, type ReactNode } from 'react';

import { markSearchStart } from '../perf';

export function SearchBar({
  value,
  onChange,
  label,
  placeholder,
  onArrowDown,
  children,
}: {
  value: string;
  onChange: (value: string) => void;
  label: string;
  placeholder: string;
  onArrowDown?: () => void;
  children?: ReactNode;
}) {
  const id = useId();
  function onKeyDown(event: KeyboardEvent<HTMLInputElement>): void {
    if (event.key === 'ArrowDown' && onArrowDown !== undefined) {
      event.preventDefault();
      onArrowDown();
    } else if (event.key === 'Escape' && value !== '') {
      onChange('');
    }
  }
  return (
    <div className="search-bar" role="search">
      <label htmlFor={id} className="visually-hidden">
        {label}
      </label>
      <input
        id={id}
        type="search"
        value={value}
        placeholder={placeholder}
        autoComplete="off"
        spellCheck={false}
        onChange={(event) => {
          markSearchStart();
          onChange(event.target.value);
        }}
        onKeyDown={onKeyDown}
      />
      {children}
    </div>
  );
}

export function StatusFilter({
  value,
  onChange,
}: {
  value: string;
  onChange: (value: string) => void;
}) {
  const id = useId();
  return (
    <span className="status-filter">
      <label htmlFor={id}>Health</label>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value)}>
        <option value="">All</option>
        <option value="passing">Passing</option>
        <option value="warning">Warning</option>
        <option value="critical">Critical</option>
        <option value="empty">No checks</option>
      </select>
    </span>
  );
}
