// auto_reload_config: watch the configuration files and directories and reload when they change,
// debounced so that an editor's save (write, rename, chmod) triggers one reload.
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';

export const CONFIG_WATCH_DEBOUNCE_MS = 250;

export class ConfigWatcher {
  private readonly watcher: FSWatcher;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    paths: readonly string[],
    private readonly reload: () => Promise<void>,
    private readonly logger: Logger,
    private readonly debounceMs = CONFIG_WATCH_DEBOUNCE_MS,
  ) {
    // Directories are watched one level deep: Consul reads only a config dir's own files.
    this.watcher = watch([...paths], { ignoreInitial: true, depth: 0 });
    this.watcher.on('all', (event, path) => this.changed(event, path));
    this.watcher.on('error', (error) => this.logger.warn({ err: error }, 'config watcher failed'));
  }

  close(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    return this.watcher.close();
  }

  private changed(event: string, path: string): void {
    this.logger.debug({ event, path }, 'config file changed');
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.logger.info('config files changed, reloading (auto_reload_config)');
      this.reload().catch((error: unknown) =>
        this.logger.error(
          { err: error },
          `failed to reload configuration: ${(error as Error).message}`,
        ),
      );
    }, this.debounceMs);
  }
}
