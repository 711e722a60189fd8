import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AvClock, heardContextTime, DEFAULTS, UNREPORTED_OUTPUT_LATENCY_S } from '../src/av-sync.js';

const FRAME_US = (1024 * 1e6) / 48000; // 21.33 ms

// A simulated stream: audio frame i (pts i·FRAME_US) arrives at wall time
// base + pts/1000 + jitter(i); the AudioContext clock runs with the wall
// clock, ctx = wall / 1000 + 5.
function run(clock, { frames = 300, jitter = () => 0, base = 40 } = {}) {
  const out = [];
  for (let i = 0; i < frames; i++) {
    const pts = 1e9 + i * FRAME_US;
    const wall = base + pts / 1000 + jitter(i);
    out.push({ i, pts, wall, ...clock.schedule(pts, wall / 1000 + 5, wall) });
  }
  return out;
}

test('the first frame anchors the clock lead ms ahead; the rest follow it without gaps', () => {
  const clock = new AvClock();
  assert.equal(clock.anchored, false);
  assert.equal(clock.heardPts(10), null);
  assert.equal(clock.videoDue(0, 10), null);
  const out = run(clock, { frames: 100 });
  assert.ok(clock.anchored);
  assert.equal(out[0].reanchored, true);
  assert.ok(out.slice(1).every((f) => !f.reanchored && !f.underrun));
  const ctx0 = out[0].wall / 1000 + 5;
  assert.ok(Math.abs((out[0].start - ctx0) * 1000 - DEFAULTS.leadMs) < 1e-6);
  for (let i = 1; i < out.length; i++) {
    assert.ok(Math.abs(out[i].start - out[i - 1].start - FRAME_US / 1e6) < 1e-9, 'back to back');
  }
  assert.equal(clock.underruns, 0);
});

test('a frame later than every one before is an underrun: counted, re-anchored with room for it', () => {
  const clock = new AvClock({ leadMs: 20 });
  // Frame 50 arrives 45 ms late (more than the lead): the audio ran dry.
  const out = run(clock, { frames: 120, jitter: (i) => (i === 50 ? 45 : 0) });
  assert.equal(clock.underruns, 1);
  assert.equal(out[50].underrun, true);
  assert.equal(out[50].reanchored, true);
  // Anchored on the 45 ms late one, with the lead grown by 10 ms: frame 50 is
  // 30 ms ahead, those on time 75 ms.
  assert.equal(clock.leadMs, 30);
  const ahead = (f) => (f.start - (f.wall / 1000 + 5)) * 1000;
  assert.ok(Math.abs(ahead(out[50]) - 30) < 1e-6);
  assert.ok(Math.abs(ahead(out[51]) - 75) < 1e-6);
  assert.ok(out.slice(51).every((f) => !f.underrun));
});

test('jitter seen before the anchor is allowed for: no underrun', () => {
  const clock = new AvClock({ leadMs: 20 });
  // Frames come in bursts of two (as mpegtsmux sends them), up to 40 ms late.
  const jitter = (i) => (i % 2 === 0 ? 40 : 19);
  // Audio decoded while muted is seen before the clock starts: arrivals only.
  for (let i = 0; i < 20; i++) {
    const pts = 1e9 - (20 - i) * FRAME_US;
    const wall = 40 + pts / 1000 + jitter(i);
    clock.noteArrival(pts, wall);
  }
  run(clock, { frames: 300, jitter });
  assert.equal(clock.underruns, 0);
});

test('scheduled too far ahead (the sender burst, a slow clock): re-anchored at the live edge', () => {
  const clock = new AvClock({ leadMs: 20, maxAheadMs: 200 });
  // The first frame is 300 ms late (a stalled start), the rest on time: they would be 320 ms ahead.
  const out = run(clock, { frames: 200, jitter: (i) => (i === 0 ? 300 : 0) });
  const again = out.findIndex((f, i) => i > 0 && f.reanchored);
  assert.ok(again > 0, 'reanchored');
  assert.equal(clock.underruns, 0, 'not an underrun');
});

test('reanchor() (tab visible again, unmute) starts at the live edge with the next frame', () => {
  const clock = new AvClock();
  run(clock, { frames: 10 });
  clock.reanchor();
  assert.equal(clock.anchored, false);
  const [f] = run(clock, { frames: 1 });
  assert.equal(f.reanchored, true);
  assert.equal(f.underrun, false);
});

test('video: held until the audio heard reaches its pts (less videoLeadMs), late frames at once, offset measured', () => {
  const clock = new AvClock({ leadMs: 30, videoLeadMs: 0 });
  const [f] = run(clock, { frames: 1 });
  // Heard now (at the speaker): the ctx time frame 0 starts at.
  const heard = f.start;
  assert.deepEqual(clock.videoDue(f.pts, heard), { delayMs: 0 });
  assert.ok(Math.abs(clock.videoDue(f.pts + 25000, heard).delayMs - 25) < 1e-6);
  assert.deepEqual(clock.videoDue(f.pts - 10000, heard), { delayMs: 0 }, 'late: shown now');
  assert.ok(Math.abs(clock.videoShown(f.pts - 10000, heard, 0) - 10) < 1e-6, 'shown 10 ms after its sound');
  assert.ok(Math.abs(clock.videoShown(f.pts + 5000, heard, 0) + 5) < 1e-6, 'shown 5 ms before its sound');
  // By default a frame is due 30 ms before its sound.
  const early = new AvClock();
  const [g] = run(early, { frames: 1 });
  assert.ok(Math.abs(early.videoDue(g.pts + 35000, g.start).delayMs - 5) < 1e-6);
  assert.deepEqual(early.videoDue(g.pts + 25000, g.start), { delayMs: 0 });
});

test('video steadily later than the audio moves the audio later', () => {
  const clock = new AvClock({ videoLateMs: 30, videoLateCount: 5 });
  const [f] = run(clock, { frames: 1 });
  const before = clock.offset;
  const settled = f.wall + 1500;
  for (let i = 0; i < 5; i++) clock.videoShown(f.pts, f.start + 0.05, f.wall + 100); // not yet settled
  assert.equal(clock.offset, before);
  for (let i = 0; i < 5; i++) clock.videoShown(f.pts, f.start + 0.05, settled); // 50 ms late each
  assert.ok(Math.abs((clock.offset - before) * 1000 - 50) < 1e-6);
  assert.ok(Math.abs(clock.videoShown(f.pts, f.start + 0.05, settled)) < 1e-6, 'in step after the move');
  // At most 200 ms in all.
  for (let k = 0; k < 10; k++) for (let i = 0; i < 5; i++) clock.videoShown(f.pts, f.start + 1, settled);
  assert.ok(Math.abs(clock.extraMs - 200) < 1e-6);
  // Some late frames do not (p50 under the bound).
  const c2 = new AvClock({ videoLateMs: 30, videoLateCount: 5 });
  const [g] = run(c2, { frames: 1 });
  const o2 = c2.offset;
  for (const late of [0.08, 0, 0, 0.08, 0]) c2.videoShown(g.pts, g.start + late, g.wall + 2000);
  assert.equal(c2.offset, o2);
});

test('heard context time: output latency, getOutputTimestamp, the earlier of the two', () => {
  const near = (a, b) => Math.abs(a - b) < 1e-9;
  assert.equal(heardContextTime({ currentTime: 10, outputLatency: 0.05 }, 0), 9.95);
  // None reported (WebKitGTK, Safari): the larger of baseLatency and the latency taken then.
  assert.ok(UNREPORTED_OUTPUT_LATENCY_S > 0.01);
  assert.ok(near(heardContextTime({ currentTime: 10, outputLatency: 0, baseLatency: 0.003 }, 0), 10 - UNREPORTED_OUTPUT_LATENCY_S));
  assert.ok(near(heardContextTime({ currentTime: 10, outputLatency: 0, baseLatency: 0.3 }, 0), 9.7));
  assert.ok(near(heardContextTime({ currentTime: 10 }, 0), 10 - UNREPORTED_OUTPUT_LATENCY_S));
  // The output timestamp 20 ms ago at ctx 9.9: heard now 9.92.
  const ts = { contextTime: 9.9, performanceTime: 1000 };
  assert.ok(near(heardContextTime({ currentTime: 10, outputLatency: 0.01, outputTimestamp: ts }, 1020), 9.92));
  assert.ok(near(heardContextTime({ currentTime: 10, outputLatency: 0.2, outputTimestamp: ts }, 1020), 9.8));
  // A plausible output timestamp is a report: no latency is taken on top.
  assert.ok(near(heardContextTime({ currentTime: 10, outputTimestamp: ts }, 1020), 9.92));
  // Implausible ones are ignored: in the future (WebKitGTK), ahead of currentTime, zeros (not started).
  const none = (t) => t - UNREPORTED_OUTPUT_LATENCY_S;
  assert.ok(near(heardContextTime({ currentTime: 3.4, outputTimestamp: { contextTime: 3.41, performanceTime: 7589 } }, 4179), none(3.4)));
  assert.ok(near(heardContextTime({ currentTime: 3, outputTimestamp: { contextTime: 3.2, performanceTime: 4170 } }, 4179), none(3)));
  assert.ok(near(heardContextTime({ currentTime: 10, outputTimestamp: { contextTime: 0, performanceTime: 0 } }, 5), none(10)));
});

test('the backlog a join brings in one burst does not count as jitter', () => {
  const clock = new AvClock({ leadMs: 20 });
  // The first second of audio arrives at once (up to 1 s late), then frames on time (±10 ms).
  for (let i = 0; i < 47; i++) clock.noteArrival(1e9 + i * FRAME_US, 1e6 + 1000 + 47 * 21.33);
  assert.equal(clock.arrivals.values.length, 0, 'a run of frames decoded at once is a burst, not noted');
  const base = 1000;
  const out = [];
  for (let i = 47; i < 300; i++) {
    const pts = 1e9 + i * FRAME_US;
    const wall = 1e6 + base + (pts - 1e9) / 1000 + (i % 3) * 5;
    if (i < 60) clock.noteArrival(pts, wall);
    else out.push({ pts, wall, ...clock.schedule(pts, wall / 1000, wall) });
  }
  const ahead = out.map((f) => (f.start - f.wall / 1000) * 1000);
  assert.ok(Math.max(...ahead) <= 20 + 10 + 1e-6, `at most lead + jitter ahead: ${Math.max(...ahead)}`);
  assert.equal(clock.underruns, 0);
});

test('ahead by more than lead + slack for settleMs: re-anchored closer to the live edge', () => {
  const clock = new AvClock({ leadMs: 20, slackMs: 40, settleMs: 2000, maxAheadMs: 250 });
  // Anchored on a frame 100 ms late; the rest on time: 120 ms ahead, under maxAheadMs.
  const out = run(clock, { frames: 200, jitter: (i) => (i === 0 ? 100 : 0) });
  const again = out.findIndex((f, i) => i > 0 && f.reanchored);
  assert.ok(again > 0, 'reanchored');
  assert.ok(out[again].wall - out[0].wall >= 2000, 'after settleMs');
  const f = out.at(-1);
  // Still keeps the late one in the window (within burstMs): 100 + 20 ms ahead... until it leaves it (3 s).
  assert.equal(clock.underruns, 0);
  assert.ok((f.start - (f.wall / 1000 + 5)) * 1000 <= 120 + 1e-6);
});

test('the lead grows at underruns, up to maxLeadMs, and shrinks back without them', () => {
  // stallGapMs: Infinity: a late frame is never a stall here (see the stall test).
  const clock = new AvClock({ leadMs: 20, leadStepMs: 10, maxLeadMs: 50, leadDecayMs: 5000, stallGapMs: Infinity });
  // A frame 200 ms late every 110 frames (2.3 s: the clock has settled back in between).
  run(clock, { frames: 400, jitter: (i) => (i % 110 === 10 ? 200 : 0) });
  assert.ok(clock.underruns >= 3);
  assert.equal(clock.leadMs, 50, 'capped');
  // Then 15 s on time: a step back every 5 s.
  const later = new AvClock({ leadMs: 20, leadStepMs: 10, maxLeadMs: 50, leadDecayMs: 5000 });
  later.leadMs = 50;
  const out = run(later, { frames: Math.round(15000 / 21.33) + 2 });
  assert.equal(later.leadMs, 20);
  const f = out.at(-1);
  assert.ok(Math.abs((f.start - (f.wall / 1000 + 5)) * 1000 - 20) < 1e-6, 'the timeline stepped back with it');
  assert.equal(out.filter((x) => x.reanchored).length, 1, 'without re-anchoring');
  assert.equal(later.underruns, 0);
});

test('a burst whose frames are not decoded at once: only its tail close to live counts, for a while', () => {
  const clock = new AvClock({ leadMs: 20 });
  // The backlog decoded 5 ms apart (a slow engine): not a run, but all but the
  // last 150 ms of it are more than burstMs later than the live frames.
  for (let i = 0; i < 47; i++) clock.noteArrival(1e9 + i * FRAME_US, 1e6 + 1000 + i * 5);
  const out = [];
  for (let i = 47; i < 400; i++) {
    const pts = 1e9 + i * FRAME_US;
    const wall = 1e6 + 1000 + 47 * 5 + (pts - 1e9 - 47 * FRAME_US) / 1000;
    out.push({ wall, ...clock.schedule(pts, wall / 1000, wall) });
  }
  const ahead = out.map((f) => (f.start - f.wall / 1000) * 1000);
  assert.ok(Math.max(...ahead) <= 20 + 150 + 1e-6, `${Math.max(...ahead)} ms ahead`);
  assert.ok(Math.max(...ahead.slice(-50)) <= 20 + 1e-6, `settled: ${Math.max(...ahead.slice(-50))} ms ahead`);
  assert.equal(clock.underruns, 0);
});

test('after the join, a run of frames decoded at once (a stalled page catching up) counts', () => {
  const clock = new AvClock({ leadMs: 20 });
  const out = run(clock, { frames: 200 }); // 4 s on time
  // The page stalls for 200 ms, then decodes the 10 frames held meanwhile at once.
  const wall = out.at(-1).wall + 200;
  for (let i = 0; i < 10; i++) clock.noteArrival(out.at(-1).pts + (i + 1) * FRAME_US, wall);
  assert.deepEqual(clock.arrivals.times.slice(-10), new Array(10).fill(wall), 'all ten noted');
  clock.rejoin();
  assert.equal(clock.arrivals.values.length, 0);
  assert.equal(clock.anchored, false);
  for (let i = 0; i < 10; i++) clock.noteArrival(3e9 + i * FRAME_US, 6e6);
  assert.equal(clock.arrivals.values.length, 0, 'a backlog again right after the join');
});

test('a context clock that moves in steps: its time is taken as the wall clock plus its lead over it', () => {
  const clock = new AvClock({ leadMs: 20 });
  // currentTime moves in 30 ms blocks: it lags what is rendered by up to 30 ms, then catches up.
  const out = [];
  for (let i = 0; i < 300; i++) {
    const pts = 1e9 + i * FRAME_US;
    const wall = 40 + pts / 1000;
    const ctx = (Math.floor(wall / 30) * 30) / 1000 + 5;
    out.push({ wall, ctx, ...clock.schedule(pts, ctx, wall) });
  }
  // Until the most currentTime gets ahead of the wall clock has been seen, the
  // anchor may be short by part of a block: one underrun at most, then none.
  assert.ok(clock.underruns <= 1, `${clock.underruns} underruns`);
  const from = out.findLastIndex((f) => f.reanchored);
  assert.ok(from < 100, `last anchor at frame ${from}`);
  // From then on every frame is the same lead (20 ms, 30 after the underrun)
  // ahead of the block's end (wall + 5 s here): steady, not in steps.
  const aheads = out.slice(from).map((f) => (f.start - (f.wall / 1000 + 5)) * 1000);
  // ahead of the block's end (wall + 5 s here): steady, not in steps; after
  // 5 s without an underrun the lead and the timeline step back to 20 ms.
  assert.ok(aheads.every((a) => [20, 30].some((lead) => Math.abs(a - lead) < 1)), `ahead: ${aheads.slice(0, 5)}…`);
  assert.ok(aheads.every((a, i) => i === 0 || a <= aheads[i - 1] + 1e-6), 'never further ahead again');
  // Never behind currentTime itself; a smooth clock is taken as it is.
  assert.equal(clock.contextNow(1e9, 0), 1e9);
  const smooth = new AvClock();
  assert.equal(smooth.contextNow(5, 1000), 5);
  assert.equal(smooth.contextNow(5.02, 1020), 5.02);
});

test('a late frame after a pause in arrivals is a stall: the timeline stays, the past is skipped', () => {
  const clock = new AvClock({ leadMs: 20 });
  const out = run(clock, { frames: 200 }); // 4 s on time
  const { offset, leadMs } = clock;
  // The page stalls for 300 ms (its AudioContext's clock runs on).
  // The page stalls for 300 ms: the 14 frames that came meanwhile are decoded at once after it.
  const last = out.at(-1);
  const wall = last.wall + 300;
  const late = [];
  for (let i = 1; i <= 14; i++) {
    const pts = last.pts + i * FRAME_US;
    const ctx = (wall + i * 0.2) / 1000 + 5;
    late.push({ pts, ctx, ...clock.schedule(pts, ctx, wall + i * 0.2) });
  }
  assert.equal(clock.stalls, 1);
  assert.equal(clock.underruns, 0, 'not an underrun: the lead stays');
  assert.equal(clock.leadMs, leadMs);
  assert.equal(clock.offset, offset, 'the same timeline');
  assert.ok(late.every((f) => !f.reanchored));
  const skipped = late.filter((f) => f.stall);
  assert.ok(skipped.length >= 12 && skipped.length <= 13, `${skipped.length} late`);
  assert.deepEqual(skipped.map((f) => f.underrun), skipped.map((f, i) => i === 0), 'one underrun: the first');
  for (const f of skipped) {
    assert.ok(Math.abs(f.skipMs - (f.ctx - f.start) * 1000) < 1e-6, 'skips what is past');
  }
  assert.ok(late.slice(skipped.length).every((f) => !f.stall && f.skipMs === 0), 'the rest plays whole');
  // Back to frames on time: they play on the same timeline, no re-anchor.
  const after = [];
  for (let i = 15; i < 100; i++) {
    const pts = last.pts + i * FRAME_US;
    const w = 40 + pts / 1000;
    after.push(clock.schedule(pts, w / 1000 + 5, w));
  }
  assert.ok(after.every((f) => !f.underrun && !f.stall && !f.reanchored));
  assert.equal(clock.offset, offset);
  // The stall's late arrivals were not taken as jitter.
  assert.ok(Math.max(...clock.arrivals.values) - Math.min(...clock.arrivals.values) < 1);
});

test('a context clock that stops (an output that stalls) is followed, not its lead from before', () => {
  const clock = new AvClock();
  assert.equal(clock.contextNow(5, 1000), 5);
  assert.equal(clock.contextNow(5.02, 1020), 5.02);
  // currentTime stands still for 500 ms, then runs again.
  assert.equal(clock.contextNow(5.02, 1050), 5.05, 'a step: the lead holds');
  assert.equal(clock.contextNow(5.02, 1520), 5.02, 'stopped: its time as it is');
  assert.ok(Math.abs(clock.contextNow(5.04, 1540) - 5.04) < 1e-9);
  assert.equal(clock.clockStalls, 1);
  // While anchored: the next frame starts again at the live edge.
  const playing = new AvClock({ leadMs: 20 });
  const out = run(playing, { frames: 100 });
  const f = out.at(-1);
  // The context's clock lost 150 ms (its output ran dry).
  const pts = f.pts + FRAME_US;
  const wall = f.wall + FRAME_US / 1000;
  const r = playing.schedule(pts, wall / 1000 + 5 - 0.15, wall);
  assert.equal(r.reanchored, true);
  assert.equal(r.underrun, false);
  assert.ok(Math.abs((r.start - (wall / 1000 + 5 - 0.15)) * 1000 - 20) < 1e-6, 'lead ms ahead of its clock');
});
