// The player's handling of `gap`, `reset`, lost events and dropped
// connections. The real element's events pass through a proxy that edits
// them, since the element does not produce these on demand.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './lib/browser.mjs';
import { startStaticServer } from './lib/static-server.mjs';
import { startPipeline, videoPipeline } from './lib/pipeline.mjs';
import { startSseProxy } from './lib/sse-proxy.mjs';
import { playerUrl, stats, waitForStats, screenSample, isPicture } from './lib/player-page.mjs';

let web;
let browser;
let pipeline;

before(async () => {
  web = await startStaticServer();
  browser = await launch();
  pipeline = await startPipeline(videoPipeline({ keyInt: 30 }));
});

after(async () => {
  await browser?.close();
  await pipeline?.stop();
  await web?.close();
});

const isMedia = (e) => e.event === 'message';
const isKey = (e) => isMedia(e) && JSON.parse(e.data).key === true;

/** Plays through a proxy with `edit` and returns the stats once it plays on after the edit. */
async function playThrough(t, mode, edit, settled) {
  const proxy = await startSseProxy(`http://127.0.0.1:${pipeline.port}/stream`, edit);
  t.after(() => proxy.close());
  await browser.goto(playerUrl(web.url, proxy.port, { mode }));
  await waitForStats(browser, settled, 20000);
  const before = await stats(browser);
  // Still playing afterwards: more frames, a live picture, no decoder errors.
  await waitForStats(browser, new Function('st', `return st.framesDecoded >= ${before.framesDecoded + 30}`), 20000);
  const s = await waitForStats(browser, (st) => st.state === 'playing' && st.fps > 20, 20000);
  assert.ok(isPicture(await screenSample(browser)));
  assert.equal(s.errors, 0, s.lastError);
  assert.equal(s.path, mode);
  t.diagnostic(JSON.stringify({
    gaps: s.gaps, resets: s.resets, lostEvents: s.lostEvents, duplicateEvents: s.duplicateEvents,
    reconnects: s.reconnects, eventsSkipped: s.eventsSkipped, framesDropped: s.framesDropped,
  }));
  return s;
}

for (const mode of ['webcodecs', 'mse']) {
  test(`${mode}: event: gap skips to the next key chunk`, async (t) => {
    const s = await playThrough(t, mode, (e, c) => {
      if (!isMedia(e) || c.media < 45) return [e];
      if (c.media === 45) return [{ event: 'gap', data: '{"reason":"test"}' }];
      return c.media <= 50 ? [] : [e]; // 45..50 lost
    }, (st) => st.gaps >= 1);
    assert.equal(s.gaps, 1);
    assert.ok(s.eventsSkipped > 0, 'waited for a key chunk');
  });

  test(`${mode}: events lost without notice are noticed from the sequence numbers`, async (t) => {
    const s = await playThrough(t, mode, (e, c) => (isMedia(e) && c.media > 45 && c.media <= 50 ? [] : [e]),
      (st) => st.gaps >= 1);
    assert.equal(s.gaps, 1);
    assert.equal(s.lostEvents, 5);
  });

  test(`${mode}: event: reset drops all state and joins again at a key chunk`, async (t) => {
    const s = await playThrough(t, mode, (e, c) => {
      if (!isMedia(e) || c.media < 45) return [e];
      if (c.media === 45) {
        c.state.reset = true;
        return [{ event: 'reset', data: '{"reason":"test"}' }];
      }
      if (c.state.reset && !isKey(e)) return []; // the server's fresh join starts at a key chunk
      c.state.reset = false;
      return [e];
    }, (st) => st.resets >= 1);
    assert.equal(s.resets, 1);
    assert.equal(s.gaps, 0);
  });

  test(`${mode}: a dropped connection is reopened, and what was already received is not shown twice`, async (t) => {
    const s = await playThrough(t, mode, (e, c) => (c.index === 0 && isMedia(e) && c.media === 40 ? 'cut' : [e]),
      (st) => st.reconnects >= 1);
    assert.equal(s.reconnects, 1);
    // The new connection starts at the latest key chunk: either one we have
    // (its events are skipped as duplicates) or a newer one (a gap).
    assert.ok((s.duplicateEvents > 0 && s.gaps === 0) || s.gaps === 1,
      `duplicates ${s.duplicateEvents}, gaps ${s.gaps}`);
  });
}
