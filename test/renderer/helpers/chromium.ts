/** Headless Debian Chromium through playwright-core (no browser download). */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.FIELDKEY_CHROMIUM ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
