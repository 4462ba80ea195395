// Answers and recursors are shuffled on every query (consul-api.md §10.2, recursor_strategy).

/** Fisher–Yates, in place. */
export function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}
