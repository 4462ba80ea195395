// The one documented order in which configuration is assembled (as Consul):
//   built-in defaults → -dev defaults → -config-file/-config-dir in command-line order →
//   -hcl fragments → command-line flags.
import { hostname } from 'node:os';
import { AGENT_FLAGS, flagsToConfig } from './agent-flags';
import { buildAgentConfig } from './build';
import { DEFAULT_CONFIG, DEV_CONFIG } from './defaults';
import { parseFlags, type ParsedFlags } from './flags';
import { prepareDataDir, resolveNodeId } from './identity';
import { mergeConfigs } from './merge';
import { defaultsLayer, describeSetting, userLayer, type ConfigLayer } from './layers';
import { ConfigError, normalizeSource } from './normalize';
import { loadDefinitions } from './service-definitions';
import { loadConfigPath, parseConfigText, type ConfigFormat } from './sources';
import { scriptChecksPolicy } from '../agent';
import type { AgentConfig } from './types';
import { refuseUnavailable, unavailableNotices } from './unavailable';

/** The files and directories whose contents make up the configuration, for auto_reload_config. */
export function configPaths(flags: ParsedFlags): string[] {
  return configPathsInOrder(flags);
}

export interface LoadedAgentConfig {
  config: AgentConfig;
  /** Things worth telling the operator (skipped files, deprecated flags); not fatal. */
  warnings: string[];
}

export function parseAgentArgs(argv: readonly string[]): ParsedFlags {
  return parseFlags(argv, AGENT_FLAGS);
}

/**
 * Assembles the agent configuration from parsed `consulate agent` flags: each source is read
 * and its deprecated keys moved, the sources merged, settings this build cannot honour
 * refused (unavailable.ts), then the typed configuration built and the definitions admitted.
 */
export function loadAgentConfig(
  flags: ParsedFlags,
  options: { hostname?: string } = {},
): LoadedAgentConfig {
  if (flags.args.length > 0) {
    throw new ConfigError(`unexpected argument "${flags.args[0]}" (the agent takes only flags)`);
  }
  const warnings: string[] = [];
  const warn = (message: string): void => void warnings.push(message);
  const dev = flags.values.get('dev') === true;
  const layers: ConfigLayer[] = [
    defaultsLayer('built-in defaults', normalizeSource(DEFAULT_CONFIG, 'built-in defaults')),
  ];
  if (dev) layers.push(defaultsLayer('dev defaults', normalizeSource(DEV_CONFIG, 'dev defaults')));

  const format = configFormat(flags);
  const sources: string[] = [];
  for (const path of configPathsInOrder(flags)) {
    for (const source of loadConfigPath(path, warn, format)) {
      layers.push(userLayer(source.name, 'file', source.config, warn));
      sources.push(source.name);
    }
  }
  const fragments = (flags.values.get('hcl') as string[] | undefined) ?? [];
  fragments.forEach((fragment, i) => {
    const source = parseConfigText(fragment, 'hcl', `-hcl fragment ${i + 1}`);
    layers.push(userLayer(source.name, 'file', source.config, warn));
  });
  if (flags.values.has('dc')) warn('The -dc flag is deprecated. Use -datacenter instead');
  if (flags.values.has('join')) warn('The -join flag is an alias of -retry-join');
  const flagSource = normalizeSource(flagsToConfig(flags.values), 'command-line flags');
  layers.push(userLayer('command-line flags', 'flags', flagSource, warn));

  const merged = mergeConfigs(layers.map((layer) => layer.config));
  refuseUnavailable(merged, layers);
  unavailableNotices(merged, layers).forEach(warn);
  const built = buildAgentConfig(merged, {
    dev,
    sources,
    hostname: options.hostname ?? hostname(),
    warn,
    describe: (path, value) => describeSetting(layers, path, value),
  });
  const userLayers = layers.filter((layer) => layer.kind !== 'defaults');
  const definitions = loadDefinitions(userLayers, scriptChecksPolicy(built));
  definitions.warnings.forEach(warn);
  if (built.dataDir !== null) prepareDataDir(built.dataDir);
  const nodeId = resolveNodeId(built.nodeId, built.dataDir);
  return {
    config: {
      ...built,
      nodeId,
      serviceDefinitions: definitions.services,
      checkDefinitions: definitions.checks,
    },
    warnings,
  };
}

function configFormat(flags: ParsedFlags): ConfigFormat | undefined {
  const format = flags.values.get('config-format');
  if (format === undefined) return undefined;
  if (format !== 'json' && format !== 'hcl') {
    throw new ConfigError(`-config-format: invalid format "${String(format)}" (json or hcl)`);
  }
  return format;
}

/**
 * -config-file and -config-dir interleaved as they appeared on the command line: the parser
 * keeps each list in order, and the raw argv order between the two lists is recovered here.
 */
function configPathsInOrder(flags: ParsedFlags): string[] {
  const files = [...((flags.values.get('config-file') as string[] | undefined) ?? [])];
  const dirs = [...((flags.values.get('config-dir') as string[] | undefined) ?? [])];
  return flags.order
    .filter((name) => name === 'config-file' || name === 'config-dir')
    .map((name) => (name === 'config-file' ? files : dirs).shift() as string);
}
