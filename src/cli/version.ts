// The product version, read once from package.json (dist/src/cli → the package root), and what
// the build recorded in dist/build-info.json (commit, date; absent when compiled by hand).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const VERSION: string = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

export interface BuildInfo {
  commit: string;
  buildDate: string;
}

export function buildInfo(): BuildInfo {
  try {
    const parsed = JSON.parse(
      readFileSync(join(__dirname, '..', '..', 'build-info.json'), 'utf8'),
    ) as Partial<BuildInfo>;
    return { commit: parsed.commit ?? 'unknown', buildDate: parsed.buildDate ?? 'unknown' };
  } catch {
    return { commit: 'unknown', buildDate: 'unknown' };
  }
}

/** `consulate version`, in Consul's layout, plus the Consul release whose API it speaks. */
export function versionText(consulCompat: string): string {
  const { commit, buildDate } = buildInfo();
  return [
    `Consulate v${VERSION}`,
    `Revision ${commit}`,
    `Build Date ${buildDate}`,
    `Follows the HTTP API, DNS and wire formats of Consul ${consulCompat}`,
    'Protocol 2 spoken by default, understands 2 to 3 (agent will automatically use protocol >2 when speaking to compatible agents)',
    '',
  ].join('\n');
}
