// Headless Firefox ESR from the Debian package, driven by puppeteer-core
// over WebDriver BiDi. puppeteer makes a fresh profile per launch (and
// removes it on close) with its own prefs; ours allow autoplay.
import fs from 'node:fs';
import puppeteer from 'puppeteer-core';
import { pageDriver } from './engine-common.mjs';
import { startAudioSink } from './audio-sink.mjs';

export const FIREFOX = process.env.FIREFOX ?? '/usr/bin/firefox-esr';

const PREFS = {
  'media.autoplay.default': 0, // allowed, also with sound
  'media.autoplay.blocking_policy': 0,
  'browser.shell.checkDefaultBrowser': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'app.update.enabled': false,
};

export async function launchFirefox({ ignoreHTTPSErrors = false, hosts = [] } = {}) {
  if (!fs.existsSync(FIREFOX)) throw new Error(`${FIREFOX} is missing: install firefox-esr (or set FIREFOX)`);
  // Firefox's AudioContext runs only with a sound server (cubeb: PulseAudio).
  const sink = await startAudioSink();
  const browser = await puppeteer.launch({
    browser: 'firefox',
    env: { ...process.env, ...sink.env },
    protocol: 'webDriverBiDi',
    executablePath: FIREFOX,
    headless: true,
    acceptInsecureCerts: ignoreHTTPSErrors,
    defaultViewport: { width: 960, height: 600 },
    // A page whose script calls hang (seen with audio, rarely) fails in a
    // minute rather than puppeteer's default three.
    protocolTimeout: 60000,
    // localDomains: these names resolve as localhost does; IPv4 only,
    // as the test servers listen on 127.0.0.1.
    extraPrefsFirefox: hosts.length
      ? { ...PREFS, 'network.dns.localDomains': hosts.join(','), 'network.dns.disableIPv6': true }
      : PREFS,
  });
  const page = (await browser.pages())[0] ?? await browser.newPage();
  const driver = pageDriver('firefox', page, async () => {
    await browser.close().catch(() => {});
    sink.stop();
  }, () => browser.newPage());
  driver.noSoundServer = sink.reason;
  driver.soundStreams = sink.streams;
  driver.soundEnv = sink.env;
  return driver;
}
