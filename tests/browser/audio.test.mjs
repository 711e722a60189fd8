// AAC audio on the WebCodecs path against the real element: the player
// starts muted, the Unmute button (a real click, the user gesture browsers
// require) starts the sound, and the audio clock then paces the picture
// within lip-sync bounds; a stream whose audio no decoder here takes still
// plays its video and says why there is no sound.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPipeline } from './lib/pipeline.mjs';
import { listen, instrumentPage, pairTicks } from './lib/sound-probe.mjs';
import { percentile } from '../../web/src/stats.js';
import {
  openPlayer, closePlayer, playerUrl, stats, waitForStats, screenSamples, isPicture, screenshot, text, isVisible,
  perfLine, clickUnmute,
} from './lib/player-page.mjs';

let web;
let browser;

before(async () => ({ web, browser } = await openPlayer()));
after(() => closePlayer({ web, browser }));

// 640x480 H.264 and AAC (48 kHz stereo), as examples/launch/audio-aac.sh sends it.
const AV_PIPELINE = 'videotestsrc is-live=true ! video/x-raw,width=640,height=480,framerate=30/1 ' +
  '! timeoverlay font-desc="Sans 36" ! videoconvert ! video/x-raw,format=I420 ' +
  '! x264enc tune=zerolatency key-int-max=30 ! mpegtsmux name=mux ! ssesink address=127.0.0.1 cors-origin=* ' +
  'audiotestsrc is-live=true wave=ticks ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=2 ' +
  '! voaacenc ! aacparse ! mux.';

const SECONDS = 10;
// The element sends audio in events of its own or with the next video
// frame (docs/design.md): up to 67 ms between two decoded audio frames by itself.
// A longer wait is the page or the browser's decoder stalled.
const STALL_WAIT_MS = 75;
// The goal is no underrun in 10 s, and on a quiet machine the
// player meets it (web/README.md, Audio). On the 2-core CI machine, with
// the pipeline's encoder and the browser sharing the cores, the engines'
// decoders now and then hand out an audio frame 50-75 ms after the one
// before, a few ms later than the lead covers: runs of the whole suite
// there saw 1 such underrun in 10 s in each engine. So this test lets a
// few pass, each recovered (the A/V offset checked every second still
// holds), and fails on anything more, which is what a lead that is too
// short or a clock that goes wrong gives (dozens); bench/player-engines.sh
// measures the underruns themselves.
const MAX_UNDERRUNS = 3;
// Frames shown in the window: 30 fps, but a loaded machine's engines draw
// fewer, and the clock drops a frame that is late behind its sound while a
// newer one is coming (web/README.md); half the rate means the picture
// goes on with its sound.
const MIN_FPS = 15;
// The offset heard (sound at the null sink against the picture drawn) is
// the player's own measure plus what the engine misreports of its output
// (Firefox's outputLatency was up to 20 ms short), so it is held to EBU
// R37's bounds: the sound at most 40 ms before, 60 ms after the picture.
const HEARD_EARLY_MS = -40;
const HEARD_LATE_MS = 60;
const MIN_TICKS = 3;

test('A/V stream: WebCodecs with AAC, muted until Unmute, then clocked by the audio in sync', async (t) => {
  const pipeline = await startPipeline(AV_PIPELINE);
  t.after(() => pipeline.stop());
  await browser.goto(playerUrl(web.url, pipeline.port));

  // Muted at first: video plays on the WebCodecs path, audio is decoded but not heard.
  const muted = await waitForStats(browser, (st) => st.framesDecoded >= 30 && st.audioFramesDecoded >= 20);
  assert.equal(muted.path, 'webcodecs');
  assert.equal(muted.codec, 'avc1.64001E,mp4a.40.2');
  assert.equal(muted.audioPath, 'webcodecs');
  assert.equal(muted.audioState, 'muted');
  assert.equal(muted.avSyncMs, null);
  assert.equal(muted.errors, 0, muted.lastError);
  assert.ok(await isVisible(browser, '[data-action=mute]'), 'the Unmute button is shown');
  assert.equal(await text(browser, '[data-action=mute]'), 'Unmute');

  await instrumentPage(browser);
  const clickNote = await clickUnmute(browser);
  if (clickNote) t.diagnostic(clickNote);
  if (browser.noSoundServer) {
    // Without a sound server (lib/audio-sink.mjs starts PulseAudio with a
    // null sink for each launch) Firefox's AudioContext never runs:
    // resume() neither resolves nor rejects. The user then sees this.
    t.diagnostic(`${browser.engine}: no sound server: ${browser.noSoundServer}`);
    if (browser.engine === 'firefox') {
      const s = await waitForStats(browser, (st) => /did not start audio output/.test(st.audioMessage ?? ''), 10000);
      assert.equal(s.audioState, 'muted');
      assert.equal(s.audioMessage, 'The browser did not start audio output (AudioContext suspended); click Unmute again.');
      assert.equal(await text(browser, '[data-action=mute]'), 'Unmute');
      assert.equal(await browser.evaluate(() => document.querySelector('[data-action=mute]').title), s.audioMessage);
      const more = await waitForStats(browser, new Function('st',
        `return st.audioFramesDecoded > ${s.audioFramesDecoded + 40} && st.framesDrawn > ${s.framesDrawn + 30}`));
      assert.equal(more.state, 'playing');
      assert.equal(more.errors, 0, more.lastError);
      return;
    }
  }
  const playing = await waitForStats(browser, (st) => st.audioState === 'playing' && st.avSyncMs?.p95 != null, 10000);
  assert.equal(await text(browser, '[data-action=mute]'), 'Mute');
  const ctx = await browser.evaluate(() => {
    const c = window.ssePlayer.path.audio.ctx;
    return { state: c.state, sampleRate: c.sampleRate, baseLatency: c.baseLatency ?? null, outputLatency: c.outputLatency ?? null };
  });
  t.diagnostic(`AudioContext: ${JSON.stringify(ctx)}`);
  if (!browser.noSoundServer) {
    // The sound really goes out: the browser plays a stream into the null sink.
    const streams = await browser.soundStreams();
    t.diagnostic(`streams into the null sink: ${JSON.stringify(streams)}`);
    assert.ok(streams.length >= 1, 'the browser plays into the sound server');
  }

  // Let the clock settle: it re-anchors once the backlog of the join has
  // left its window of arrivals, and while the engine's output starts (its
  // clock stands still or jumps at first, see web/src/av-sync.js): wait
  // until it has not re-anchored for 3 s (at most 20 s), then watch it for SECONDS.
  const settled = await browser.waitFor(`(() => {
    const c = window.ssePlayer.path.audio.clock;
    const now = performance.now();
    if (c.reanchors !== window.lastReanchors) [window.lastReanchors, window.reanchoredAt] = [c.reanchors, now];
    return now - window.reanchoredAt >= 3000 && c.reanchors;
  })()`, 20000);
  t.diagnostic(`the clock settled after ${settled} anchors`);
  // What the test looks at besides the stats: how late each underrun's frame
  // came, how long the browser had given no decoded audio frame before it
  // (and the longest such wait), and, by a heartbeat timer of its own every
  // 5 ms, how long the page itself had not run just before it. A busy
  // machine stalls the page, or the browser's decoder, for 0.1-1 s (seen
  // here: 200 ms without a decoded frame while the page's own timer ran),
  // longer than any lead: the sound stops whatever the player does. The
  // player takes such a frame (late after 100 ms without any) as a stall:
  // skips what is past and keeps its timeline (web/src/av-sync.js). Such an
  // underrun is left out of the "no underrun" count below only when the
  // wait before it was longer than any this stream has by itself
  // (STALL_WAIT_MS) and at least as long as the frame was late: then no
  // lead short of the wait could have covered it. Every other underrun
  // (jitter the lead did not cover, a clock that went wrong) fails the test.
  await browser.evaluate(() => {
    const clock = window.ssePlayer.path.audio.clock;
    const schedule = clock.schedule.bind(clock);
    const seen = { underruns: [], maxGapMs: 0, last: null, beats: [], lastBeat: performance.now() };
    window.audioSeen = seen;
    seen.timer = setInterval(() => {
      const now = performance.now();
      seen.beats.push([now, now - seen.lastBeat]);
      seen.lastBeat = now;
      while (seen.beats.length > 0 && seen.beats[0][0] < now - 1000) seen.beats.shift();
    }, 5);
    clock.schedule = (pts, ctxNow, wall) => {
      const r = schedule(pts, ctxNow, wall);
      const waitMs = seen.last === null ? 0 : Math.round(wall - seen.last);
      seen.maxGapMs = Math.max(seen.maxGapMs, waitMs);
      seen.last = wall;
      if (r.underrun) {
        const pageStallMs = Math.max(wall - seen.lastBeat, ...seen.beats.map(([, gap]) => gap));
        seen.underruns.push({
          lateMs: Math.round(r.lateMs), leadMs: clock.leadMs, stall: r.stall,
          waitMs, pageStallMs: Math.round(pageStallMs),
        });
      }
      return r;
    };
  });
  // And what a listener hears: each tick of sound against its picture
  // (lib/sound-probe.mjs), over the same window.
  const listener = browser.noSoundServer ? null : listen(browser);
  const from = await stats(browser);
  const samples = [];
  const clocks = [];
  for (let i = 0; i < SECONDS; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    samples.push(await stats(browser));
    clocks.push(await browser.evaluate(() => {
      const a = window.ssePlayer.path.audio;
      return [Math.round(a.ctx.currentTime * 1000 - performance.now()), Math.round(a.clock.offset * 1000),
        Math.round(a.ctx.outputLatency * 1000), a.clock.reanchors, a.clock.stalls, a.clock.clockStalls];
    }));
  }
  t.diagnostic(`each second: [currentTime − wall clock, clock offset, outputLatency (ms), re-anchors, stalls, clock stops] ${JSON.stringify(clocks)}`);
  const to = samples.at(-1);
  const p95s = samples.map((s) => s.avSyncMs?.p95);
  t.diagnostic(`over ${SECONDS} s: audio frames ${to.audioFramesDecoded - from.audioFramesDecoded}, ` +
    `video frames ${to.framesDrawn - from.framesDrawn}, underruns ${to.audioUnderruns - from.audioUnderruns}, ` +
    `avSync p50/p95 per second ${JSON.stringify(samples.map((s) => [s.avSyncMs?.p50, s.avSyncMs?.p95]))}, ` +
    `latency p50/p95 per second ${JSON.stringify(samples.map((s) => [s.latencyMs.p50, s.latencyMs.p95]))}`);
  t.diagnostic(`perf-audio engine=${browser.engine} path=webcodecs audio=aac p50=${to.latencyMs.p50} ` +
    `p95=${to.latencyMs.p95} avsync_p50=${to.avSyncMs?.p50} avsync_p95=${to.avSyncMs?.p95} ` +
    `underruns=${to.audioUnderruns - from.audioUnderruns} (since unmute ${to.audioUnderruns - playing.audioUnderruns})`);
  const clock = await browser.evaluate(() => {
    const c = window.ssePlayer.path.audio.clock;
    return { leadMs: c.leadMs, reanchors: c.reanchors, extraMs: c.extraMs };
  });
  const seen = await browser.evaluate(() => {
    clearInterval(window.audioSeen.timer);
    return { underruns: window.audioSeen.underruns, maxGapMs: window.audioSeen.maxGapMs };
  });
  const stalls = seen.underruns.filter((u) => u.waitMs >= STALL_WAIT_MS && u.waitMs >= u.lateMs);
  t.diagnostic(`audio clock: ${JSON.stringify(clock)}; longest wait between two decoded audio frames ` +
    `${seen.maxGapMs} ms; underruns (how late, lead then, a stall?, the wait before it, the page stopped for): ` +
    `${JSON.stringify(seen.underruns)}; of them after a wait as long as they were late: ${stalls.length}`);
  perfLine(t, browser.engine, to);
  const ticks = listener ? await pairTicks(browser, await listener.stop()) : [];
  const heard = ticks.map((p) => Math.round(p.offsetMs));
  t.diagnostic(`heard: each tick's sound after its picture (ms) ${JSON.stringify(heard)}; the output's latency ` +
    `heard ${JSON.stringify(ticks.map((p) => Math.round(p.outputMs)))}, reported ${ticks.at(-1)?.reportedMs}`);
  assert.equal(to.state, 'playing');
  assert.equal(to.audioState, 'playing');
  if (listener && heard.length < MIN_TICKS) {
    // Ticks are 1 s apart; the stalls of a busy machine skip sound (and
    // with it ticks), and frames: then too few pairs are left to judge by.
    t.diagnostic(`only ${heard.length} ticks heard with their picture in ${SECONDS} s: the offset heard is not judged`);
  } else if (listener) {
    const p50 = percentile(heard, 50);
    assert.ok(p50 >= HEARD_EARLY_MS && p50 <= HEARD_LATE_MS,
      `the sound heard ${p50} ms after its picture (p50), within ${HEARD_EARLY_MS} to ${HEARD_LATE_MS}`);
  }
  assert.equal(to.errors, 0, to.lastError);
  // 48 kHz in 1024-sample frames: 47 a second; allow for a slow second.
  assert.ok(to.audioFramesDecoded - from.audioFramesDecoded >= 40 * SECONDS,
    `${to.audioFramesDecoded - from.audioFramesDecoded} audio frames in ${SECONDS} s`);
  assert.ok(to.framesDrawn - from.framesDrawn >= MIN_FPS * SECONDS,
    `the picture goes on: ${to.framesDrawn - from.framesDrawn} frames in ${SECONDS} s`);
  assert.equal(seen.underruns.length, to.audioUnderruns - from.audioUnderruns, 'every underrun seen');
  assert.ok(seen.underruns.length - stalls.length <= MAX_UNDERRUNS,
    `at most ${MAX_UNDERRUNS} underruns but after a wait for a decoded frame as long as it was late: ` +
    `${JSON.stringify(seen.underruns)}`);
  assert.ok(p95s.every((p) => p !== null && p <= 40), `A/V offset p95 each second ≤ 40 ms: ${p95s}`);

  const pictures = await screenSamples(browser, 3, 400);
  assert.ok(pictures.every(isPicture), 'a picture');
  assert.equal(new Set(pictures.map((x) => x.hash)).size, pictures.length, 'the picture changes');
  t.diagnostic(`screenshot: ${await screenshot(browser, 'audio-playing')}`);

  // Mute again: the picture goes back to drawing on decode, the audio is still decoded.
  await browser.click('[data-action=mute]');
  const again = await waitForStats(browser, (st) => st.audioState === 'muted');
  assert.equal(again.avSyncMs, null);
  const more = await waitForStats(browser, new Function('st',
    `return st.audioFramesDecoded > ${again.audioFramesDecoded + 20} && st.framesDrawn > ${again.framesDrawn + 20}`));
  assert.equal(more.state, 'playing');
});

// A camera's microphone is often mono, and 44.1 kHz: WebKitGTK 2.50's page
// crashed on the first mono frame heard, when the player copied its samples
// in their own layout (web/src/audio-path.js, toAudioBuffer()).
const MONO_PIPELINE = AV_PIPELINE.replace('rate=48000,channels=2', 'rate=44100,channels=1');

test('a mono 44.1 kHz AAC stream plays with sound, clocked', async (t) => {
  const pipeline = await startPipeline(MONO_PIPELINE);
  t.after(() => pipeline.stop());
  await browser.goto(playerUrl(web.url, pipeline.port));
  const muted = await waitForStats(browser, (st) => st.framesDecoded >= 30 && st.audioFramesDecoded >= 20);
  assert.equal(muted.codec, 'avc1.64001E,mp4a.40.2');
  const clickNote = await clickUnmute(browser);
  if (clickNote) t.diagnostic(clickNote);
  if (browser.noSoundServer && browser.engine === 'firefox') {
    t.diagnostic('firefox: no sound server, so its AudioContext never runs; the stereo test checks what the page says');
    return;
  }
  const playing = await waitForStats(browser, (st) => st.audioState === 'playing' && st.avSyncMs?.p95 != null, 10000);
  const rate = await browser.evaluate(() => window.ssePlayer.path.audio.ctx.sampleRate);
  t.diagnostic(`AudioContext at ${rate} Hz`);
  // Two more seconds of sound heard, with the page alive and the picture in step with it.
  const later = await waitForStats(browser, new Function('st',
    `return st.audioFramesDecoded > ${playing.audioFramesDecoded + 80} && st.framesDrawn > ${playing.framesDrawn + 30}`));
  assert.equal(later.audioState, 'playing');
  assert.equal(later.state, 'playing');
  assert.equal(later.errors, 0, later.lastError);
  assert.ok(later.avSyncMs?.p50 != null && later.avSyncMs.p50 <= 40, `A/V offset ${JSON.stringify(later.avSyncMs)}`);
  if (!browser.noSoundServer) {
    const streams = await browser.soundStreams();
    assert.ok(streams.length >= 1, `the browser plays into the sound server: ${JSON.stringify(streams)}`);
  }
});

test('audio no decoder here takes: the video plays, and the page says why there is no sound', async (t) => {
  // As in a browser without AudioDecoder (Firefox before 130) whose MSE
  // takes no AAC either: both are removed from the page before the player runs.
  const page = web.withInitScript(() => {
    delete window.AudioDecoder;
    const MS = window.ManagedMediaSource ?? window.MediaSource;
    const real = MS.isTypeSupported.bind(MS);
    MS.isTypeSupported = (type) => !/mp4a/.test(type) && real(type);
  });
  const pipeline = await startPipeline(AV_PIPELINE);
  t.after(() => pipeline.stop());
  await browser.goto(playerUrl(page, pipeline.port));
  const s = await waitForStats(browser, (st) => st.framesDecoded >= 60 && st.state === 'playing');
  assert.equal(s.path, 'webcodecs');
  assert.equal(s.audioPath, null);
  assert.equal(s.audioState, 'unavailable');
  assert.equal(s.audioFramesDecoded, null);
  assert.equal(s.audioMessage,
    'No sound: AudioDecoder is missing, and Media Source Extensions cannot play mp4a.40.2.');
  assert.ok(!(await isVisible(browser, '[data-action=mute]')), 'no Unmute button');
  assert.ok(await isVisible(browser, '.audio-note'));
  assert.equal(await text(browser, '.audio-note'), s.audioMessage);
  assert.equal(s.errors, 0, s.lastError);
  t.diagnostic(`screenshot: ${await screenshot(browser, 'audio-unavailable')}`);
});
