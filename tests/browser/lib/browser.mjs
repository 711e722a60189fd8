// Headless Chromium from the Debian package, driven by playwright-core.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

/**
 * Launches Chromium with a fresh profile; resolves to {context, page, close()}.
 * `ignoreHTTPSErrors` accepts the self-signed certificates tests make.
 */
export async function launchBrowser({ ignoreHTTPSErrors = false } = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'gst-sse-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 960, height: 600 },
    ignoreHTTPSErrors,
  });
  const page = context.pages()[0] ?? await context.newPage();
  const logs = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  return {
    context,
    page,
    logs,
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
