// Headless Chromium from the Debian package, driven by playwright-core over
// the DevTools protocol, with a fresh profile per launch.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { pageDriver } from './engine-common.mjs';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

export async function launchChromium({ ignoreHTTPSErrors = false, hosts = [] } = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'gst-sse-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: hosts.length
      ? [...ARGS, `--host-resolver-rules=${hosts.map((h) => `MAP ${h} 127.0.0.1`).join(', ')}`]
      : ARGS,
    viewport: { width: 960, height: 600 },
    ignoreHTTPSErrors,
  });
  const page = context.pages()[0] ?? await context.newPage();
  return pageDriver('chromium', page, async () => {
    await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  });
}
