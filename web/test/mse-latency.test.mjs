import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatencyController, TICK_MS } from '../src/mse-latency.js';

/**
 * A live buffer: data arrives at 1x, playback advances at the rate the
 * controller sets (or at 1x, for an engine where rates do nothing), and a
 * jump moves the playback position. Runs the controller for `ms`.
 */
function simulate(controller, { ahead, ms, from = 0, ratesWork = true, onTick = () => {} }) {
  const state = { ahead, mediaTime: from / 1000, now: from, rates: new Set(), maxAhead: ahead, minAhead: ahead };
  let rate = 1;
  for (; state.now < from + ms; state.now += TICK_MS) {
    const speed = ratesWork ? rate : 1;
    state.mediaTime += (speed * TICK_MS) / 1000;
    state.ahead += ((1 - speed) * TICK_MS) / 1000;
    const out = controller.update(state.now, state.ahead, state.mediaTime);
    rate = out.rate;
    state.rates.add(rate);
    if (out.jump > 0) {
      state.ahead -= out.jump;
      state.mediaTime += out.jump;
    }
    state.maxAhead = Math.max(state.maxAhead, state.ahead);
    state.minAhead = Math.min(state.minAhead, state.ahead);
    onTick(state, out);
  }
  return { ...state, rate };
}

test('far behind (a join\'s burst): one jump to the target', () => {
  const c = new LatencyController();
  const first = c.update(0, 1.2, 0);
  assert.ok(Math.abs(first.jump - (1.2 - c.target)) < 1e-9, JSON.stringify(first));
  assert.equal(first.rate, 1);
  assert.equal(c.summary().jumps, 1);
});

test('a little behind: faster until at the target, then 1x; no jump', () => {
  const c = new LatencyController();
  const end = simulate(c, { ahead: c.target + 0.2, ms: 4000 });
  assert.equal(c.summary().jumps, 0);
  assert.ok([...end.rates].some((r) => r > 1 && r <= 1.2), [...end.rates].join());
  assert.equal(end.rate, 1);
  assert.ok(Math.abs(end.ahead - c.target) < 0.03, `${end.ahead} s ahead for a ${c.target} s target`);
});

test('too close to the edge: slower until the target is buffered', () => {
  const c = new LatencyController();
  const end = simulate(c, { ahead: 0.02, ms: 3000 });
  assert.ok([...end.rates].some((r) => r < 1 && r >= 0.9), [...end.rates].join());
  assert.equal(end.rate, 1);
  assert.ok(end.ahead >= c.target - 0.03, `${end.ahead} s ahead for a ${c.target} s target`);
});

test('a rate, once chosen, is held: few rate changes', () => {
  const c = new LatencyController();
  let changes = 0;
  let last = 1;
  simulate(c, {
    ahead: c.target + 0.15,
    ms: 3000,
    onTick: (s, out) => {
      if (out.rate !== last) changes++;
      last = out.rate;
    },
  });
  assert.ok(changes <= 2, `${changes} rate changes`);
});

test('stalls raise the target up to its ceiling; calm lowers it to its floor', () => {
  const c = new LatencyController({ minTarget: 0.05, startTarget: 0.1, maxTarget: 0.2 });
  c.update(0, 0.1, 0);
  c.stalled(100, 0);
  assert.ok(Math.abs(c.target - 0.14) < 1e-9);
  for (let i = 0; i < 10; i++) c.stalled(200 + i, 0);
  assert.equal(c.target, 0.2);
  assert.equal(c.summary().stalls, 11);
  // 3 s and more without a stall: one step down, and so on to the floor.
  c.update(8300, 0.2, 1);
  assert.ok(Math.abs(c.target - 0.18) < 1e-9, c.target);
  for (let t = 8400; t < 60000; t += 100) c.update(t, c.target, t / 1000);
  assert.equal(c.target, 0.05);
  assert.equal(c.summary().chase, 'rate', 'underruns (nothing in hand) say nothing against rates');
});

test('audio keeps a larger margin than video', () => {
  assert.ok(new LatencyController({ hasAudio: true }).target > new LatencyController().target);
});

test('where the rate does not make the media clock faster, only jumps are used', () => {
  const c = new LatencyController();
  // WebKitGTK-like: currentTime goes on at 1x whatever the rate.
  const end = simulate(c, { ahead: c.target + 0.2, ms: 6000, ratesWork: false });
  assert.equal(c.summary().chase, 'jump');
  assert.equal(end.rate, 1);
  assert.ok(c.summary().jumps >= 1, 'a sustained excess ends in a jump');
  assert.ok(Math.abs(end.ahead - c.target) < 0.03, `${end.ahead} s ahead`);
  // From then on a small excess waits, then jumps; the rate stays 1.
  const rates = new Set();
  const after = simulate(c, { ahead: c.target + 0.15, from: end.now, ms: 3000, ratesWork: false, onTick: (s, out) => rates.add(out.rate) });
  assert.deepEqual([...rates], [1]);
  assert.ok(Math.abs(after.ahead - c.target) < 0.03);
});

test('stalls with data in hand soon after rate changes switch to jumps', () => {
  const c = new LatencyController();
  c.update(0, c.target + 0.1, 0); // rate up
  assert.ok(c.rate > 1);
  c.stalled(200, c.target + 0.08);
  assert.equal(c.summary().chase, 'rate', 'once is not enough');
  c.update(300, c.target - 0.05, 0.3); // rate down
  c.update(400, c.target + 0.1, 0.4);
  c.stalled(500, c.target + 0.1);
  assert.equal(c.summary().chase, 'jump');
});

test('jumpOnly up front: never a rate', () => {
  const c = new LatencyController({ jumpOnly: true });
  const end = simulate(c, { ahead: 0.02, ms: 2000 });
  assert.deepEqual([...end.rates], [1]);
});

test('nothing buffered: 1x and no jump', () => {
  const c = new LatencyController();
  assert.deepEqual(c.update(0, NaN, NaN), { rate: 1, jump: 0 });
});

test('for a while after a start: no rate change and no jump (the engine settles)', () => {
  const c = new LatencyController();
  c.started(1000);
  assert.deepEqual(c.update(1100, 0.9, 1), { rate: 1, jump: 0 });
  assert.deepEqual(c.update(3000, 0.3, 2), { rate: 1, jump: 0 });
  const after = c.update(3600, 0.9, 3);
  assert.ok(after.jump > 0, JSON.stringify(after));
});

test('with sound and no stall: the target goes on down, no floor learnt', () => {
  const c = new LatencyController({ hasAudio: true });
  simulate(c, { ahead: 0.35, ms: 30000 });
  assert.equal(c.summary().floorMs, 70);
  assert.ok(c.target < 0.15, `${c.target} s target`);
});

test('with sound, a stall with data in hand raises the floor to it (Chromium underflows near 0.2 s)', () => {
  const c = new LatencyController({ hasAudio: true });
  c.update(0, 0.1, 0);
  c.stalled(100, 0.18);
  assert.equal(c.summary().floorMs, 180);
  assert.ok(c.target >= 0.18);
  // For 12 s without a stall it holds; then it comes down 20 ms per 12 s.
  for (let t = 200; t < 12000; t += 100) c.update(t, c.target, t / 1000);
  assert.equal(c.summary().floorMs, 180);
  assert.ok(Math.abs(c.target - 0.18) < 1e-9, `${c.target} s target`);
  for (let t = 12000; t < 40000; t += 100) c.update(t, c.target, t / 1000);
  assert.equal(c.summary().floorMs, 140);
  assert.ok(Math.abs(c.target - 0.14) < 1e-9, `${c.target} s target`);
  // A stall brings it back up, and the count starts again.
  c.stalled(40000, 0.2);
  assert.equal(c.summary().floorMs, 200);
  // Without sound a stall says nothing of a floor.
  const v = new LatencyController();
  v.stalled(100, 0.18);
  assert.equal(v.summary().floorMs, 50);
});
