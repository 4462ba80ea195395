// One template resource's life: its source, the dependencies its last render read (subscribed
// to, exactly those), quiescence, and the render → check → write → reload sequence.
import { resolve } from 'node:path';

import { RenderContext } from './context';
import { fileDependency, type Dependency } from './dependency';
import { Quiescence } from './quiescence';
import type { TemplateResource, WaitSpec } from './resource';
import { CompiledTemplate } from './template';
import type { DependencyWatcher } from './watcher';
import { writeIfChanged, type WriteOutcome } from './write';

export type RenderOutcome = WriteOutcome | 'dry' | 'pending';

export interface RunnerHost {
  watcher: DependencyWatcher;
  env: NodeJS.ProcessEnv;
  dry: boolean;
  /** Asks for a render of this runner (through the job queue). */
  schedule(runner: TemplateRunner): void;
  printDry(destination: string, contents: string): void;
}

export class TemplateRunner {
  /** Set once a render had complete data and its output is in place (or printed). */
  renderedOnce = false;
  lastError: Error | null = null;
  /** A reload command failed after a write: run it on the next complete render even if unchanged. */
  commandOwed = false;
  /** What the last render was still waiting for (for logs and -once diagnostics). */
  waitingFor: string[] = [];
  private readonly subscriptions = new Map<string, () => void>();
  private readonly quiescence: Quiescence | null;
  private compiled: { text: string; template: CompiledTemplate } | null = null;
  private lastDry: string | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelayMs = 0;
  private readonly sourceDependency: Dependency | null;

  constructor(
    readonly resource: TemplateResource,
    private readonly host: RunnerHost,
    wait: WaitSpec | null,
  ) {
    this.quiescence = wait === null ? null : new Quiescence(wait, () => host.schedule(this));
    this.sourceDependency =
      resource.source === null ? null : fileDependency(resolve(resource.source));
  }

  get id(): string {
    return this.resource.id;
  }

  start(): void {
    // The source file is a dependency like any other: editing it re-renders.
    if (this.sourceDependency !== null) this.subscribe(this.sourceDependency);
    this.host.schedule(this);
  }

  stop(): void {
    this.quiescence?.cancel();
    this.clearRetry();
    for (const unsubscribe of this.subscriptions.values()) unsubscribe();
    this.subscriptions.clear();
  }

  /**
   * After a failure (a check or reload refused by something outside us), try again later even if
   * no data changes: 1s, doubling up to a minute.
   */
  retryLater(): void {
    this.clearRetry();
    this.retryDelayMs = Math.min(Math.max(1000, this.retryDelayMs * 2), 60_000);
    this.retryTimer = setTimeout(() => this.host.schedule(this), this.retryDelayMs);
  }

  succeeded(): void {
    this.clearRetry();
    this.retryDelayMs = 0;
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /** Renders with the data at hand; writes only from complete data. */
  async render(): Promise<RenderOutcome> {
    const template = this.template();
    const context = new RenderContext(
      (key) => this.host.watcher.answer(key),
      this.resource.errorOnMissingKey,
      this.host.env,
    );
    let output: string;
    try {
      output = template.render(context);
    } catch (err) {
      // Keep watching what was read so far as well as before: a data change may fix it.
      this.follow(context.used, false);
      // Helpers fed placeholders for data not here yet may fail (parseJSON of ""): not an error
      // until the render has everything it asked for.
      if (!context.complete) {
        this.waitingFor = describeWaiting(context);
        return 'pending';
      }
      throw err;
    }
    this.follow(context.used, true);
    this.waitingFor = describeWaiting(context);
    if (!context.complete) return 'pending';
    let outcome: RenderOutcome;
    if (this.host.dry) {
      if (output !== this.lastDry) this.host.printDry(this.resource.destination, output);
      this.lastDry = output;
      outcome = 'dry';
    } else {
      outcome = await writeIfChanged({
        destination: this.resource.destination,
        contents: output,
        perms: this.resource.perms,
        uid: this.resource.uid,
        gid: this.resource.gid,
        backup: this.resource.backup,
        createDestDirs: this.resource.createDestDirs,
        check: this.resource.check,
        checkTimeoutMs: this.resource.commandTimeoutMs,
      });
    }
    this.renderedOnce = true;
    return outcome;
  }

  private template(): CompiledTemplate {
    let text: string;
    if (this.sourceDependency === null) {
      text = this.resource.contents ?? '';
    } else {
      const answer = this.host.watcher.answer(this.sourceDependency.key);
      if (typeof answer?.value !== 'string') {
        throw new Error(`cannot read template source ${this.resource.source ?? ''}`);
      }
      text = answer.value;
    }
    if (this.compiled?.text !== text) {
      this.compiled = null;
      const template = CompiledTemplate.compile(
        text,
        this.resource.source ?? `${this.resource.id} (inline)`,
        this.resource.errorOnMissingKey,
      );
      this.compiled = { text, template };
    }
    return this.compiled.template;
  }

  private onChange = (): void => {
    if (this.quiescence === null) this.host.schedule(this);
    else this.quiescence.poke();
  };

  /** Subscribes to what the render read; `exact` also drops what it no longer reads. */
  private follow(used: ReadonlyMap<string, Dependency>, exact: boolean): void {
    for (const dependency of used.values()) this.subscribe(dependency);
    if (!exact) return;
    for (const [key, unsubscribe] of this.subscriptions) {
      if (!used.has(key) && key !== this.sourceDependency?.key) {
        unsubscribe();
        this.subscriptions.delete(key);
      }
    }
  }

  private subscribe(dependency: Dependency): void {
    if (this.subscriptions.has(dependency.key)) return;
    this.subscriptions.set(dependency.key, this.host.watcher.subscribe(dependency, this.onChange));
  }
}

function describeWaiting(context: RenderContext): string[] {
  return [...context.pending, ...[...context.absentKeys].map((key) => `kv:${key} (absent)`)];
}
