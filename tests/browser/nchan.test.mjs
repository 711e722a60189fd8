// The player through nchan: ssesink publishes to a two-node nginx + nchan
// cluster sharing Redis (examples/scale-out/cluster.sh), the page subscribes
// to the nodes. nchan's ids are not ours (`1795674821:22`), a new subscriber
// first gets nchan's newest messages (mid-GOP, without the `stream` event),
// and when its node stops the player goes on on the other node from the last
// id it received, without a gap.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './lib/browser.mjs';
import { startStaticServer } from './lib/static-server.mjs';
import { startPipeline, videoPipeline } from './lib/pipeline.mjs';
import { clusterMissing, startCluster } from './lib/nchan-cluster.mjs';
import { waitForStats, screenSample, isPicture, screenshot } from './lib/player-page.mjs';

const missing = clusterMissing();
let web;
let browser;
let cluster;
let pipeline;

before(async () => {
  if (missing) return;
  web = await startStaticServer();
  browser = await launch();
  cluster = await startCluster();
  // Published through node 2, the node that stays up: ssesink has one
  // publish-url, so stopping the node it publishes to stops the stream.
  pipeline = await startPipeline(videoPipeline({ keyInt: 30, sink: `publish-url=${cluster.env.NODE2_PUBLISH}` }));
});

after(async () => {
  await browser?.close();
  await pipeline?.stop();
  await cluster?.stop();
  await web?.close();
});

const playerUrl = (sources, params = {}) => {
  const query = new URLSearchParams(params);
  for (const src of sources) query.append('src', src);
  return `${web.url}?${query}`;
};

const NCHAN_ID = /^\d+:\d+$/;

/** Waits until `condition()` resolves true, polling. */
async function poll(condition, what, timeout = 15000) {
  const deadline = performance.now() + timeout;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('plays from one nchan subscriber URL: nchan ids, replayed mid-GOP start, no stream event', { skip: missing ?? false },
  async (t) => {
    // More messages in the channel than nchan replays to a new subscriber
    // (30, about one GOP here), so the replay starts where it falls: mid-GOP
    // but for one time in 30.
    await poll(async () => (await cluster.channel(1))?.messages >= 45, 'messages in the channel');
      await browser.goto(playerUrl([cluster.env.NODE1_SUBSCRIBE]));
    const s = await waitForStats(browser, (st) => st.framesDecoded >= 90 && st.state === 'playing', 30000);
    assert.equal(s.path, 'webcodecs');
    assert.equal(s.errors, 0, s.lastError);
    assert.match(s.lastEventId, NCHAN_ID, 'ids are nchan\'s');
    assert.equal(s.lostEvents, 0);
    assert.equal(s.gaps, 0);
    assert.equal(s.failovers, 0);
    assert.ok(s.framesDecoded >= 0.9 * s.eventsAfterFirstKey,
      `${s.framesDecoded} frames decoded for ${s.eventsAfterFirstKey} media events after the first key`);
    assert.ok(isPicture(await screenSample(browser)), 'a picture');
    t.diagnostic(`joined through nchan: ${s.eventsSkipped} replayed events before the first key skipped, ` +
      `first frame at ${s.firstFrameMs} ms, ${s.framesDecoded} frames decoded, ` +
      `latency p50 ${s.latencyMs.p50} ms p95 ${s.latencyMs.p95} ms, last id ${s.lastEventId}`);
  });

test('node stopped: the player continues on the other node from its last id, without a gap', { skip: missing ?? false },
  async (t) => {
    const { NODE1_SUBSCRIBE: node1, NODE2_SUBSCRIBE: node2 } = cluster.env;
      await browser.goto(playerUrl([node1, node2]));
    const was = await waitForStats(browser, (st) => st.framesDecoded >= 90 && st.state === 'playing', 30000);
    assert.equal(was.src, node1);
    assert.deepEqual(was.sources, [node1, node2]);
    assert.equal(was.failovers, 0);

    // Longest time without a new frame on screen, sampled in the page.
    await browser.evaluate(() => {
      const player = window.ssePlayer;
      const g = { last: performance.now(), drawn: player.statsData.framesDrawn, maxMs: 0 };
      window.frameGaps = g;
      setInterval(() => {
        const drawn = player.statsData.framesDrawn;
        if (drawn === g.drawn) return;
        const now = performance.now();
        g.maxMs = Math.max(g.maxMs, now - g.last);
        g.last = now;
        g.drawn = drawn;
      }, 5);
    });

    const stopStart = performance.now();
    await cluster.stop('node1');
    const stoppedMs = performance.now() - stopStart;
    const moved = await waitForStats(browser, (st) => st.failovers >= 1, 20000);
    const failoverMs = performance.now() - stopStart;
    const later = await waitForStats(browser,
      new Function('st', `return st.framesDecoded >= ${moved.framesDecoded + 90} && st.state === 'playing'`), 30000);
    const gap = await browser.evaluate(() => window.frameGaps.maxMs);

    assert.equal(later.failovers, 1);
    assert.equal(later.src, node2);
    assert.equal(later.lostEvents, 0, 'consecutive seq across the nodes');
    assert.equal(later.gaps, 0);
    assert.equal(later.resets, 0);
    assert.equal(later.duplicateEvents, 0, 'resumed right after the last id, not at a keyframe');
    assert.equal(later.eventsSkipped, was.eventsSkipped, 'no wait for a keyframe');
    assert.equal(later.errors, 0, later.lastError);
    assert.ok(later.framesDecoded >= was.framesDecoded + 90);
    assert.match(later.lastEventId, NCHAN_ID);
    assert.ok(isPicture(await screenSample(browser)), 'a picture');
    await browser.press('s'); // the overlay names the node in use
    await browser.waitFor("/source +2 of 2: /.test(document.querySelector('.overlay').textContent)");
    t.diagnostic(`screenshot: ${await screenshot(browser, 'nchan-failover')}`);

    // The subscription on node 2 named the last id node 1 gave. nginx logs a
    // request when it ends: end it by leaving the page, then poll the log.
    await browser.goto('about:blank');
    const subscriptions = () => cluster.accessLog('node2').split('\n').filter((l) => l.includes('/sub/'));
    const resumedRequest = () => subscriptions()
      .map((l) => /GET \/sub\/live\?lastEventId=(\d+)%3A(\d+)/.exec(l)).find(Boolean);
    await poll(() => resumedRequest() !== undefined, 'the subscription on node 2 in its access log', 10000)
      .catch(() => assert.fail(`no subscription with lastEventId on node 2: ${subscriptions().join('\n')}`));
    const resumed = resumedRequest();

    t.diagnostic(`cluster.sh stop node1 took ${Math.round(stoppedMs)} ms; failover seen ${Math.round(failoverMs)} ms ` +
      `after the stop began; longest time without a new frame ${Math.round(gap)} ms; ` +
      `frames decoded ${was.framesDecoded} before, ${later.framesDecoded} after; ` +
      `dropped ${later.framesDropped}; resumed with lastEventId=${resumed[1]}:${resumed[2]}`);
  });
