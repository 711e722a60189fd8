// The player as the element itself serves it at GET / (from its embedded
// copy of web/): same origin as the stream, no ?src needed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './lib/browser.mjs';
import { startPipeline, videoPipeline } from './lib/pipeline.mjs';
import { waitForStats, screenSamples, isPicture, screenshot } from './lib/player-page.mjs';

let browser;
let pipeline;
let origin;

before(async () => {
  pipeline = await startPipeline(videoPipeline({ audio: false }));
  origin = `http://127.0.0.1:${pipeline.port}`;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await pipeline?.stop();
});

async function served(t, urlPath) {
  const res = await fetch(origin + urlPath);
  if (res.status === 404) {
    t.skip(`the element does not serve ${urlPath} (404)`);
    return false;
  }
  return res;
}

test('GET / serves the player, which plays ./stream with WebCodecs', async (t) => {
  const res = await served(t, '/');
  if (!res) return;
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  for (const file of ['/src/main.js', '/src/tsdemux.js', '/player.css']) {
    const r = await fetch(origin + file);
    assert.equal(r.status, 200, file);
    assert.match(r.headers.get('content-type'), file.endsWith('.js') ? /javascript/ : /^text\/css/, file);
  }
  await browser.goto(`${origin}/`);
  const s = await waitForStats(browser, (st) => st.framesDecoded >= 60);
  assert.equal(s.path, 'webcodecs');
  assert.equal(s.src, `${origin}/stream`);
  assert.equal(s.errors, 0, s.lastError);
  const samples = await screenSamples(browser, 3, 400);
  assert.ok(samples.every(isPicture));
  assert.equal(new Set(samples.map((x) => x.hash)).size, samples.length);
  t.diagnostic(`screenshot: ${await screenshot(browser, 'served-page')}`);
});

test('the served page falls back to MSE with the vendored mpegts.js', async (t) => {
  const res = await served(t, '/vendor/mpegts.js');
  if (!res) return;
  assert.match(res.headers.get('content-type'), /javascript/);
  await browser.goto(`${origin}/?mode=mse`);
  const s = await waitForStats(browser, (st) => st.framesDecoded >= 60, 30000);
  assert.equal(s.path, 'mse');
  assert.equal(s.errors, 0, s.lastError);
});
