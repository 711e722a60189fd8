// The WebCodecs path against the real element: every frame decoded and
// shown, a live picture, and a late joiner starting at an IDR.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './lib/browser.mjs';
import { startPipeline, videoPipeline } from './lib/pipeline.mjs';
import { readEvents } from './lib/sse-client.mjs';
import { TsDemuxer } from '../../web/src/tsdemux.js';
import { inspectAccessUnit } from '../../web/src/h264.js';
import {
  openPlayer, closePlayer, playerUrl, stats, waitForStats, screenSamples, isPicture, screenshot, text, isVisible, perfLine,
} from './lib/player-page.mjs';

let web;
let browser;

before(async () => ({ web, browser } = await openPlayer()));
after(() => closePlayer({ web, browser }));

test('live stream: WebCodecs decodes every frame and shows a moving picture', async (t) => {
  // ssesink's INFO lines say which clients get a gzip body (compression=auto).
  const pipeline = await startPipeline(videoPipeline({ keyInt: 30 }), { debug: 'ssesink:4' });
  t.after(() => pipeline.stop());
  await browser.goto(playerUrl(web.url, pipeline.port));

  const s = await waitForStats(browser, (st) => st.framesDecoded >= 150);
  assert.equal(s.path, 'webcodecs');
  assert.equal(s.state, 'playing');
  assert.equal(s.errors, 0, s.lastError);
  assert.deepEqual([s.width, s.height], [640, 360]);
  assert.ok(s.framesDecoded >= 0.9 * s.eventsAfterFirstKey,
    `${s.framesDecoded} frames decoded for ${s.eventsAfterFirstKey} media events after the first key`);
  assert.equal(s.framesDropped, 0);
  // The engine's EventSource asked for gzip by itself, so that is what it decoded.
  assert.match(pipeline.output(), /client \d+ \([^)]*\) connected to \/stream \(gzip\)/,
    'the browser\'s client got no gzip body');

  const samples = await screenSamples(browser, 4, 400);
  assert.ok(samples.every(isPicture), `blank screen: ${JSON.stringify(samples)}`);
  assert.equal(new Set(samples.map((x) => x.hash)).size, samples.length, 'the picture changes');

  // The clock overlay ticks, so after a second the stats must have moved on.
  const later = await waitForStats(browser, (st) => st.fps > 20);
  t.diagnostic(`latency server->screen p50 ${later.latencyMs.p50} ms p95 ${later.latencyMs.p95} ms; ` +
    `arrival->screen p50 ${later.receiptLatencyMs.p50} ms p95 ${later.receiptLatencyMs.p95} ms; ` +
    `fps ${later.fps}; ${later.framesDecoded}/${later.eventsAfterFirstKey} frames/events`);
  perfLine(t, browser.engine, later);
  assert.ok(later.latencyMs.p50 < 250, `latency p50 ${later.latencyMs.p50} ms`);

  // Statistics overlay: toggled with the S key.
  await browser.press('s');
  assert.ok(await isVisible(browser, '.overlay'));
  await browser.waitFor("document.querySelector('.overlay').textContent.includes('WebCodecs')");
  t.diagnostic(`screenshot: ${await screenshot(browser, 'webcodecs-playing')}`);
  await browser.press('s');
  assert.ok(!(await isVisible(browser, '.overlay')));
  assert.equal(await text(browser, '.path'), 'WebCodecs');

  // Full screen from the button, and back with the F key.
  if (browser.engine === 'firefox') {
    t.diagnostic('firefox: Firefox driven over WebDriver BiDi denies requestFullscreen() even from a real click ' +
      '(navigator.userActivation.isActive is true in the handler, but document.hasFocus() is false; headless and ' +
      'under Xvfb alike), so this checks that the button asks for full screen and that the denial leaves the ' +
      'player playing');
    await browser.evaluate(() => {
      window.fullscreenErrors = 0;
      document.addEventListener('fullscreenerror', () => window.fullscreenErrors++);
    });
    await browser.click('[data-action=fullscreen]');
    await browser.waitFor('window.fullscreenErrors === 1');
    const after = await waitForStats(browser, new Function('st', `return st.framesDrawn > ${later.framesDrawn + 30}`));
    assert.equal(after.state, 'playing');
    assert.equal(after.errors, 0, after.lastError);
    return;
  }
  await browser.click('[data-action=fullscreen]');
  await browser.waitFor("document.fullscreenElement?.id === 'player'");
  await browser.press('f');
  await browser.waitFor('document.fullscreenElement === null');
});

test('pause holds the picture; play returns to the live edge', async (t) => {
  const pipeline = await startPipeline(videoPipeline({ keyInt: 30 }));
  t.after(() => pipeline.stop());
  await browser.goto(playerUrl(web.url, pipeline.port));
  await waitForStats(browser, (st) => st.framesDecoded >= 30);

  await browser.click('[data-action=pause]');
  const paused = await waitForStats(browser, (st) => st.state === 'paused');
  await new Promise((r) => setTimeout(r, 1500));
  const stillPaused = await stats(browser);
  assert.ok(stillPaused.framesDrawn - paused.framesDrawn <= 1, 'no frames drawn while paused');
  assert.match(await text(browser, '.message'), /Paused/);

  await browser.click('[data-action=pause]');
  const resumed = await waitForStats(browser, (st) => st.state === 'playing' && st.framesDrawn > 0)
    .then(() => waitForStats(browser, (st) => st.latencyMs.p50 !== null && st.fps > 20));
  // Back at the live edge: the newest frames are not 1.5 s old.
  const recent = await browser.evaluate(() => {
    const w = window.ssePlayer.statsData.latency;
    return w.values.slice(-10);
  });
  assert.ok(Math.max(...recent) < 500, `latency after resume: ${recent}`);
  assert.equal(resumed.errors, 0, resumed.lastError);
});

test('a client joining mid-GOP starts at an IDR with PAT and PMT', async (t) => {
  // Two-second GOPs, so a join almost always lands in the middle of one.
  const pipeline = await startPipeline(videoPipeline({ keyInt: 60 }));
  t.after(() => pipeline.stop());
  const url = `http://127.0.0.1:${pipeline.port}/stream`;

  let join;
  for (let attempt = 0; attempt < 3; attempt++) {
    await new Promise((r) => setTimeout(r, 1100));
    // The backlog from the last keyframe arrives in one burst; read a bit past it.
    const events = await readEvents(url, (ev) => ev.length > 1 && ev.at(-1).at - ev[1].at > 300);
    join = describeJoin(events.filter((e) => e.event === 'message'));
    if (join.burst > 1) break; // joined mid-GOP: the backlog came along
  }
  t.diagnostic(`join: ${JSON.stringify(join)}`);
  assert.ok(join.burst > 1, 'joined in the middle of a GOP');
  assert.equal(join.key, true);
  assert.ok(join.startsWithPat, 'first chunk starts with the PAT');
  assert.deepEqual(join.program, ['h264']);
  assert.ok(join.isIdr && join.hasSps, 'first frame is an IDR with its SPS');
  assert.ok(join.consecutive, 'sequence numbers increase by one');

  // And the player, joining late, shows the first frame at once without skipping anything.
  await browser.goto(playerUrl(web.url, pipeline.port));
  const s = await waitForStats(browser, (st) => st.framesDecoded >= 90);
  assert.equal(s.eventsSkipped, 0);
  assert.equal(s.framesDropped, 0);
  assert.ok(s.framesDecoded >= 0.9 * s.eventsAfterFirstKey);
  assert.equal(s.errors, 0, s.lastError);
});

function describeJoin(media) {
  const chunks = media.map((e) => JSON.parse(e.data));
  const first = new Uint8Array(Buffer.from(chunks[0].data, 'base64'));
  let program = null;
  let firstVideo = null;
  const demuxer = new TsDemuxer({
    onProgram: (p) => (program = p),
    onPes: (p) => {
      if (p.codec === 'h264') firstVideo ??= inspectAccessUnit(p.data);
    },
  });
  demuxer.push(first);
  // Frames of the first chunk may end in the next one.
  if (!firstVideo && chunks.length > 1) demuxer.push(new Uint8Array(Buffer.from(chunks[1].data, 'base64')));
  return {
    key: chunks[0].key,
    startsWithPat: first[0] === 0x47 && (((first[1] & 0x1f) << 8) | first[2]) === 0,
    program: program?.streams.map((s) => s.codec),
    isIdr: firstVideo?.isIdr ?? false,
    hasSps: Boolean(firstVideo?.sps),
    burst: media.filter((e) => e.at - media[0].at < 30).length,
    consecutive: chunks.every((c, i) => i === 0 || c.seq === chunks[i - 1].seq + 1),
  };
}

test('a decoder too slow for the stream skips to keyframes instead of lagging ever more', async (t) => {
  const pipeline = await startPipeline(videoPipeline({ keyInt: 30 }));
  t.after(() => pipeline.stop());
  const slow = await launch();
  t.after(() => slow.close());
  // Wrap VideoDecoder so that it takes at most 20 frames a second of a 30 fps stream.
  const slowPage = web.withInitScript(() => {
    const Real = window.VideoDecoder;
    window.VideoDecoder = class SlowDecoder {
      static isConfigSupported(config) {
        return Real.isConfigSupported(config);
      }

      constructor(init) {
        this.inner = new Real(init);
        this.held = [];
        this.timer = setInterval(() => {
          if (this.held.length > 0 && this.inner.state === 'configured') this.inner.decode(this.held.shift());
        }, 50);
      }

      get state() {
        return this.inner.state;
      }

      get decodeQueueSize() {
        return this.held.length + this.inner.decodeQueueSize;
      }

      configure(config) {
        this.inner.configure(config);
      }

      decode(chunk) {
        this.held.push(chunk);
      }

      async flush() {
        while (this.held.length > 0) this.inner.decode(this.held.shift());
        return this.inner.flush();
      }

      reset() {
        this.held = [];
        this.inner.reset();
      }

      close() {
        clearInterval(this.timer);
        this.held = [];
        this.inner.close();
      }
    };
  });
  await slow.goto(playerUrl(slowPage, pipeline.port));
  await waitForStats(slow, (st) => st.framesDecoded >= 20);
  await new Promise((r) => setTimeout(r, 8000));
  const s = await stats(slow);
  t.diagnostic(`slow decoder: ${s.framesDecoded} decoded, ${s.framesDropped} skipped, fps ${s.fps}, ` +
    `latency p50 ${s.latencyMs.p50} ms p95 ${s.latencyMs.p95} ms, queue max ${s.decodeQueueMax}`);
  assert.equal(s.path, 'webcodecs');
  assert.ok(s.framesDropped > 0, 'delta frames were skipped');
  // Without skipping, the queue would grow by 10 frames a second: over 3 s behind by now.
  assert.ok(s.latencyMs.p95 < 1000, `latency p95 ${s.latencyMs.p95} ms`);
  assert.ok(s.fps >= 10, `still showing ${s.fps} frames a second`);
  assert.equal(s.errors, 0, s.lastError);
});
