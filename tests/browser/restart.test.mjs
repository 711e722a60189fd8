// The server goes away and comes back on the same port: the page says what
// is going on and plays again by itself, without a reload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPipeline, videoPipeline } from './lib/pipeline.mjs';
import {
  openPlayer, closePlayer, playerUrl, stats, waitForStats, screenSample, isPicture, screenshot, text, isVisible,
} from './lib/player-page.mjs';

let web;
let browser;

before(async () => ({ web, browser } = await openPlayer()));
after(() => closePlayer({ web, browser }));

/** Starts the pipeline on `port`, retrying while the port is still being released. */
async function restartOn(port, options) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await startPipeline(videoPipeline(), { port, ...options });
    } catch (e) {
      if (attempt >= 10) throw e;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

async function playingAgain(t, browser, before) {
  const s = await waitForStats(browser, (st) => st.state === 'playing' && st.fps > 20, 30000);
  assert.ok(s.framesDrawn > before.framesDrawn + 20, 'new frames drawn');
  assert.equal(await browser.evaluate(() => window.notReloaded), true, 'same page, no reload');
  const sample = await screenSample(browser);
  assert.ok(isPicture(sample));
  assert.equal(await isVisible(browser, '.message'), false, 'no message over the picture');
  return s;
}

test('pipeline killed and started again on the same port: the page recovers', async (t) => {
  let pipeline = await startPipeline(videoPipeline());
  const port = pipeline.port;
  t.after(() => pipeline.stop());
  await browser.goto(playerUrl(web.url, port));
  await browser.evaluate(() => (window.notReloaded = true));
  const before = await waitForStats(browser, (st) => st.framesDecoded >= 30);

  await pipeline.stop('SIGKILL');
  const lost = await waitForStats(browser, (st) => st.state === 'retrying' || st.state === 'connecting');
  const message = await text(browser, '.message');
  t.diagnostic(`while down: state ${lost.state}, message "${message}"`);
  assert.match(message, /Reconnecting|Retrying/);
  t.diagnostic(`screenshot: ${await screenshot(browser, 'server-down')}`);
  await new Promise((r) => setTimeout(r, 2500)); // a retry or two against a closed port

  pipeline = await restartOn(port);
  const s = await playingAgain(t, browser, before);
  assert.ok(s.reconnects >= 1, `reconnects ${s.reconnects}`);
  assert.equal(s.path, 'webcodecs');
  t.diagnostic(`recovered: reconnects ${s.reconnects}, errors ${s.errors} (${s.lastError})`);
});

test('stream ended (EOS) and started again: the page says so, then plays', async (t) => {
  let pipeline = await startPipeline(videoPipeline(), { eos: true });
  const port = pipeline.port;
  t.after(() => pipeline.stop());
  await browser.goto(playerUrl(web.url, port));
  await browser.evaluate(() => (window.notReloaded = true));
  const before = await waitForStats(browser, (st) => st.framesDecoded >= 30);

  await pipeline.stop('SIGINT'); // gst-launch -e: EOS, then the element sends `event: eos`
  await waitForStats(browser, (st) => st.state === 'ended');
  assert.match(await text(browser, '.message'), /stream has ended/);
  t.diagnostic(`screenshot: ${await screenshot(browser, 'stream-ended')}`);

  pipeline = await restartOn(port, { eos: true });
  await playingAgain(t, browser, before);
  assert.equal((await stats(browser)).errors, 0);
});
