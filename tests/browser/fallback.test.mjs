// Path choice and the messages of a browser that lacks what the player
// needs, simulated by removing the APIs before the page loads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from './lib/browser.mjs';
import { startStaticServer } from './lib/static-server.mjs';
import { startPipeline, videoPipeline } from './lib/pipeline.mjs';
import { playerUrl, waitForStats, screenshot } from './lib/player-page.mjs';

let web;
let pipeline;

before(async () => {
  web = await startStaticServer();
  pipeline = await startPipeline(videoPipeline());
});

after(async () => {
  await pipeline?.stop();
  await web?.close();
});

/** A fresh browser whose pages lack the named globals. */
async function browserWithout(t, names) {
  const browser = await launchBrowser();
  t.after(() => browser.close());
  await browser.context.addInitScript((globals) => {
    for (const name of globals) delete window[name];
  }, names);
  return browser.page;
}

test('without WebCodecs the player falls back to MSE by itself', async (t) => {
  const page = await browserWithout(t, ['VideoDecoder']);
  await page.goto(playerUrl(web.url, pipeline.port));
  const s = await waitForStats(page, (st) => st.framesDecoded >= 30, 30000);
  assert.equal(s.path, 'mse');
  assert.equal(s.errors, 0, s.lastError);
  assert.match(await page.locator('.path').getAttribute('title'), /VideoDecoder/);
});

test('a browser with neither WebCodecs nor MSE gets a clear message', async (t) => {
  const page = await browserWithout(t, ['VideoDecoder', 'MediaSource', 'ManagedMediaSource']);
  await page.goto(playerUrl(web.url, pipeline.port));
  await waitForStats(page, (st) => st.state === 'unsupported');
  const message = await page.locator('.message').textContent();
  assert.match(message, /cannot play the stream/);
  assert.match(message, /VideoDecoder/);
  assert.match(message, /Media Source Extensions/);
  t.diagnostic(`message: ${message}; screenshot: ${await screenshot(page, 'unsupported')}`);
});

test('?mode=webcodecs where WebCodecs is missing says why instead of falling back', async (t) => {
  const page = await browserWithout(t, ['VideoDecoder']);
  await page.goto(playerUrl(web.url, pipeline.port, { mode: 'webcodecs' }));
  await waitForStats(page, (st) => st.state === 'unsupported');
  assert.match(await page.locator('.message').textContent(), /mode=webcodecs/);
});

test('with audio but no mpegts.js to play it, the picture still plays through WebCodecs', async (t) => {
  const bare = await startStaticServer({ vendor: false });
  t.after(() => bare.close());
  const withAudio = await startPipeline(videoPipeline({ audio: true }));
  t.after(() => withAudio.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  await browser.page.goto(playerUrl(bare.url, withAudio.port));
  const s = await waitForStats(browser.page, (st) => st.framesDecoded >= 30, 30000);
  assert.equal(s.path, 'webcodecs');
  assert.match(s.lastError, /vendor\/mpegts\.js/);
  assert.match(await browser.page.locator('.path').getAttribute('title'), /fallback player is not available/);
});

test('an unreachable server is reported, and retried', async (t) => {
  const browser = await launchBrowser();
  t.after(() => browser.close());
  // A port that was just free: nothing listens there.
  const { default: net } = await import('node:net');
  const port = await new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = server.address();
      server.close(() => resolve(free));
    });
  });
  await browser.page.goto(playerUrl(web.url, port));
  await waitForStats(browser.page, (st) => st.state === 'retrying', 15000);
  assert.match(await browser.page.locator('.message').textContent(), /Cannot reach .* Retrying/);
});
