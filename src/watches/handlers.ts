// Watch handlers (Consul's agent/watch handlers): a process given the result as JSON on stdin
// and CONSUL_INDEX in its environment (argv, or a shell string), or an HTTP endpoint that gets
// the JSON as its body and the index in X-Consul-Index. A failed run rejects.
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

import { stringifyConsulJson } from '../../clients/typescript/src';
import type { WatchResult } from './plan';
import type { HttpHandlerConfig, WatchHandler } from './spec';

export interface HandlerOutput {
  /** Where the process's stdout and stderr go: inherited (CLI) or a line sink (agent logs). */
  sink: 'inherit' | ((stream: 'stdout' | 'stderr', text: string) => void);
}

/** Consul encodes the handler input with json.Encoder: one JSON value and a newline. */
export function handlerInput(data: unknown): string {
  return `${stringifyConsulJson(data)}\n`;
}

export function runHandler(
  handler: WatchHandler,
  result: WatchResult,
  output: HandlerOutput,
): Promise<void> {
  switch (handler.kind) {
    case 'none':
      return Promise.resolve();
    case 'args':
      return runProcess(handler.args[0], handler.args.slice(1), result, output);
    case 'shell':
      return runProcess('/bin/sh', ['-c', handler.script], result, output);
    case 'http':
      return postHttp(handler.config, result);
  }
}

function runProcess(
  command: string,
  args: string[],
  result: WatchResult,
  output: HandlerOutput,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, CONSUL_INDEX: String(result.index) },
      stdio: [
        'pipe',
        output.sink === 'inherit' ? 'inherit' : 'pipe',
        output.sink === 'inherit' ? 'inherit' : 'pipe',
      ],
    });
    const sink = output.sink;
    if (sink !== 'inherit') {
      child.stdout?.setEncoding('utf8').on('data', (text: string) => sink('stdout', text));
      child.stderr?.setEncoding('utf8').on('data', (text: string) => sink('stderr', text));
    }
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(signal !== null ? `signal: ${signal}` : `exit status ${code}`));
    });
    // A handler that does not read its input must not fail the run (EPIPE).
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(handlerInput(result.data));
  });
}

function postHttp(config: HttpHandlerConfig, result: WatchResult): Promise<void> {
  const url = new URL(config.path);
  const body = Buffer.from(handlerInput(result.data));
  const headers: Record<string, string | string[]> = {
    ...config.header,
    'Content-Type': 'application/json',
    'X-Consul-Index': String(result.index),
    'Content-Length': String(body.length),
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: config.method,
        headers,
        timeout: config.timeoutMs,
        ...(url.protocol === 'https:' ? { rejectUnauthorized: !config.tlsSkipVerify } : {}),
      },
      (res) => {
        res.resume();
        res.once('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`${config.method} ${config.path} answered ${status}`));
        });
      },
    );
    req.once('timeout', () => req.destroy(new Error(`no answer within ${config.timeoutMs} ms`)));
    req.once('error', reject);
    req.end(body);
  });
}
