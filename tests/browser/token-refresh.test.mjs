// The player with signed expiring tokens (jwt-key): the page's getToken
// (window.sseGetToken) asks a small token service started here, the
// "backend", which mints HS256 tokens with Node's crypto (not libjwt). The
// page starts with a token that has already expired: the stream answers
// 401, the player asks for a token and plays; that token runs out while
// playing (`event: expired`), the player asks again and goes on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { launch } from './lib/browser.mjs';
import { startPipeline, videoPipeline } from './lib/pipeline.mjs';
import { startStaticServer } from './lib/static-server.mjs';
import { playerUrl, waitForStats, screenSamples, isPicture } from './lib/player-page.mjs';

const SECRET = 'browser-test-hs256-secret-32-bytes-or-more';
const SHORT_S = 6; // the first token the page gets lives this long

const b64url = (buf) => Buffer.from(buf).toString('base64url');
function mint(ttlSeconds) {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify({ exp: Math.floor(Date.now() / 1000) + ttlSeconds, sse_paths: ['/stream'] }));
  const sig = crypto.createHmac('sha256', SECRET).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

let pipeline;
let web;
let browser;
let tokens; // the token service
const minted = [];

before(async () => {
  pipeline = await startPipeline(videoPipeline({ sink: `jwt-key=${SECRET} jwt-leeway=0` }));
  web = await startStaticServer();
  // The backend: GET /token mints one; the first lives SHORT_S seconds.
  tokens = http.createServer((req, res) => {
    const ttl = minted.length === 0 ? SHORT_S : 600;
    minted.push(ttl);
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Access-Control-Allow-Origin': '*' });
    res.end(mint(ttl));
  });
  await new Promise((r) => tokens.listen(0, '127.0.0.1', r));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await web?.close();
  tokens?.close();
  await pipeline?.stop();
});

test('the player plays with a token and recovers through getToken after 401 and event: expired', async (t) => {
  const service = `http://127.0.0.1:${tokens.address().port}/token`;
  const page = web.withInitScript((url) => {
    window.sseGetToken = async () => (await fetch(url)).text();
  }, service);
  await browser.goto(playerUrl(page, pipeline.port, { token: mint(-60) }));

  // 401 for the expired token, then the first token from the service: playing.
  const first = await waitForStats(browser, (s) => s.tokenRefreshes >= 1 && s.framesDecoded >= 30);
  assert.equal(first.errors, 0, first.lastError);
  assert.ok(first.src.includes('token=') && !first.src.includes(mint(-60).split('.')[1]));

  // That token runs out mid-stream: event: expired, a new token, on again.
  const renewed = await waitForStats(browser, (s) => s.tokensExpired >= 1 && s.tokenRefreshes >= 2,
    (SHORT_S + 20) * 1000);
  // (The predicate runs in the page: the number goes in as text.)
  const after = await waitForStats(browser, `(s) => s.framesDecoded >= ${renewed.framesDecoded + 45}`);
  assert.equal(after.state, 'playing');
  assert.equal(after.errors, 0, after.lastError);
  assert.deepEqual(minted.slice(0, 2), [SHORT_S, 600]);
  const samples = await screenSamples(browser, 3, 300);
  assert.ok(samples.every(isPicture), JSON.stringify(samples));
  t.diagnostic(`${browser.engine}: path ${after.path}, ${minted.length} tokens minted, ` +
    `reconnects ${after.reconnects}, frames ${after.framesDecoded}`);
});
