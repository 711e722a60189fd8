// What the tests look at in the player page: its statistics, and hashes of
// the pixels on screen (canvas for WebCodecs, the <video> for MSE).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const OUT_DIR = fileURLToPath(new URL('../out/', import.meta.url));

export function playerUrl(webUrl, streamPort, params = {}) {
  const query = new URLSearchParams({ src: `http://127.0.0.1:${streamPort}/stream`, ...params });
  return `${webUrl}?${query}`;
}

export const stats = (page) => page.evaluate(() => window.ssePlayer.stats);

/** Waits until `predicate(stats)` holds; its source is evaluated in the page. */
export async function waitForStats(page, predicate, timeout = 20000) {
  try {
    await page.waitForFunction(`(${predicate})(window.ssePlayer?.stats ?? {})`, null, { timeout, polling: 100 });
  } catch (e) {
    const s = await stats(page).catch(() => null);
    throw new Error(`${predicate} not reached in ${timeout} ms; stats: ${JSON.stringify(s)}`, { cause: e });
  }
  return stats(page);
}

/**
 * Hash and brightness spread of what is on screen now: the visible canvas,
 * or the video element's current frame.
 */
export function screenSample(page) {
  return page.evaluate(() => {
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
export async function screenSamples(page, count = 4, intervalMs = 400) {
  const samples = [];
  for (let i = 0; i < count; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, intervalMs));
    samples.push(await screenSample(page));
  }
  return samples;
}

/** A sample shows a picture: not missing and not one flat colour. */
export const isPicture = (s) => s !== null && s.stddev > 10;

export async function screenshot(page, name) {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}
