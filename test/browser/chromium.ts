/**
 * Debian's Chromium for the browser tests, driven by playwright-core: no browser is downloaded. The
 * flags keep it from reaching for the network, which this machine's closed network refuses.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

/** Fails at once, with the install command, when Chromium is missing (before a local cloud is started). */
export function assertChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The browser test drives Debian's Chromium at ${CHROMIUM}; install it with: apt-get install chromium`,
    );
  }
}

export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}
