import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';

/** Debian's Chromium (`requireTool(ctx, 'chromium')` finds it), with the flags this machine needs (no network from
 *  the browser, root without a sandbox). */
export const chromiumOptions = (executablePath: string) => ({
  executablePath,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});

/** Open a phone-sized headless Chromium, hand its page to `work`, and close it (and its profile) afterwards. */
export async function withPhoneBrowser<T>(executablePath: string, work: (page: Page) => Promise<T>): Promise<T> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'sluice-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    ...chromiumOptions(executablePath),
    headless: true,
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
  });
  try {
    const page = browser.pages()[0] ?? (await browser.newPage());
    return await work(page);
  } finally {
    await browser.close();
    await rm(profile, { recursive: true, force: true });
  }
}

/** How far the page is wider than the screen (0 or less: nothing but the scrollable tables overflows). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
}
