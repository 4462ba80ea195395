// From a definition to the function that runs it once: the scheduler's only view of a runner.
import { classifyCheck, type CheckDefinition, type CheckResult } from './definition';
import { runGrpcCheck } from './grpc-check';
import { runHttpCheck } from './http-check';
import { runScriptCheck } from './script-check';
import { runTcpCheck } from './tcp-check';
import { runUdpCheck } from './udp-check';

/** One run of a check; must settle (the runners enforce their own timeouts) and never reject. */
export type Probe = (signal: AbortSignal) => Promise<CheckResult>;

/** The probe of an interval check (http, tcp, udp, grpc, script); throws for ttl and alias. */
export function createProbe(def: CheckDefinition): Probe {
  const type = classifyCheck(def);
  switch (type) {
    case 'http':
      return (signal) =>
        runHttpCheck(
          {
            url: def.http as string,
            method: def.method,
            header: def.header,
            body: def.body,
            tlsServerName: def.tlsServerName,
            tlsSkipVerify: def.tlsSkipVerify,
            timeoutMs: def.timeout,
            outputMaxSize: def.outputMaxSize,
          },
          signal,
        );
    case 'tcp':
      return (signal) =>
        runTcpCheck({ address: def.tcp as string, timeoutMs: def.timeout }, signal);
    case 'udp':
      return (signal) =>
        runUdpCheck({ address: def.udp as string, timeoutMs: def.timeout }, signal);
    case 'grpc':
      return (signal) =>
        runGrpcCheck(
          {
            target: def.grpc as string,
            useTls: def.grpcUseTls,
            tlsServerName: def.tlsServerName,
            tlsSkipVerify: def.tlsSkipVerify,
            timeoutMs: def.timeout,
          },
          signal,
        );
    case 'script':
      return (signal) =>
        runScriptCheck(
          { args: def.args as string[], timeoutMs: def.timeout, outputMaxSize: def.outputMaxSize },
          signal,
        );
    default:
      throw new Error(`check ${def.id}: a ${type ?? 'typeless'} check has no probe`);
  }
}
