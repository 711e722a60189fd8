// The usual LAN camera case: the page comes over plain HTTP from a host
// name that is not loopback, so it is not a secure context and, in
// Chromium and Firefox, has no WebCodecs: the player must take the MSE path
// by itself and play. The name resolves to 127.0.0.1 only (lib/browser.mjs
// `hosts`: Chromium's --host-resolver-rules, Firefox's
// network.dns.localDomains, WebKitGTK through a loopback proxy), so the
// servers stay on 127.0.0.1.
//
// WebKitGTK 2.50 is not a secure context there either (isSecureContext is
// false, crypto.subtle is missing), but it still exposes VideoDecoder and
// AudioDecoder, and they decode: there the player takes WebCodecs by
// itself, which the first two tests check, and the third forces the MSE
// path (?mode=mse) so that WebKitGTK's MSE over plain HTTP is tested too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './lib/browser.mjs';
import { startStaticServer } from './lib/static-server.mjs';
import { startPipeline, videoPipeline } from './lib/pipeline.mjs';
import { waitForStats, stats, attribute, screenshot } from './lib/player-page.mjs';

// A reserved top-level domain (RFC 6761): never a real host.
const HOST = 'gst-sse-camera.test';

// Engines that expose WebCodecs to a page that is not a secure context.
const INSECURE_WEBCODECS = { chromium: false, firefox: false, webkit: true };

let web;
let browser;

before(async () => {
  web = await startStaticServer();
  browser = await launch({ hosts: [HOST] });
});

after(async () => {
  await browser?.close();
  await web?.close();
});

/** The player page and its stream, both on http://HOST:port. */
function lanUrl(streamPort, params = {}) {
  const page = new URL(web.url);
  const query = new URLSearchParams({ src: `http://${HOST}:${streamPort}/stream`, ...params });
  return `http://${HOST}:${page.port}/?${query}`;
}

// How each engine shows that the <video> decodes audio (as in mse.test.mjs).
const AUDIO_DECODED = {
  chromium: (v) => v.webkitAudioDecodedByteCount > 0,
  firefox: (v) => v.mozHasAudio === true,
  webkit: (v) => v.audioTracks === 1,
};

/**
 * Loads the page over plain HTTP from HOST, checks that it is not a secure
 * context, that the player plays on `path` and that frames go on being shown.
 */
async function checkPlays(t, { audio, params = {}, path, name }) {
  const pipeline = await startPipeline(videoPipeline({ audio }));
  t.after(() => pipeline.stop());
  await browser.goto(lanUrl(pipeline.port, params));
  const where = await browser.evaluate(() => ({
    hostname: location.hostname,
    protocol: location.protocol,
    secure: window.isSecureContext,
    subtleCrypto: typeof window.crypto?.subtle,
    videoDecoder: typeof window.VideoDecoder,
    audioDecoder: typeof window.AudioDecoder,
  }));
  t.diagnostic(`${browser.engine}: ${JSON.stringify(where)}`);
  assert.equal(where.hostname, HOST);
  assert.equal(where.protocol, 'http:');
  assert.equal(where.secure, false, 'a plain-HTTP page from another host is not a secure context');
  assert.equal(where.videoDecoder, INSECURE_WEBCODECS[browser.engine] ? 'function' : 'undefined');

  const first = await waitForStats(browser, (s) => s.state === 'playing' && s.framesDrawn > 0, 30000);
  assert.equal(first.path, path);
  if (path === 'mse' && !params.mode) assert.match(await attribute(browser, '.path', 'title'), /secure context/);
  // Frames go on being shown, and the player says it plays.
  const later = await waitForStats(browser, (s) => s.framesDrawn >= 30, 30000);
  await browser.waitFor(`window.ssePlayer.stats.framesDrawn > ${later.framesDrawn + 15}`, 15000);
  const end = await stats(browser);
  assert.equal(end.state, 'playing');
  assert.equal(end.path, path);
  assert.equal(end.errors, 0, end.lastError);
  if (audio) assert.match(end.codec, /mp4a/);
  if (audio && path === 'mse') {
    const v = await browser.evaluate(() => {
      const video = document.querySelector('video');
      return { webkitAudioDecodedByteCount: video.webkitAudioDecodedByteCount, mozHasAudio: video.mozHasAudio,
        audioTracks: video.audioTracks?.length };
    });
    t.diagnostic(`${browser.engine}: audio in the <video>: ${JSON.stringify(v)}`);
    assert.ok(AUDIO_DECODED[browser.engine](v), `the <video> decodes the audio: ${JSON.stringify(v)}`);
  }
  t.diagnostic(`${name}: path ${end.path}, ${end.framesDrawn} frames shown, latency p50 ${end.latencyMs.p50} ms ` +
    `p95 ${end.latencyMs.p95} ms, MSE chasing ${JSON.stringify(await browser.evaluate(() => window.ssePlayer.statsData.mse ?? null))}; ` +
    `screenshot: ${await screenshot(browser, name)}`);
}

const autoPath = () => (INSECURE_WEBCODECS[browser.engine] ? 'webcodecs' : 'mse');

test('a plain-HTTP page from a LAN host name is not a secure context and plays (MSE; WebKitGTK: WebCodecs)', async (t) => {
  await checkPlays(t, { audio: false, path: autoPath(), name: 'plain-http' });
});

test('the same with AAC audio (MSE plays picture and sound; WebKitGTK: WebCodecs)', async (t) => {
  await checkPlays(t, { audio: true, path: autoPath(), name: 'plain-http-audio' });
});

test('?mode=mse over plain HTTP from a LAN host name plays, with AAC audio', async (t) => {
  await checkPlays(t, { audio: true, params: { mode: 'mse' }, path: 'mse', name: 'plain-http-mse' });
});
