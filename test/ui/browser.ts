// Debian's Chromium driven by playwright-core, headless, as the UI tests and bench/ui use it.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
}

/** Where screenshots go: $UI_SCREENSHOTS, else .tmp/ui-screenshots in the checkout. */
export function screenshotDir(): string {
  const dir =
    process.env.UI_SCREENSHOTS ?? join(__dirname, '..', '..', '..', '.tmp', 'ui-screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}
