// Performance API marks that bench/ui reads: when a page first showed its data, and how long a
// search took from the keystroke to the filtered rows on screen. A mark is made after the next
// frame, i.e. once the browser has painted what React committed.
const marked = new Set<string>();

/** Marks `name` once per page load, after the next paint. */
export function markPaintedOnce(name: string): void {
  if (marked.has(name)) return;
  marked.add(name);
  afterPaint(() => performance.mark(name));
}

/** The start of a search: the keystroke. */
export function markSearchStart(): void {
  performance.mark('ui:search:start');
}

/** The filtered rows are committed: measure keystroke → paint. */
export function markSearchPainted(): void {
  if (performance.getEntriesByName('ui:search:start', 'mark').length === 0) return;
  afterPaint(() => {
    // Two renders of one search may both get here: the first one measures it.
    if (performance.getEntriesByName('ui:search:start', 'mark').length === 0) return;
    performance.measure('ui:search', 'ui:search:start');
    performance.clearMarks('ui:search:start');
  });
}

function afterPaint(run: () => void): void {
  requestAnimationFrame(() => setTimeout(run, 0));
}
