// The player in every browser engine, side by side in one run: for each
// engine and decode path, a live 640x360 30 fps stream from the real
// ssesink is played for a while and the player's own figures are read
// (window.ssePlayer.stats): server -> screen latency p50/p95, frames shown per
// second, frames dropped and decoded. Prints a table (Markdown) and writes
// the figures as JSON.
//
//   node bench/player-engines.mjs [--seconds 10] [--out FILE]
//   SSE_BROWSERS="chromium firefox" node bench/player-engines.mjs
//
// Uses the browser-test harness (tests/browser/lib: playwright-core for
// Chromium, puppeteer-core for Firefox ESR, WebKitWebDriver for WebKitGTK)
// and the element in build/ (GST_SSE_BUILD_DIR). bench/player-engines.sh
// installs and builds what it needs first.
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { ENGINES, launch } from '../tests/browser/lib/browser.mjs';
import { startPipeline, videoPipeline } from '../tests/browser/lib/pipeline.mjs';
import { startStaticServer } from '../tests/browser/lib/static-server.mjs';
import { playerUrl, stats, waitForStats } from '../tests/browser/lib/player-page.mjs';

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    out: { type: 'string', default: '' },
  },
});
const MEASURE_MS = Number(opts.seconds) * 1000;
const WARMUP_MS = Number(opts.warmup) * 1000;
const engines = (process.env.SSE_BROWSERS ?? ENGINES.join(' ')).split(/\s+/).filter(Boolean);

// What is measured: the two decode paths with video only, and the stream
// with AAC audio (which the player plays through MSE).
const CASES = [
  { name: 'WebCodecs', params: { mode: 'webcodecs' }, audio: false },
  { name: 'MSE', params: { mode: 'mse' }, audio: false },
  { name: 'MSE, with AAC', params: {}, audio: true },
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The player's latency window is the last 5 s: it is read at the end of
// each 5 s of the measurement, and the windows are averaged (p50) or the
// worst taken (p95).
const WINDOW_MS = 5000;

async function measure(engine, web, c) {
  const pipeline = await startPipeline(videoPipeline({ audio: c.audio }));
  const browser = await launch({ engine });
  try {
    await browser.goto(playerUrl(web.url, pipeline.port, c.params));
    await waitForStats(browser, (s) => s.state === 'playing' && s.framesDrawn > 0, 20000);
    await sleep(WARMUP_MS);
    const start = await stats(browser);
    const t0 = performance.now();
    const windows = [];
    for (let left = MEASURE_MS; left > 0; left -= WINDOW_MS) {
      await sleep(Math.min(WINDOW_MS, left));
      windows.push((await stats(browser)).latencyMs);
    }
    const end = await stats(browser);
    const seconds = (performance.now() - t0) / 1000;
    const p50s = windows.map((w) => w.p50).filter(Number.isFinite);
    const p95s = windows.map((w) => w.p95).filter(Number.isFinite);
    return {
      engine,
      case: c.name,
      path: end.path,
      codec: end.codec,
      state: end.state,
      p50Ms: p50s.length ? p50s.reduce((a, b) => a + b, 0) / p50s.length : null,
      p95Ms: p95s.length ? Math.max(...p95s) : null,
      fps: (end.framesDrawn - start.framesDrawn) / seconds,
      dropped: end.framesDropped - start.framesDropped,
      decoded: end.framesDecoded - start.framesDecoded,
      events: end.mediaEvents - start.mediaEvents,
      seconds,
    };
  } catch (e) {
    return { engine, case: c.name, error: e.message.split('\n')[0].slice(0, 300) };
  } finally {
    await browser.close();
    await pipeline.stop();
  }
}

const fmt = (v, digits = 1) => (v === null || v === undefined ? '–' : Number(v).toFixed(digits));

const web = await startStaticServer();
const results = [];
try {
  for (const engine of engines) {
    for (const c of CASES) {
      const r = await measure(engine, web, c);
      console.error(`${engine} / ${c.name}: ${JSON.stringify(r)}`);
      results.push(r);
    }
  }
} finally {
  await web.close();
}

let commit = '';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
} catch { /* not a checkout */ }
console.log(`\nPlayer per engine and path: 640x360, 30 fps, H.264 High 4:2:0 (commit ${commit || 'unknown'}, ` +
  `${MEASURE_MS / 1000} s each after ${WARMUP_MS / 1000} s of warm-up)\n`);
console.log('| engine | path | server→screen p50 | p95 | fps shown | dropped | decoded / events |');
console.log('|---|---|---|---|---|---|---|');
for (const r of results) {
  if (r.error) {
    console.log(`| ${r.engine} | ${r.case} | failed: ${r.error} | | | | |`);
    continue;
  }
  console.log(`| ${r.engine} | ${r.case} | ${fmt(r.p50Ms)} ms | ${fmt(r.p95Ms)} ms | ${fmt(r.fps)} | ` +
    `${r.dropped} | ${r.decoded} / ${r.events} |`);
}
if (opts.out) fs.writeFileSync(opts.out, JSON.stringify({ commit, results }, null, 2));
process.exit(results.some((r) => r.error) ? 1 : 0);
