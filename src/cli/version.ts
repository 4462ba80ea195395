// The product version, read once from package.json (dist/src/cli → the package root).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const VERSION: string = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;
