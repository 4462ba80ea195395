// What one render read: every dependency it touched, those with no answer yet, and the KV keys
// it found absent. The render is a dry run until nothing is pending and nothing is absent.
import type { Dependency } from './dependency';
import type { Answer } from './watcher';

export class MissingKeyError extends Error {
  constructor(readonly key: string) {
    super(`key "${key}" does not exist (error_on_missing_key)`);
    this.name = 'MissingKeyError';
  }
}

export class RenderContext {
  readonly used = new Map<string, Dependency>();
  readonly pending = new Set<string>();
  readonly absentKeys = new Set<string>();

  constructor(
    private readonly answers: (key: string) => Answer | undefined,
    readonly errorOnMissingKey: boolean,
    readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** The dependency's value, or undefined (and the render marked pending) until it answers. */
  read<T>(dependency: Dependency): T | undefined {
    this.used.set(dependency.key, dependency);
    const answer = this.answers(dependency.key);
    if (answer === undefined) {
      this.pending.add(dependency.key);
      return undefined;
    }
    return answer.value as T;
  }

  /** A `key` the template requires but the store does not have: fail or wait for it. */
  keyAbsent(key: string): void {
    if (this.errorOnMissingKey) throw new MissingKeyError(key);
    this.absentKeys.add(key);
  }

  /** True when the output is built from complete data and may be written. */
  get complete(): boolean {
    return this.pending.size === 0 && this.absentKeys.size === 0;
  }
}
