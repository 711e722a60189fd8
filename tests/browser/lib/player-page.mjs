// What the tests look at in the player page: its statistics, hashes of the
// pixels on screen (canvas for WebCodecs, the <video> for MSE), and its
// elements. `browser` is what lib/browser.mjs launch() gives, any engine.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './browser.mjs';
import { startStaticServer } from './static-server.mjs';

export const OUT_DIR = fileURLToPath(new URL('../out/', import.meta.url));

/**
 * What most test files start with: the static server that serves the
 * player (lib/static-server.mjs) and the engine under test. Resolves to
 * {web, browser}; closePlayer() ends both.
 */
export async function openPlayer() {
  const web = await startStaticServer();
  return { web, browser: await launch() };
}

export async function closePlayer({ web, browser }) {
  await browser?.close();
  await web?.close();
}

export function playerUrl(webUrl, streamPort, params = {}) {
  const query = new URLSearchParams({ src: `http://127.0.0.1:${streamPort}/stream`, ...params });
  return `${webUrl}?${query}`;
}

export const stats = (browser) => browser.evaluate(() => window.ssePlayer.stats);

/**
 * Waits until `predicate(stats)` holds; its source is evaluated in the page.
 * On timeout the error has the stats and the last console lines.
 */
export async function waitForStats(browser, predicate, timeout = 20000) {
  await browser.waitFor(`(${predicate})(window.ssePlayer?.stats ?? {})`, timeout);
  return stats(browser);
}

/** Text of the first element matching `selector` (null when there is none). */
export const text = (browser, selector) =>
  browser.evaluate((sel) => document.querySelector(sel)?.textContent ?? null, selector);

/** An attribute of the first element matching `selector`. */
export const attribute = (browser, selector, name) =>
  browser.evaluate(([sel, attr]) => document.querySelector(sel)?.getAttribute(attr) ?? null, [selector, name]);

/** The element exists, takes up room on the page and is not visibility:hidden. */
export const isVisible = (browser, selector) => browser.evaluate((sel) => {
  const el = document.querySelector(sel);
  return Boolean(el) && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
}, selector);

/**
 * Clicks the player's Unmute button once it shows, as a user would (the
 * gesture browsers require to start sound), and checks that exactly one
 * click reached the page: WebKitGTK's driver now and then reports a click
 * done that the page never got, and then it is clicked again. Resolves to
 * a note saying so, or null.
 */
export async function clickUnmute(browser) {
  await browser.waitFor("(() => { const b = document.querySelector('[data-action=mute]');" +
    ' return b && !b.hidden && b.getClientRects().length > 0; })()', 10000);
  await browser.evaluate(() => {
    window.muteClicks = 0;
    document.querySelector('[data-action=mute]').addEventListener('click', () => window.muteClicks++, true);
  });
  await browser.click('[data-action=mute]');
  if (await browser.waitFor('window.muteClicks', 2000).catch(() => 0)) return null;
  await browser.click('[data-action=mute]');
  const clicks = await browser.waitFor('window.muteClicks', 5000);
  if (clicks !== 1) throw new Error(`${clicks} clicks reached the Unmute button, not one`);
  return `${browser.engine}: the driver's click did not reach the page; clicked again`;
}

/**
 * The uniform line the lead's performance table is filled from:
 * `# perf engine=.. path=.. p50=.. p95=.. fps=.. dropped=.. decoded=..`.
 */
export function perfLine(t, engine, s, { fps = s.fps, dropped = s.framesDropped, decoded = s.framesDecoded } = {}) {
  t.diagnostic(`perf engine=${engine} path=${s.path} p50=${s.latencyMs.p50} p95=${s.latencyMs.p95} ` +
    `fps=${fps} dropped=${dropped} decoded=${decoded}`);
}

/**
 * Hash and brightness spread of what is on screen now: the visible canvas,
 * or the video element's current frame.
 */
export function screenSample(browser) {
  return browser.evaluate(() => {
    const canvas = document.querySelector('canvas:not([hidden])');
    const video = document.querySelector('video:not([hidden])');
    let pixels;
    if (canvas) {
      pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    } else if (video && video.videoWidth) {
      const c = new OffscreenCanvas(video.videoWidth, video.videoHeight);
      const ctx = c.getContext('2d');
      ctx.drawImage(video, 0, 0);
      pixels = ctx.getImageData(0, 0, c.width, c.height).data;
    } else {
      return null;
    }
    let hash = 0x811c9dc5;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      const y = (pixels[i] * 2 + pixels[i + 1] * 5 + pixels[i + 2]) >> 3;
      sum += y;
      sumSq += y * y;
      hash = Math.imul(hash ^ pixels[i] ^ (pixels[i + 1] << 8) ^ (pixels[i + 2] << 16), 16777619) >>> 0;
    }
    const n = pixels.length / 4;
    const mean = sum / n;
    return { hash: hash.toString(16), mean, stddev: Math.sqrt(sumSq / n - mean * mean) };
  });
}

/** Takes `count` screen samples `intervalMs` apart. */
export async function screenSamples(browser, count = 4, intervalMs = 400) {
  const samples = [];
  for (let i = 0; i < count; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, intervalMs));
    samples.push(await screenSample(browser));
  }
  return samples;
}

/** A sample shows a picture: not missing and not one flat colour. */
export const isPicture = (s) => s !== null && s.stddev > 10;

/** Saves a screenshot as out/<engine>-<name>.png; resolves to its path. */
export async function screenshot(browser, name) {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `${browser.engine}-${name}.png`);
  await browser.screenshot(file);
  return file;
}
