// The sources the configuration is merged from, kept after the merge so that a message about
// a setting can name where it came from: the file, the -hcl fragment or the flag.
import { flagForKey } from './agent-flags';
import { applyDeprecatedKeys } from './deprecated';
import type { ConfigObject, ConfigValue } from './normalize';
import { getPath } from './paths';

export interface ConfigLayer {
  /** A file path, `-hcl fragment N`, `command-line flags`, `built-in defaults`, `dev defaults`. */
  name: string;
  kind: 'defaults' | 'file' | 'flags';
  config: ConfigObject;
  /** Canonical key → the deprecated key this source wrote it as. */
  renamed: Readonly<Record<string, string>>;
}

export function defaultsLayer(name: string, config: ConfigObject): ConfigLayer {
  return { name, kind: 'defaults', config, renamed: {} };
}

/** A user's source, its deprecated keys moved (their warnings go to `warn`, naming the source). */
export function userLayer(
  name: string,
  kind: 'file' | 'flags',
  config: ConfigObject,
  warn: (message: string) => void,
): ConfigLayer {
  const mapped = applyDeprecatedKeys(config);
  for (const warning of mapped.warnings) warn(`${warning} (${name})`);
  return { name, kind, config: mapped.config, renamed: mapped.renamed };
}

/** The last source that sets `path`: the one whose value the merge kept. */
export function settingSource(layers: readonly ConfigLayer[], path: string): ConfigLayer | null {
  for (let i = layers.length - 1; i >= 0; i -= 1) {
    if (getPath(layers[i].config, path) !== undefined) return layers[i];
  }
  return null;
}

/**
 * Names a setting as the user wrote it, with where: `/etc/a.hcl: acl.enabled = true`,
 * `/etc/a.hcl: acl_datacenter (sets acl.enabled = true)`, `flag -https-port=8501`. String values are
 * not shown (keys and tokens are secrets).
 */
export function describeSetting(
  layers: readonly ConfigLayer[],
  path: string,
  value: ConfigValue,
): string {
  const shown =
    typeof value === 'string' || typeof value === 'object' ? path : `${path} = ${value}`;
  const layer = settingSource(layers, path);
  if (layer === null) return shown;
  if (layer.kind === 'flags') {
    const flag = flagForKey(path);
    if (flag !== null) return typeof value === 'number' ? `flag ${flag}=${value}` : `flag ${flag}`;
  }
  const deprecated = layer.renamed[path];
  const what = deprecated === undefined ? shown : `${deprecated} (sets ${shown})`;
  return `${layer.name}: ${what}`;
}
