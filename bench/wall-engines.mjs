// The wall (web/wall.html) in every browser engine: N cameras (ssesinks at
// 320x240, 30 fps, on one port in one gst-launch-1.0), the wall as the
// element serves it at GET /, and for each engine:
//   - mux: every tile over the one multiplexed connection: tiles playing,
//     frames decoded per second (all tiles), and the browser's CPU (every
//     process of the browser: utime+stime from /proc, in % of one core)
//     over --seconds, after --warmup;
//   - single: the same wall with ?mux=0 (one EventSource per tile, what a
//     page without the multiplexed endpoint has to do): how many of the
//     tiles ever play within --join seconds.
// Prints a Markdown table and the load average; writes JSON with --out.
//
//   node bench/wall-engines.mjs [--tiles 16] [--seconds 10] [--warmup 5] [--out FILE]
//   SSE_BROWSERS="chromium firefox" node bench/wall-engines.mjs
//
// Uses tests/browser/lib (the engines' drivers, the pipeline helpers; npm ci
// there and in web/) and the element built in build/ (GST_SSE_BUILD_DIR).
import fs from 'node:fs';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { ENGINES, launch } from '../tests/browser/lib/browser.mjs';
import { startPipeline, wallPipeline, freePort } from '../tests/browser/lib/pipeline.mjs';

const { values: opts } = parseArgs({
  options: {
    tiles: { type: 'string', default: '16' },
    single: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '5' },
    join: { type: 'string', default: '20' },
    out: { type: 'string', default: '' },
  },
});
const TILES = Number(opts.tiles);
const SINGLE = Number(opts.single);
const engines = (process.env.SSE_BROWSERS ?? ENGINES.join(' ')).split(/\s+/).filter(Boolean);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
// Processes under this one that are not the browser.
const NOT_BROWSER = new Set(['gst-launch-1.0', 'pulseaudio', 'Xvfb', 'WebKitWebDriver', 'pactl', 'ss', 'getconf']);

/** pid -> {ppid, comm, ticks} of every process now. */
function processes() {
  const out = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      out.set(Number(name), { ppid: Number(f[1]), comm, ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU ticks of the browser's processes (descendants of this one but NOT_BROWSER's). */
function browserTicks() {
  const procs = processes();
  const children = new Map();
  for (const [pid, p] of procs) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(pid);
  }
  let ticks = 0;
  const walk = (pid) => {
    for (const c of children.get(pid) ?? []) {
      const p = procs.get(c);
      if (!NOT_BROWSER.has(p.comm)) ticks += p.ticks; // WebKitWebDriver's children are the browser
      walk(c);
    }
  };
  walk(process.pid);
  return ticks;
}

const players = (browser) => browser.evaluate(() => window.sseWall?.players ?? []);

async function measureMux(browser, origin) {
  await browser.goto(`${origin}/`);
  const joinBy = performance.now() + Number(opts.join) * 1000;
  let list = [];
  while (performance.now() < joinBy) {
    list = await players(browser);
    if (list.length === TILES && list.every((p) => p.state === 'playing')) break;
    await sleep(250);
  }
  await sleep(Number(opts.warmup) * 1000);
  const a = await players(browser);
  const t0 = browserTicks();
  const s0 = performance.now();
  await sleep(Number(opts.seconds) * 1000);
  const t1 = browserTicks();
  const secs = (performance.now() - s0) / 1000;
  const b = await players(browser);
  const conn = await browser.evaluate(() => window.sseWall.connection);
  const decoded = b.reduce((n, p, i) => n + p.framesDecoded - (a[i]?.framesDecoded ?? 0), 0);
  const events = b.reduce((n, p, i) => n + p.eventsAfterFirstKey - (a[i]?.eventsAfterFirstKey ?? 0), 0);
  return {
    playing: b.filter((p) => p.state === 'playing').length,
    cpuPercent: Math.round(((t1 - t0) / TICK / secs) * 1000) / 10,
    fpsDecoded: Math.round((decoded / secs) * 10) / 10,
    decodedPerEvent: events ? Math.round((decoded / events) * 1000) / 1000 : null,
    requests: conn.counters?.requests ?? null,
    paths: b.map((p) => p.path),
  };
}

async function measureSingle(browser, origin) {
  const streams = Array.from({ length: SINGLE }, (_, i) => `/cam${i + 1}`).join(',');
  // Away first: a page holding 6 connections to the server leaves none for
  // loading the next page from it (the navigation waits for one).
  // Not goto(): its load event waits for the tiles' posters (snapshot.jpg),
  // which wait for a connection the EventSources hold.
  await browser.goto('about:blank');
  await browser.evaluate((url) => { location.href = url; }, `${origin}/?mux=0&streams=${streams}`);
  const joinBy = performance.now() + Number(opts.join) * 1000;
  const ever = new Set();
  let message = '';
  while (performance.now() < joinBy) {
    const list = await players(browser).catch(() => []); // the page may still be loading
    for (const p of list) if (p.framesDecoded > 0) ever.add(p.stream);
    message = await browser.evaluate(() => document.querySelector('.wall-message')?.textContent ?? '').catch(() => '');
    if (ever.size === SINGLE) break;
    await sleep(250);
  }
  return { playing: ever.size, of: SINGLE, message };
}

const port = await freePort();
const cams = Array.from({ length: TILES }, (_, i) => ({ path: `/cam${i + 1}`, width: 320, height: 240 }));
const pipeline = await startPipeline(wallPipeline(cams, { port }), { port });
const origin = `http://127.0.0.1:${port}`;
const results = [];
try {
  for (const engine of engines) {
    const browser = await launch({ engine });
    try {
      const load = os.loadavg()[0];
      const mux = await measureMux(browser, origin);
      const single = await measureSingle(browser, origin);
      results.push({ engine, load: Math.round(load * 10) / 10, mux, single });
      console.error(`# ${engine}: ${JSON.stringify({ mux, single })}`);
    } finally {
      await browser.close();
    }
  }
} finally {
  await pipeline.stop();
}
const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
})();
console.log(`\n${TILES} tiles at 320x240, 30 fps, one port; commit ${commit}; ${os.cpus().length} cores\n`);
console.log('| engine | load (1 min) | tiles playing (mux) | requests | browser CPU (% of a core) | frames decoded /s | decoded per event | ?mux=0: tiles playing |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(`| ${r.engine} | ${r.load} | ${r.mux.playing} of ${TILES} | ${r.mux.requests} | ${r.mux.cpuPercent} | ` +
    `${r.mux.fpsDecoded} | ${r.mux.decodedPerEvent} | ${r.single.playing} of ${r.single.of} |`);
}
if (opts.out) fs.writeFileSync(opts.out, JSON.stringify({ commit, tiles: TILES, results }, null, 2));
