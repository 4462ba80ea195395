// `consulate agent`: load the configuration, start a server agent, print Consul's start-up
// summary, and run until SIGINT/SIGTERM (graceful shutdown) with SIGHUP reloading.
import { rmSync, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import {
  AGENT_FLAGS,
  ConfigError,
  configPaths,
  FlagError,
  formatFlagUsage,
  loadAgentConfig,
  parseAgentArgs,
  type AgentConfig,
  type ParsedFlags,
} from '../config';
import { startClientAgent } from '../client';
import { startServerAgent, type AgentCore } from '../server';

/** A server or a client agent, with the listeners it bound. */
type RunningAgent = AgentCore & {
  httpAddresses: string[];
  httpsAddresses: string[];
  dnsAddresses: string[];
};
import { LogHub } from '../telemetry';
import { createAgentLogger, LogGate } from './logger';
import { VERSION } from './version';

const USAGE = `Usage: consulate agent [options]

  Starts the Consulate agent and runs until an interrupt is received. The agent
  speaks Consul's HTTP API, flags and configuration files.

Options:

${formatFlagUsage(AGENT_FLAGS)}
`;

export async function runAgent(argv: readonly string[]): Promise<number> {
  let flags: ParsedFlags;
  let config: AgentConfig;
  let warnings: string[];
  try {
    flags = parseAgentArgs(argv);
    if (flags.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    ({ config, warnings } = loadAgentConfig(flags));
  } catch (error) {
    if (error instanceof FlagError || error instanceof ConfigError) {
      for (const line of error.message.split('\n')) process.stderr.write(`==> ${line}\n`);
      if (error instanceof FlagError) process.stderr.write(`\n${USAGE}`);
      return 1;
    }
    throw error;
  }

  // Log lines wait behind the gate until the summary, which needs the bound ports, is out.
  const gate = new LogGate();
  const logHub = new LogHub();
  const logger = createAgentLogger(config, gate, logHub);
  process.stdout.write('==> Starting Consulate agent...\n');
  // A promise nobody waits for must not fail silently, nor take the agent down with it.
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason }, 'unhandled promise rejection (a bug: please report it)');
  });
  for (const warning of warnings) logger.warn(warning);

  // Signals that arrive while starting are held and handled once the agent runs. There is
  // always a listener: without one a signal gets its default action and kills the process.
  const early: NodeJS.Signals[] = [];
  const holdSignal = (signal: NodeJS.Signals): void => void early.push(signal);
  const releaseHold = (): void => {
    for (const signal of HANDLED_SIGNALS) process.off(signal, holdSignal);
  };
  for (const signal of HANDLED_SIGNALS) process.on(signal, holdSignal);
  let agent: RunningAgent;
  try {
    const options = {
      reloadSource: () => loadAgentConfig(flags),
      watchPaths: configPaths(flags),
      logHub,
    };
    agent = config.server
      ? await startServerAgent(config, logger, options)
      : await startClientAgent(config, logger, options);
  } catch (error) {
    releaseHold();
    gate.open();
    // The message names the path or setting; the stack helps only when debugging.
    logger.debug({ err: error }, 'agent failed to start');
    process.stderr.write(`==> Error starting agent: ${(error as Error).message}\n`);
    return 1;
  }
  process.stdout.write(startupSummary(config, agent));
  process.stdout.write('\n==> Log data will now stream in as it occurs:\n\n');
  gate.open();
  const exitCode = runUntilSignalled(agent, logger, early);
  releaseHold();
  if (config.pidFile !== null) writeFileSync(config.pidFile, `${process.pid}`);
  process.stdout.write('==> Consulate agent running!\n');
  for (const address of agent.httpAddresses) {
    process.stdout.write(`    HTTP API listening on ${address}\n`);
  }
  for (const address of agent.httpsAddresses) {
    process.stdout.write(`    HTTPS API listening on ${address}\n`);
  }
  return exitCode;
}

const HANDLED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Consul's start-up summary, limited to what is true of this agent: the ports listed are the
 * ones bound (HTTP, DNS, the gossip pools); HTTPS and gRPC appear once something listens there.
 */
function startupSummary(config: AgentConfig, agent: RunningAgent): string {
  const listeners = [
    ['HTTP', boundPorts(agent.httpAddresses)],
    ['HTTPS', boundPorts(agent.httpsAddresses)],
    ['DNS', boundPorts(agent.dnsAddresses)],
  ]
    .filter(([, ports]) => ports !== '')
    .map(([name, ports]) => `${name}: ${ports}`);
  const rows: [string, string][] = [
    ['Version', `'${VERSION}'`],
    ['Node ID', `'${config.nodeId}'`],
    ['Node name', `'${config.nodeName}'`],
    ['Datacenter', `'${config.datacenter}' (Segment: '<all>')`],
    ['Server', `${config.server} (Bootstrap: ${config.bootstrap || config.dev})`],
    ['Client Addr', `[${config.clientAddr.join(' ')}] (${listeners.join(', ')})`],
    ['Cluster Addr', `${config.advertiseAddr} (${clusterPorts(agent)})`],
    ['Gossip Encryption', `${agent.membership.lan.encryptionEnabled()}`],
    ['ACL Enabled', `${config.acl.enabled}`],
    ['Data Dir', config.dataDir ?? '(in memory)'],
  ];
  return rows.map(([label, value]) => `${label.padStart(22)}: ${value}\n`).join('');
}

/** The gossip pools' bound ports: `LAN: 8301, WAN: 8302` (no WAN on client agents). */
function clusterPorts(agent: RunningAgent): string {
  const wan = agent.membership.wanPort();
  return `LAN: ${agent.membership.lanPort()}${wan === null ? '' : `, WAN: ${wan}`}`;
}

/** The distinct ports of `host:port` listener addresses (`[::1]:8500` included). */
function boundPorts(addresses: readonly string[]): string {
  const ports = new Set(addresses.map((address) => address.slice(address.lastIndexOf(':') + 1)));
  return [...ports].join(', ');
}

/**
 * Resolves with the exit code once the agent has stopped: after SIGINT/SIGTERM (leaving the
 * pools first when Consul would: SIGINT unless skip_leave_on_interrupt, SIGTERM when
 * leave_on_terminate), after `consulate leave`, or with 1 when joining gave up (retry_max).
 */
function runUntilSignalled(
  agent: RunningAgent,
  logger: Logger,
  early: readonly NodeJS.Signals[],
): Promise<number> {
  return new Promise((resolve) => {
    let shuttingDown = false;
    const finish = (code: number): void => {
      if (agent.config.pidFile !== null) rmSync(agent.config.pidFile, { force: true });
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('SIGHUP', reload);
      resolve(code);
    };
    void agent.stopped.then((failure) => {
      if (failure !== null) {
        process.stderr.write(`==> ${failure}\n`);
        finish(1);
        return;
      }
      logger.info('graceful shutdown complete');
      finish(0);
    });
    const stop = (signal: NodeJS.Signals): void => {
      if (shuttingDown) {
        logger.warn({ signal }, 'second signal: exiting immediately');
        resolve(1);
        return;
      }
      shuttingDown = true;
      const { skipLeaveOnInterrupt, leaveOnTerminate } = agent.config;
      const leave = signal === 'SIGINT' ? !skipLeaveOnInterrupt : leaveOnTerminate;
      logger.info(
        { signal },
        leave ? 'caught signal, leaving the cluster' : 'caught signal, shutting down',
      );
      void (leave ? agent.leave() : agent.shutdown());
    };
    const reload = (): void => {
      logger.info('caught signal: hangup, reloading configuration');
      agent.reloadConfig().catch((error: unknown) => {
        logger.error({ err: error }, `failed to reload configuration: ${(error as Error).message}`);
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    process.on('SIGHUP', reload);
    for (const signal of early) {
      if (signal === 'SIGHUP') reload();
      else stop(signal);
    }
  });
}
