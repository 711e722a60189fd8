// The player over HTTPS with an access token: the element serves TLS with a
// certificate made here by openssl, the page passes ?token= on to the
// stream, and WebCodecs (which needs a secure context) decodes it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch } from './lib/browser.mjs';
import { startPipeline, videoPipeline } from './lib/pipeline.mjs';
import { waitForStats, screenSamples, isPicture } from './lib/player-page.mjs';

const TOKEN = 'k7Qw-test-token';
let dir;
let pipeline;
let browser;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gst-sse-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/key.pem`,
    '-out', `${dir}/cert.pem`, '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  pipeline = await startPipeline(videoPipeline({
    sink: `tls-certificate-file=${dir}/cert.pem tls-key-file=${dir}/key.pem auth-token=${TOKEN}`,
  }));
  browser = await launch({ ignoreHTTPSErrors: true });
});

after(async () => {
  await browser?.close();
  await pipeline?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('over HTTPS the served player plays with the token from its own URL', async () => {
  const origin = `https://127.0.0.1:${pipeline.port}`;
  /* Without the token the stream answers 401, with no events. */
  const denied = await browser.evaluate(async (u) => (await fetch(u)).status, `${origin}/stream`).catch(() => null);
  await browser.goto(`${origin}/?token=${TOKEN}`);
  const s = await waitForStats(browser, (st) => st.framesDecoded >= 45);
  assert.equal(s.path, 'webcodecs');
  assert.equal(s.errors, 0, s.lastError);
  assert.match(s.src, new RegExp(`^${origin}/stream\\?token=`));
  const samples = await screenSamples(browser, 3, 300);
  assert.ok(samples.every(isPicture));
  const status = await browser.evaluate(async (u) => (await fetch(u)).status, `${origin}/stream`);
  assert.equal(status, 401);
  assert.ok(denied === null || denied === 401);
});
