// The poster: while the player joins, the element's snapshot of the latest
// key frame (GET <path>/snapshot.jpg) is on screen before the first frame
// is drawn, and goes at that frame; without a snapshot (503) there is no
// poster and the player says nothing about one.
//
// To make "before the first frame" last, the stream has a 10 s GOP and a
// backlog that keeps nothing (backlog-bytes=1), so a client joining waits
// for the next key frame, while snapshot-keep-warm has the last one decoded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPipeline, videoPipeline } from './lib/pipeline.mjs';
import { openPlayer, closePlayer, playerUrl, waitForStats, isVisible, screenshot, text } from './lib/player-page.mjs';

let ctx;
before(async () => {
  ctx = await openPlayer();
});
after(async () => {
  await closePlayer(ctx ?? {});
});

/** Polls the snapshot until it is a JPEG (the first key frame decoded). */
async function snapshotReady(port) {
  const url = `http://127.0.0.1:${port}/stream/snapshot.jpg`;
  for (let i = 0; i < 200; i++) {
    const res = await fetch(url);
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status === 200) return { seq: res.headers.get('x-snapshot-seq'), body };
    assert.equal(res.status, 503, `snapshot: ${res.status} ${body}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no snapshot in 20 s');
}

test('the snapshot is on screen before the first frame, and goes at it', async (t) => {
  const { web, browser } = ctx;
  const pipeline = await startPipeline(videoPipeline({ keyInt: 300, sink: 'snapshot-keep-warm=true backlog-bytes=1' }));
  try {
    const snap = await snapshotReady(pipeline.port);
    assert.equal(snap.body[0], 0xff); // a JPEG (SOI)
    await browser.goto(playerUrl(web.url, pipeline.port));
    const s = await waitForStats(browser, (st) => st.poster === 'shown', 10000);
    assert.equal(s.framesDrawn, 0, 'the poster is for before the first frame');
    assert.ok(await isVisible(browser, 'img.poster'), 'poster not visible');
    const size = await browser.evaluate(() => {
      const img = document.querySelector('img.poster');
      return { w: img.naturalWidth, h: img.naturalHeight, shown: img.getBoundingClientRect().height };
    });
    assert.deepEqual([size.w, size.h], [640, 360]);
    assert.ok(size.shown > 100, `poster ${size.shown} px high`);
    const message = await text(browser, '.message');
    assert.match(message, /Waiting|Connect/, `message: ${message}`); // still says it is joining
    t.diagnostic(`poster at ${s.posterMs} ms, waiting: "${message}"; screenshot: ${await screenshot(browser, 'poster')}`);

    const after = await waitForStats(browser, (st) => st.framesDrawn > 0 && st.poster === 'gone', 20000);
    assert.ok(after.posterMs < after.firstFrameMs, `poster ${after.posterMs} ms, first frame ${after.firstFrameMs} ms`);
    assert.equal(await browser.evaluate(() => document.querySelector('img.poster')), null);
    t.diagnostic(`first frame at ${after.firstFrameMs} ms, ${after.firstFrameMs - after.posterMs} ms after the poster`);
  } finally {
    await pipeline.stop();
  }
});

test('no snapshot (503): no poster, the usual messages, it plays', async () => {
  const { web, browser } = ctx;
  const pipeline = await startPipeline(videoPipeline({ sink: 'snapshot-decoder=nosuchdec' }));
  try {
    await browser.goto(playerUrl(web.url, pipeline.port));
    const s = await waitForStats(browser, (st) => st.poster === 'none', 10000);
    assert.equal(await browser.evaluate(() => document.querySelector('img.poster')), null);
    if (s.framesDrawn === 0) {
      const message = await text(browser, '.message');
      assert.doesNotMatch(message ?? '', /snapshot|poster/i);
    }
    const played = await waitForStats(browser, (st) => st.framesDrawn >= 30, 20000);
    assert.equal(played.errors, 0, played.lastError);
    assert.equal(played.poster, 'none');
  } finally {
    await pipeline.stop();
  }
});
