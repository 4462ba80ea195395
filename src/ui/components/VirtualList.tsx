// A list that renders only the rows in view (5,000 services, 10,000 keys), scrolled with the
// page so that narrow screens and the keyboard behave as on any page. Rows are list items with
// their position announced; ↑/↓, Home and End move the focus from row to row, scrolling rows
// into existence.
import { useWindowVirtualizer } from '@tanstack/react-virtual';
import { useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';

export interface VirtualListProps<T> {
  items: readonly T[];
  /** Accessible name of the list. */
  label: string;
  /** Expected row height in pixels; rows are measured once drawn. */
  estimate: number;
  rowKey: (item: T) => string;
  render: (item: T, index: number) => ReactNode;
  /** Called once the first rows are on screen (performance marks). */
  onPainted?: () => void;
}

export function VirtualList<T>({
  items,
  label,
  estimate,
  rowKey,
  render,
  onPainted,
}: VirtualListProps<T>) {
  const listRef = useRef<HTMLUListElement>(null);
  const [scrollMargin, setScrollMargin] = useState(0);
  useLayoutEffect(() => {
    const list = listRef.current;
    if (list !== null) setScrollMargin(list.getBoundingClientRect().top + window.scrollY);
  }, []);
  const virtualizer = useWindowVirtualizer({
    count: items.length,
    estimateSize: () => estimate,
    overscan: 6,
    scrollMargin,
    getItemKey: (index) => rowKey(items[index]),
  });
  const rows = virtualizer.getVirtualItems();
  const painted = rows.length > 0;
  useLayoutEffect(() => {
    if (painted && onPainted !== undefined) requestAnimationFrame(() => setTimeout(onPainted, 0));
  }, [painted, onPainted]);

  function focusRow(index: number): void {
    const target = Math.max(0, Math.min(items.length - 1, index));
    virtualizer.scrollToIndex(target, { align: 'auto' });
    const focus = (attempt: number): void => {
      const row = listRef.current?.querySelector<HTMLElement>(`li[data-index="${target}"]`);
      const focusable = row?.querySelector<HTMLElement>('a, button, input, [tabindex]');
      if (focusable) focusable.focus();
      else if (attempt < 10) requestAnimationFrame(() => focus(attempt + 1));
    };
    requestAnimationFrame(() => focus(0));
  }

  function onKeyDown(event: KeyboardEvent<HTMLUListElement>): void {
    const row = (event.target as HTMLElement).closest('li[data-index]');
    if (row === null) return;
    const index = Number(row.getAttribute('data-index'));
    const moves: Record<string, number> = {
      ArrowDown: index + 1,
      ArrowUp: index - 1,
      Home: 0,
      End: items.length - 1,
      PageDown: index + 10,
      PageUp: index - 10,
    };
    if (!(event.key in moves)) return;
    event.preventDefault();
    focusRow(moves[event.key]);
  }

  return (
    <ul
      ref={listRef}
      className="virtual-list"
      aria-label={label}
      onKeyDown={onKeyDown}
      style={{ height: virtualizer.getTotalSize() }}
    >
      {rows.map((row) => (
        <li
          key={row.key}
          data-index={row.index}
          ref={virtualizer.measureElement}
          aria-setsize={items.length}
          aria-posinset={row.index + 1}
          className="virtual-row"
          style={{ transform: `translateY(${row.start - virtualizer.options.scrollMargin}px)` }}
        >
          {render(items[row.index], row.index)}
        </li>
      ))}
    </ul>
  );
}

/** Moves the focus into a VirtualList's first row (from a search box, on ↓). */
export function focusFirstRow(list: HTMLElement | null): void {
  list?.querySelector<HTMLElement>('li[data-index="0"] a, li[data-index="0"] button')?.focus();
}
