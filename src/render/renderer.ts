// The renderer: template resources kept up to date from watched data. Renders and reload
// commands run as jobs (`render.template` deduped per template, `render.reload` per command, so
// templates sharing a reload command coalesce); usable from the CLI, tests, or an agent.
import { EventEmitter } from 'node:events';

import { InProcessJobQueue, type JobQueue } from '../jobs';
import { runShellOrThrow } from './command';
import type { Dependency } from './dependency';
import type { TemplateResource, WaitSpec } from './resource';
import { TemplateRunner, type RenderOutcome, type RunnerHost } from './template-runner';
import { DependencyWatcher, type ConsulEndpoint, type WatcherOptions } from './watcher';

/** pino's call shape, so a pino logger fits; optional. */
export interface RenderLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface RendererOptions {
  consul: ConsulEndpoint;
  templates: readonly TemplateResource[];
  /** Quiescence for templates without their own `wait`. */
  wait?: WaitSpec | null;
  /** Random delay in [0, splay) before each reload command. */
  splayMs?: number;
  /** Print renders to `dryOutput` instead of writing files or running commands. */
  dry?: boolean;
  dryOutput?: { write(text: string): unknown };
  /** No quiescence: for `runOnce`. */
  once?: boolean;
  queue?: JobQueue;
  logger?: RenderLogger;
  watcher?: WatcherOptions;
  env?: NodeJS.ProcessEnv;
}

export interface RenderedEvent {
  id: string;
  destination: string;
  outcome: Exclude<RenderOutcome, 'pending'>;
}

export interface RenderErrorEvent {
  id: string;
  destination: string;
  error: Error;
}

export interface RendererEvents {
  rendered: [RenderedEvent];
  error: [RenderErrorEvent];
  /** Every template has been rendered from complete data at least once. */
  ready: [];
  'dependency-error': [{ dependency: string; error: Error; attempt: number }];
}

export interface OnceResult {
  ok: boolean;
  errors: RenderErrorEvent[];
}

interface RenderJob {
  id: string;
}

interface ReloadJob {
  command: string;
  timeoutMs: number;
}

const RENDER_JOB = 'render.template';
const RELOAD_JOB = 'render.reload';

export class Renderer extends EventEmitter<RendererEvents> {
  private readonly watcher: DependencyWatcher;
  private readonly queue: JobQueue;
  private readonly ownsQueue: boolean;
  private readonly runners = new Map<string, TemplateRunner>();
  private templates: readonly TemplateResource[];
  private readonly host: RunnerHost;
  private readyEmitted = false;
  private stopped = false;

  constructor(private readonly options: RendererOptions) {
    super();
    this.templates = options.templates;
    this.ownsQueue = options.queue === undefined;
    this.queue = options.queue ?? new InProcessJobQueue();
    this.watcher = new DependencyWatcher(options.consul, {
      ...options.watcher,
      onError: (dependency: Dependency, error: Error, attempt: number) => {
        options.watcher?.onError?.(dependency, error, attempt);
        options.logger?.warn(
          { dependency: dependency.key, attempt, err: error.message },
          'watch failed, retrying',
        );
        this.emit('dependency-error', { dependency: dependency.key, error, attempt });
      },
    });
    this.host = {
      watcher: this.watcher,
      env: options.env ?? process.env,
      dry: options.dry === true,
      schedule: (runner) => {
        if (this.stopped) return;
        this.queue.enqueue<RenderJob>(RENDER_JOB, { id: runner.id }, { key: runner.id });
      },
      printDry: (destination, contents) => {
        const out = options.dryOutput ?? process.stdout;
        out.write(`> ${destination}\n${contents}${contents.endsWith('\n') ? '' : '\n'}`);
      },
    };
    this.queue.register<RenderJob>(RENDER_JOB, (job) => this.renderJob(job.id), {
      concurrency: 8,
    });
    this.queue.register<ReloadJob>(RELOAD_JOB, (job) => this.reloadJob(job), { concurrency: 4 });
    // An 'error' event with no listener would throw; errors are also logged here.
    this.on('error', () => undefined);
  }

  /** Starts every template; renders and writes as data arrives, until stop(). */
  start(): void {
    for (const resource of this.templates) this.addRunner(resource);
  }

  /** Renders every template once from complete data (no quiescence), then stops. */
  async runOnce(): Promise<OnceResult> {
    const errors: RenderErrorEvent[] = [];
    const done = new Promise<void>((resolve) => {
      const check = (): void => {
        const all = [...this.runners.values()];
        if (all.every((r) => r.renderedOnce || errors.some((e) => e.id === r.id))) resolve();
      };
      this.on('rendered', check);
      this.on('error', (event) => {
        errors.push(event);
        check();
      });
      this.start();
      check();
    });
    await done;
    await this.queue.idle();
    await this.stop();
    return { ok: errors.length === 0, errors };
  }

  /** Replaces the template set (SIGHUP): changed or removed templates stop, new ones start. */
  reload(templates: readonly TemplateResource[]): void {
    this.templates = templates;
    const wanted = new Map(templates.map((t) => [t.id, t]));
    for (const [id, runner] of this.runners) {
      const next = wanted.get(id);
      if (next === undefined || JSON.stringify(next) !== JSON.stringify(runner.resource)) {
        runner.stop();
        this.runners.delete(id);
      }
    }
    for (const resource of templates) if (!this.runners.has(resource.id)) this.addRunner(resource);
  }

  /** Dependency keys being watched now: one watch each, however many templates read them. */
  watchedDependencies(): string[] {
    return this.watcher.keys();
  }

  /** What each template still waits for before its first write. */
  pending(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const runner of this.runners.values()) {
      if (!runner.renderedOnce) out[runner.id] = runner.waitingFor;
    }
    return out;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const runner of this.runners.values()) runner.stop();
    this.runners.clear();
    await this.watcher.stop();
    if (this.ownsQueue) await this.queue.close();
  }

  private addRunner(resource: TemplateResource): void {
    const wait = this.options.once === true ? null : (resource.wait ?? this.options.wait ?? null);
    const runner = new TemplateRunner(resource, this.host, wait);
    this.runners.set(resource.id, runner);
    runner.start();
  }

  private async renderJob(id: string): Promise<void> {
    const runner = this.runners.get(id);
    if (runner === undefined || this.stopped) return;
    const { resource } = runner;
    let outcome: RenderOutcome;
    try {
      outcome = await runner.render();
      const reload = outcome === 'written' || (outcome === 'unchanged' && runner.commandOwed);
      if (reload && resource.command !== null) {
        runner.commandOwed = true;
        await this.queue.enqueue<ReloadJob>(
          RELOAD_JOB,
          { command: resource.command, timeoutMs: resource.commandTimeoutMs },
          { key: resource.command },
        ).finished;
        runner.commandOwed = false;
      }
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      runner.lastError = error;
      this.options.logger?.error({ template: id, err: error.message }, 'render failed');
      if (this.options.once !== true && !this.stopped) runner.retryLater();
      this.emit('error', { id, destination: resource.destination, error });
      return;
    }
    if (outcome === 'pending') return;
    runner.lastError = null;
    runner.succeeded();
    if (outcome === 'written') {
      this.options.logger?.info({ template: id, destination: resource.destination }, 'rendered');
    }
    this.emit('rendered', { id, destination: resource.destination, outcome });
    if (!this.readyEmitted && [...this.runners.values()].every((r) => r.renderedOnce)) {
      this.readyEmitted = true;
      this.emit('ready');
    }
  }

  private async reloadJob(job: ReloadJob): Promise<void> {
    const splay = this.options.splayMs ?? 0;
    if (splay > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * splay));
    await runShellOrThrow('reload', job.command, job.timeoutMs);
  }
}
