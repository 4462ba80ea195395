// Entry point of a load-generator process. It runs apart from the bench so that its CPU never
// competes in-process with the bench's bookkeeping, and is driven over the IPC channel.
import { runClosedLoop } from './closed-loop';
import { FanoutRun } from './fanout';
import type { FromWorker, ToWorker } from './loadgen-protocol';

let fanout: FanoutRun | undefined;

function reply(message: FromWorker): void {
  process.send?.(message);
}

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'closed-loop':
      reply(await runClosedLoop(message.spec, message.clients, message.startAtEpochMs));
      return;
    case 'fanout-arm':
      fanout?.close();
      fanout = new FanoutRun(message.spec);
      reply(await fanout.arm());
      return;
    case 'fanout-fire': {
      if (fanout === undefined) throw new Error('fanout-fire before fanout-arm');
      const run = fanout;
      fanout = undefined;
      try {
        reply(await run.fire());
      } finally {
        run.close();
      }
      return;
    }
    case 'exit':
      fanout?.close();
      process.disconnect?.();
      return;
  }
}

process.on('message', (message: ToWorker) => {
  handle(message).catch((error: unknown) => {
    fanout?.close();
    fanout = undefined;
    reply({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  });
});
