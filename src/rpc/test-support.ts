// Helpers shared by the tests of src/rpc and the Raft transport (not part of the public face).
import { connect, type Socket } from 'node:net';
import pino, { type Logger } from 'pino';

/** A logger whose lines a test can read back. */
export function capturingLogger(): { logger: Logger; messages: () => string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
  return {
    logger,
    messages: () => lines.map((line) => String((JSON.parse(line) as { msg?: unknown }).msg)),
  };
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A raw TCP connection that has sent `bytes`; resolves once connected. */
export async function rawConnection(port: number, bytes: Uint8Array): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);
  if (bytes.length > 0) socket.write(bytes);
  return socket;
}

/** Resolves when the peer has closed `socket` (or it was destroyed). */
export function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
}
