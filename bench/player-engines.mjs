// The player in every browser engine, side by side in one run: for each
// engine, decode path (WebCodecs, MSE; forced with ?mode=) and stream (video
// only, video + AAC), a live 640x360 30 fps stream from the real ssesink is
// played for a while and the player's own figures are read
// (window.ssePlayer.stats): server -> screen latency p50/p95, A/V offset
// p50/p95 (avSyncMs), audio underruns, frames shown per second, frames
// dropped and decoded, and on the MSE path its latency chasing (stalls,
// jumps, buffer target). Audio runs click Unmute first. Fields the player
// does not give are printed as "–". Prints a table (Markdown) and writes the
// figures as JSON.
//
//   node bench/player-engines.mjs [--seconds 10] [--out FILE]
//   SSE_BROWSERS="chromium firefox" SSE_BENCH_PATHS=mse node bench/player-engines.mjs
//
// Uses the browser-test harness (tests/browser/lib: playwright-core for
// Chromium, puppeteer-core for Firefox ESR, WebKitWebDriver for WebKitGTK)
// and the element in build/ (GST_SSE_BUILD_DIR). bench/player-engines.sh
// installs and builds what it needs first.
import fs from 'node:fs';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { ENGINES, launch } from '../tests/browser/lib/browser.mjs';
import { startPipeline, videoPipeline } from '../tests/browser/lib/pipeline.mjs';
import { startStaticServer } from '../tests/browser/lib/static-server.mjs';
import { playerUrl, stats, waitForStats, clickUnmute } from '../tests/browser/lib/player-page.mjs';
import { listen, instrumentPage, pairTicks } from '../tests/browser/lib/sound-probe.mjs';
import { percentile } from '../web/src/stats.js';

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '10' },
    out: { type: 'string', default: '' },
  },
});
const MEASURE_MS = Number(opts.seconds) * 1000;
const WARMUP_MS = Number(opts.warmup) * 1000;
const engines = (process.env.SSE_BROWSERS ?? ENGINES.join(' ')).split(/\s+/).filter(Boolean);

// What is measured: each decode path, forced, with a video-only stream and
// with the same stream plus AAC audio. Audio runs click Unmute, so that the
// sound plays (WebCodecs: the AudioContext starts and becomes the clock).
// SSE_BENCH_PATHS="mse" measures one path only; SSE_BENCH_AUDIO="aac" (or
// "none") only the streams with (without) audio.
const PATHS = (process.env.SSE_BENCH_PATHS ?? 'webcodecs mse').split(/\s+/).filter(Boolean);
const AUDIO = (process.env.SSE_BENCH_AUDIO ?? 'none aac').split(/\s+/).filter(Boolean);
const CASES = PATHS.flatMap((path) => AUDIO.map((a) => ({ path, audio: a === 'aac' })));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The player's latency and A/V windows are the last 5 s: they are read at
// the end of each 5 s of the measurement, and the windows are averaged
// (p50) or the worst taken (p95).
const WINDOW_MS = 5000;

// What the page gives besides the stats snapshot: the MSE path's chasing
// (statsData.mse, a live object) and whether the <video> is muted.
const extras = (browser) => browser.evaluate(() => ({
  mse: window.ssePlayer.stats.mse ?? window.ssePlayer.statsData?.mse ?? null,
  videoMuted: document.querySelector('video')?.muted ?? null,
}));

const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const max = (xs) => (xs.length ? Math.max(...xs) : null);
const finite = (xs) => xs.filter(Number.isFinite);

async function measure(engine, web, c) {
  const name = `${c.path}${c.audio ? ' + AAC' : ''}`;
  const pipeline = await startPipeline(videoPipeline({ audio: c.audio }));
  const browser = await launch({ engine });
  const notes = [];
  try {
    await browser.goto(playerUrl(web.url, pipeline.port, { mode: c.path }));
    await waitForStats(browser, (s) => s.state === 'playing' && s.framesDrawn > 0, 20000);
    if (c.audio) {
      await clickUnmute(browser).then((note) => note && notes.push(note),
        (e) => notes.push(`unmute: ${e.message.split('\n')[0].slice(0, 120)}`));
    }
    const heardAv = c.audio && c.path === 'webcodecs' && !browser.noSoundServer;
    if (heardAv) await instrumentPage(browser);
    await sleep(WARMUP_MS);
    const listener = heardAv ? listen(browser) : null;
    const start = await stats(browser);
    const startExtras = await extras(browser);
    const t0 = performance.now();
    const windows = [];
    for (let left = MEASURE_MS; left > 0; left -= WINDOW_MS) {
      await sleep(Math.min(WINDOW_MS, left));
      const s = await stats(browser);
      windows.push({ latency: s.latencyMs, av: s.avSyncMs ?? null });
    }
    const end = await stats(browser);
    const endExtras = await extras(browser);
    const ticks = listener ? await pairTicks(browser, await listener.stop()) : [];
    const heard = ticks.map((t) => t.offsetMs);
    const outputs = ticks.map((t) => t.outputMs);
    const seconds = (performance.now() - t0) / 1000;
    const has = (field) => end[field] !== undefined && end[field] !== null;
    const delta = (field) => (has(field) && Number.isFinite(start[field]) ? end[field] - start[field] : null);
    const mseDelta = (field) => (endExtras.mse && startExtras.mse ? endExtras.mse[field] - startExtras.mse[field] : null);
    return {
      engine,
      case: name,
      path: end.path,
      audio: c.audio,
      codec: end.codec,
      state: end.state,
      audioPath: end.audioPath ?? null,
      audioState: end.audioState ?? null,
      videoMuted: endExtras.videoMuted,
      p50Ms: mean(finite(windows.map((w) => w.latency?.p50))),
      p95Ms: max(finite(windows.map((w) => w.latency?.p95))),
      avP50Ms: mean(finite(windows.map((w) => w.av?.p50))),
      avP95Ms: max(finite(windows.map((w) => w.av?.p95))),
      heardAvP50Ms: heard.length ? percentile(heard, 50) : null,
      heardAvP95Ms: heard.length ? percentile(heard.map(Math.abs), 95) : null,
      heardTicks: heard.length,
      heardOutputP50Ms: outputs.length ? percentile(outputs, 50) : null,
      reportedOutputMs: ticks.at(-1)?.reportedMs ?? null,
      audioUnderruns: delta('audioUnderruns'),
      audioFramesDecoded: delta('audioFramesDecoded'),
      fps: (end.framesDrawn - start.framesDrawn) / seconds,
      dropped: end.framesDropped - start.framesDropped,
      decoded: end.framesDecoded - start.framesDecoded,
      events: end.mediaEvents - start.mediaEvents,
      mseStalls: mseDelta('stalls'),
      mseJumps: mseDelta('jumps'),
      mseTargetMs: endExtras.mse?.targetMs ?? null,
      mseChase: endExtras.mse?.chase ?? null,
      seconds,
      notes,
    };
  } catch (e) {
    return { engine, case: name, error: e.message.split('\n')[0].slice(0, 300), notes };
  } finally {
    await browser.close();
    await pipeline.stop();
  }
}

const fmt = (v, digits = 1) => (v === null || v === undefined || Number.isNaN(v) ? '–' : Number(v).toFixed(digits));

const loadBefore = os.loadavg()[0];
const web = await startStaticServer();
const results = [];
try {
  for (const engine of engines) {
    for (const c of CASES) {
      const r = await measure(engine, web, c);
      console.error(`${engine} / ${r.case}: ${JSON.stringify(r)}`);
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
console.log(`\nPlayer per engine, path and audio: 640x360, 30 fps, H.264 High 4:2:0, AAC-LC from voaacenc ` +
  `(commit ${commit || 'unknown'}, ${MEASURE_MS / 1000} s each after ${WARMUP_MS / 1000} s of warm-up; ` +
  `load average ${loadBefore.toFixed(1)} before, ${os.loadavg()[0].toFixed(1)} after, ${os.cpus().length} CPUs)\n`);
console.log('| engine | path | audio | server→screen p50 | p95 | A/V offset p50 | p95 | heard A/V offset p50 / \\|p95\\| (ticks) | output latency heard / reported | audio underruns | fps shown | dropped | MSE stalls / jumps (target, chase) |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const [path, audio] = r.case.split(' + ');
  if (r.error) {
    console.log(`| ${r.engine} | ${path} | ${audio ? 'AAC' : 'none'} | failed: ${r.error} | | | | | | | | | |`);
    continue;
  }
  const mse = r.mseStalls === null ? '–' : `${r.mseStalls} / ${r.mseJumps} (${r.mseTargetMs} ms, ${r.mseChase})`;
  const av = r.audio ? [fmt(r.avP50Ms), fmt(r.avP95Ms)] : ['', ''];
  const heard = r.heardTicks ? `${fmt(r.heardAvP50Ms)} / ${fmt(r.heardAvP95Ms)} (${r.heardTicks})` : '';
  const output = r.heardTicks ? `${fmt(r.heardOutputP50Ms)} / ${fmt(r.reportedOutputMs)} ms` : '';
  console.log(`| ${r.engine} | ${r.path}${r.path !== path ? ` (asked ${path})` : ''} | ${r.audio ? 'AAC' : 'none'} | ` +
    `${fmt(r.p50Ms)} ms | ${fmt(r.p95Ms)} ms | ${av[0]} | ${av[1]} | ${heard} | ${output} | ${r.audio ? (r.audioPath === 'webcodecs' ? fmt(r.audioUnderruns, 0) : '–') : ''} | ` +
    `${fmt(r.fps)} | ${r.dropped} | ${mse} |`);
}
const notes = results.filter((r) => r.notes?.length || (r.audio && r.audioState && r.audioState !== 'playing'));
for (const r of notes) {
  console.log(`\n- ${r.engine} / ${r.case}: ${[...(r.notes ?? []), r.audioState ? `audioState ${r.audioState}` : ''].filter(Boolean).join('; ')}`);
}
if (opts.out) fs.writeFileSync(opts.out, JSON.stringify({ commit, loadBefore, loadAfter: os.loadavg()[0], results }, null, 2));
process.exit(results.some((r) => r.error) ? 1 : 0);
