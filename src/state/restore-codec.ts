// The wire form of the restore and autopilot commands (restore.ts), checked field by field.
import type { Command } from './commands';
import { readAutopilotValues } from './restore';
import {
  readBool,
  readBytes,
  readIndex,
  readOptional,
  readString,
  WireError,
  type Fields,
} from './wire';

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function parseSystemCommand(
  type: 'snapshot-chunk' | 'snapshot-restore' | 'autopilot-set',
  fields: Fields,
): Command {
  switch (type) {
    case 'snapshot-chunk':
      return {
        type,
        restore: restoreId(fields.restore, `${type}.restore`),
        offset: readIndex(fields.offset, `${type}.offset`),
        data: readBytes(fields.data, `${type}.data`),
      };
    case 'snapshot-restore': {
      const sha256 = readString(fields.sha256, `${type}.sha256`);
      if (!SHA256_HEX.test(sha256)) {
        throw new WireError(`${type}.sha256 must be 64 lower-case hex digits`);
      }
      return {
        type,
        restore: restoreId(fields.restore, `${type}.restore`),
        size: readIndex(fields.size, `${type}.size`),
        sha256,
      };
    }
    case 'autopilot-set': {
      const cmd: Command = {
        type,
        config: readAutopilotValues(fields.config, `${type}.config`),
      };
      const cas = readOptional(fields.cas, `${type}.cas`, readIndex);
      if (cas !== undefined) cmd.cas = cas;
      const seed = readOptional(fields.seed, `${type}.seed`, readBool);
      if (seed !== undefined) cmd.seed = seed;
      return cmd;
    }
  }
}

function restoreId(raw: unknown, field: string): string {
  const id = readString(raw, field);
  if (id === '') throw new WireError(`${field} must not be empty`);
  return id;
}
