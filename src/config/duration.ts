// Go `time.ParseDuration` semantics: "300ms", "1.5h", "2h45m", "-1s"; a bare number only when 0.

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const SEGMENT = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;

/** Parses a Go duration string into milliseconds; throws with Go's wording on bad input. */
export function parseDuration(text: string): number {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new Error(`time: invalid duration "${text}"`);
  let totalMs = 0;
  while (rest !== '') {
    const match = SEGMENT.exec(rest);
    if (match === null) {
      const missingUnit = /^(\d+(?:\.\d*)?|\.\d+)$/.test(rest);
      throw new Error(
        missingUnit
          ? `time: missing unit in duration "${text}"`
          : `time: invalid duration "${text}"`,
      );
    }
    totalMs += Number(match[1]) * UNIT_MS[match[2]];
    rest = rest.slice(match[0].length);
  }
  return sign * totalMs;
}

/** Formats milliseconds the way Go prints a time.Duration ("1m0s", "1.5s", "300ms", "0s"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${trimFloat(rest)}ms`;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = `${trimFloat(rest / 1000)}s`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}`;
  return `${sign}${seconds}`;
}

function trimFloat(value: number): string {
  return String(Number(value.toFixed(9)));
}
