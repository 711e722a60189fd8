// Path choice and the messages of a browser that lacks what the player
// needs, simulated by removing the APIs before the page loads (an init
// script that the test server puts in the page, lib/static-server.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { launch } from './lib/browser.mjs';
import { startStaticServer } from './lib/static-server.mjs';
import { startPipeline, videoPipeline } from './lib/pipeline.mjs';
import { playerUrl, waitForStats, screenshot, text, attribute } from './lib/player-page.mjs';

let web;
let pipeline;
let browser;

before(async () => {
  web = await startStaticServer();
  pipeline = await startPipeline(videoPipeline());
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await pipeline?.stop();
  await web?.close();
});

/** Opens the player, with `params`, in a page that lacks the named globals. */
async function openWithout(names, params = {}) {
  const base = web.withInitScript((globals) => {
    for (const name of globals) delete window[name];
  }, names);
  await browser.goto(playerUrl(base, pipeline.port, params));
}

test('without WebCodecs the player falls back to MSE by itself', async (t) => {
  await openWithout(['VideoDecoder']);
  const s = await waitForStats(browser, (st) => st.framesDecoded >= 30, 30000);
  assert.equal(s.path, 'mse');
  assert.equal(s.errors, 0, s.lastError);
  assert.match(await attribute(browser, '.path', 'title'), /VideoDecoder/);
});

test('a browser with neither WebCodecs nor MSE gets a clear message', async (t) => {
  await openWithout(['VideoDecoder', 'MediaSource', 'ManagedMediaSource']);
  await waitForStats(browser, (st) => st.state === 'unsupported');
  const message = await text(browser, '.message');
  assert.match(message, /cannot play the stream/);
  assert.match(message, /VideoDecoder/);
  assert.match(message, /Media Source Extensions/);
  t.diagnostic(`message: ${message}; screenshot: ${await screenshot(browser, 'unsupported')}`);
});

test('?mode=webcodecs where WebCodecs is missing says why instead of falling back', async (t) => {
  await openWithout(['VideoDecoder'], { mode: 'webcodecs' });
  await waitForStats(browser, (st) => st.state === 'unsupported');
  assert.match(await text(browser, '.message'), /mode=webcodecs/);
});

test('with audio but no mpegts.js to play it, the picture still plays through WebCodecs', async (t) => {
  const bare = await startStaticServer({ vendor: false });
  t.after(() => bare.close());
  const withAudio = await startPipeline(videoPipeline({ audio: true }));
  t.after(() => withAudio.stop());
  // Without AudioDecoder the stream's AAC sends the player to MSE first (with
  // it, WebCodecs plays the audio itself: audio.test.mjs).
  await browser.goto(playerUrl(bare.withInitScript(() => delete window.AudioDecoder), withAudio.port));
  const s = await waitForStats(browser, (st) => st.framesDecoded >= 30, 30000);
  assert.equal(s.path, 'webcodecs');
  assert.match(s.lastError, /vendor\/mpegts\.js/);
  assert.match(await attribute(browser, '.path', 'title'), /fallback player is not available/);
  assert.equal(s.audioState, 'unavailable');
  assert.equal(s.audioMessage, 'No sound: AudioDecoder is missing, and the MSE path failed.');
});

test('an unreachable server is reported, and retried', async (t) => {
  // A port that was just free: nothing listens there.
  const { default: net } = await import('node:net');
  const port = await new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = server.address();
      server.close(() => resolve(free));
    });
  });
  await browser.goto(playerUrl(web.url, port));
  if (browser.engine === 'firefox') {
    // Measured: Firefox closes a cross-origin EventSource for good when it
    // cannot connect (the CORS check fails), as it does for a refused
    // request, so the player cannot tell the two apart.
    t.diagnostic('firefox: EventSource gives up on an unreachable cross-origin server as on a refused request; ' +
      'checks that the player says it retries (state "failed") and does try again');
    await waitForStats(browser, (st) => st.state === 'failed', 15000);
    assert.match(await text(browser, '.message'), /Retrying/);
  } else {
    await waitForStats(browser, (st) => st.state === 'retrying', 15000);
    assert.match(await text(browser, '.message'), /Cannot reach .* Retrying/);
  }
  t.diagnostic(`message: ${await text(browser, '.message')}`);
  // Retried: a server that now listens on the port gets a request for the stream.
  const request = await new Promise((resolve, reject) => {
    const server = http.createServer((req, res) => {
      res.writeHead(503).end();
      server.close();
      resolve(req.url);
    }).listen(port, '127.0.0.1');
    server.on('error', reject);
    setTimeout(() => {
      server.close();
      reject(new Error('no new request in 15 s'));
    }, 15000).unref();
  });
  assert.match(request, /^\/stream/);
});
