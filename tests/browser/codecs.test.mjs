// Streams the engine may not decode: the player asks the browser about the
// stream's own codec before it decodes, and either plays or says clearly,
// within 5 s, which codec and profile the stream has and what the sender
// should change; it never waits silently.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINE } from './lib/browser.mjs';
import { startPipeline, videoPipeline } from './lib/pipeline.mjs';
import {
  openPlayer, closePlayer, playerUrl, waitForStats, screenSamples, isPicture, screenshot, text, attribute,
} from './lib/player-page.mjs';

// Measured on Debian 12 (issue 12): VideoDecoder.isConfigSupported and
// MediaSource.isTypeSupported say no to avc1.F4001E (High 4:4:4 Predictive)
// in Firefox ESR 153; Chromium's software decoder plays it, and so does
// WebKitGTK's (GStreamer, libav).
const PLAYS_HIGH_444 = { chromium: true, firefox: false, webkit: true };
const MESSAGE_WITHIN_MS = 5000;

let web;
let browser;

before(async () => ({ web, browser } = await openPlayer()));
after(() => closePlayer({ web, browser }));

/** The unsupported message: state, the on-page text, and what it names. */
async function expectUnsupported(t, name, { codec, profile, fix }) {
  const s = await waitForStats(browser, (st) => st.state === 'unsupported', MESSAGE_WITHIN_MS);
  const message = await text(browser, '.message');
  t.diagnostic(`${browser.engine}: message "${message}"; codec ${s.codec}; ` +
    `decoder support ${JSON.stringify(s.decoderSupport ?? null)}`);
  t.diagnostic(`screenshot: ${await screenshot(browser, name)}`);
  assert.ok(s.lastError, 'stats.lastError has the message');
  assert.ok(message.includes(s.lastError), `the page shows stats.lastError: "${message}" / "${s.lastError}"`);
  assert.match(await attribute(browser, '.message', 'class'), /\berror\b/);
  assert.match(message, codec, 'names the codec');
  if (profile) assert.match(message, profile, 'names the profile');
  if (fix) assert.match(message, fix, 'says what the sender should change');
  assert.equal(s.framesDrawn, 0, 'nothing drawn');
  return s;
}

test(`H.264 High 4:4:4: ${PLAYS_HIGH_444[ENGINE]
  ? 'plays' : `${ENGINE} cannot decode it, so the player says so within 5 s`}`, async (t) => {
  const pipeline = await startPipeline(videoPipeline({ format: 'Y444' }));
  t.after(() => pipeline.stop());
  await browser.goto(playerUrl(web.url, pipeline.port));
  if (!PLAYS_HIGH_444[browser.engine]) {
    const s = await expectUnsupported(t, 'unsupported-high444', {
      codec: /avc1\.F4/i, profile: /High 4:4:4/, fix: /format=I420/,
    });
    assert.match(s.codec, /^avc1\.F4/i);
    return;
  }
  const s = await waitForStats(browser, (st) => st.framesDecoded >= 60 && st.state === 'playing', 30000);
  assert.match(s.codec, /^avc1\.F4/i, 'the stream is High 4:4:4');
  assert.equal(s.errors, 0, s.lastError);
  const samples = await screenSamples(browser, 3, 400);
  assert.ok(samples.every(isPicture), `blank screen: ${JSON.stringify(samples)}`);
  assert.equal(new Set(samples.map((x) => x.hash)).size, samples.length, 'the picture changes');
  t.diagnostic(`${browser.engine}: High 4:4:4 plays on the ${s.path} path; ` +
    `decoder support ${JSON.stringify(s.decoderSupport ?? null)}`);
});

test('MPEG-2 video, which no engine here decodes (neither WebCodecs nor mpegts.js): a clear message within 5 s',
  async (t) => {
    const pipeline = await startPipeline(videoPipeline({ encoder: 'mpeg2enc format=3 ! mpegvideoparse' }));
    t.after(() => pipeline.stop());
    await browser.goto(playerUrl(web.url, pipeline.port));
    await expectUnsupported(t, 'unsupported-mpeg2', { codec: /mpeg-?2/i, fix: /H\.264/ });
  });
