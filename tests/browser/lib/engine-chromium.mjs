// Headless Chromium from the Debian package, driven by playwright-core over
// the DevTools protocol, with a fresh profile per launch.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { pageDriver } from './engine-common.mjs';
import { startAudioSink } from './audio-sink.mjs';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

export async function launchChromium({ ignoreHTTPSErrors = false, hosts = [] } = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'gst-sse-chromium-'));
  const sink = await startAudioSink(); // sound to a PulseAudio null sink, not Chromium's fake output
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    env: { ...process.env, ...sink.env },
    headless: true,
    args: hosts.length
      ? [...ARGS, `--host-resolver-rules=${hosts.map((h) => `MAP ${h} 127.0.0.1`).join(', ')}`]
      : ARGS,
    viewport: { width: 960, height: 600 },
    ignoreHTTPSErrors,
    // playwright mutes headless Chromium by default (it then plays silence):
    // the sound must really come out, for lib/sound-probe.mjs to hear it.
    ignoreDefaultArgs: ['--mute-audio'],
  });
  const page = context.pages()[0] ?? await context.newPage();
  const browser = pageDriver('chromium', page, async () => {
    await context.close().catch(() => {});
    sink.stop();
    fs.rmSync(profile, { recursive: true, force: true });
  }, () => context.newPage());
  browser.noSoundServer = sink.reason;
  browser.soundStreams = sink.streams;
  browser.soundEnv = sink.env;
  return browser;
}
