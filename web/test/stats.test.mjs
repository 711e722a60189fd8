import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MseFrameCounts, PlayerStats, RestartingCounter, RollingWindow, percentile,
} from '../src/stats.js';

test('percentile uses the nearest rank', () => {
  assert.equal(percentile([], 50), null);
  assert.equal(percentile([5], 95), 5);
  const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
  assert.equal(percentile(values, 50), 50);
  assert.equal(percentile(values, 95), 95);
  assert.equal(percentile(values, 100), 100);
});

test('RollingWindow forgets samples older than its span', () => {
  const w = new RollingWindow(1000);
  w.add(0, 1);
  w.add(500, 2);
  w.add(1400, 3);
  assert.deepEqual(w.values, [2, 3]);
  w.prune(3000);
  assert.deepEqual(w.values, []);
});

test('snapshot reports latency percentiles, frame rate and bitrate of the recent past', () => {
  let now = 0;
  const stats = new PlayerStats(() => now);
  for (let i = 0; i < 60; i++) {
    now = i * (1000 / 30);
    stats.chunkReceived(1000, now);
    stats.frameDrawn(40 + (i % 10), 5, 640, 360);
  }
  const s = stats.snapshot();
  assert.equal(s.framesDrawn, 60);
  assert.deepEqual([s.width, s.height], [640, 360]);
  assert.ok(Math.abs(s.fps - 30) <= 0.5, `fps ${s.fps}`);
  assert.ok(Math.abs(s.bitrateKbps - 240) <= 5, `bitrate ${s.bitrateKbps}`);
  assert.equal(s.latencyMs.p50, 44);
  assert.equal(s.latencyMs.p95, 49);
  assert.deepEqual(s.receiptLatencyMs, { p50: 5, p95: 5 });
  now += 10000;
  assert.deepEqual(stats.snapshot().latencyMs, { p50: null, p95: null });
});

test('frameDrawn can stand for several frames, or none, in the frame rate and framesDrawn', () => {
  let now = 0;
  const stats = new PlayerStats(() => now);
  // 25 callbacks a second that together present 30 frames (5 of them carry 2).
  for (let i = 0; i < 50; i++) {
    now = i * 40;
    stats.frameDrawn(100, 5, 640, 360, i % 5 === 0 ? 2 : 1);
  }
  let s = stats.snapshot();
  assert.equal(s.framesDrawn, 60);
  assert.equal(s.fps, 30);
  stats.frameDrawn(100, 5, 640, 360, 0); // a latency sample only
  s = stats.snapshot();
  assert.equal(s.framesDrawn, 60);
  assert.equal(s.fps, 30);
});

test('RestartingCounter adds what the counter counted after it fell back', () => {
  const c = new RestartingCounter();
  assert.equal(c.update(30), 30);
  assert.equal(c.update(89), 59);
  assert.equal(c.update(15), 15); // WebKitGTK's restart at a flush: 89 -> 15
  assert.equal(c.update(20), 5);
  assert.equal(c.update(20), 0);
  assert.equal(c.update(undefined), 0);
  assert.equal(c.update(NaN), 0);
  assert.deepEqual([c.total, c.restarts, c.last], [109, 1, 20]);
  c.restarted(); // a known restart whose first value is above the last one
  assert.equal(c.update(25), 25);
  assert.equal(c.total, 134);

  const based = new RestartingCounter(null); // the first value is the base
  assert.equal(based.update(500), 0);
  assert.equal(based.update(503), 3);
  assert.equal(based.total, 3);
});

const q = (totalVideoFrames, droppedVideoFrames = 0) => ({ totalVideoFrames, droppedVideoFrames });

test('MseFrameCounts: decoded and dropped never go down across the engine\'s restarts', () => {
  const counts = new MseFrameCounts();
  const seen = [];
  for (const [total, dropped] of [[10, 0], [50, 1], [89, 2], [15, 0], [40, 1], [41, 1]]) {
    counts.read(q(total, dropped));
    seen.push([counts.decoded, counts.dropped]);
  }
  assert.deepEqual(seen, [[10, 0], [50, 1], [89, 2], [104, 2], [129, 3], [130, 3]]);
  counts.read(undefined); // no getVideoPlaybackQuality()
  assert.deepEqual([counts.decoded, counts.dropped], [130, 3]);
});

test('MseFrameCounts: presentedFrames counts the frames between coalesced callbacks', () => {
  const counts = new MseFrameCounts();
  // Firefox: presentedFrames goes 111, 112, 113, 115, ... at 25 callbacks a
  // second for 30 frames; the path starts with the count at 111.
  const presented = [111, 112, 113, 115, 116, 117, 118, 120, 121, 122, 123, 125];
  const frames = presented.map((p, i) => counts.callback(p, q(100 + i)));
  assert.deepEqual(frames, [1, 1, 1, 2, 1, 1, 1, 2, 1, 1, 1, 2]);
  assert.equal(counts.presented, 15);
  assert.equal(counts.decoded, 111);
});

test('MseFrameCounts: without presentedFrames, decoded minus dropped since the previous callback', () => {
  const counts = new MseFrameCounts();
  assert.equal(counts.callback(undefined, q(3)), 3);
  assert.equal(counts.callback(undefined, q(5)), 2);
  assert.equal(counts.callback(undefined, q(7, 1)), 1); // one of the two dropped
  assert.equal(counts.callback(undefined, q(7, 1)), 0); // the count has not moved yet
  assert.equal(counts.callback(undefined, q(2)), 2); // restarted: 2 more
  assert.equal(counts.presented, 8);
  assert.deepEqual([counts.decoded, counts.dropped], [9, 1]);
});

test('MseFrameCounts: where there are no frame callbacks, each poll counts the frames', () => {
  const counts = new MseFrameCounts();
  assert.deepEqual([q(8), q(15, 1), q(4), q(12)].map((x) => counts.poll(x)), [8, 6, 4, 8]);
  assert.equal(counts.presented, 26);
});

test('MseFrameCounts: a new player counts on from the old one', () => {
  const counts = new MseFrameCounts();
  counts.callback(200, q(60, 2));
  counts.callback(201, q(61, 2));
  counts.read(q(62, 2)); // the old player's last reading
  counts.playerReplaced();
  // The new MediaSource's counts start from 0; presentedFrames may or may not.
  assert.equal(counts.callback(5, q(70)), 1);
  assert.equal(counts.callback(6, q(71)), 1);
  assert.deepEqual([counts.decoded, counts.dropped, counts.presented], [133, 2, 4]);
  counts.playerReplaced();
  assert.equal(counts.callback(undefined, q(3)), 3); // decoded minus dropped from the new player on
});

test('audio fields: none, unavailable with its message, webcodecs with the A/V offset while playing', () => {
  let now = 0;
  const s = new PlayerStats(() => now);
  let snap = s.snapshot();
  assert.deepEqual([snap.audioPath, snap.audioState, snap.audioMessage, snap.audioFramesDecoded, snap.audioUnderruns, snap.avSyncMs],
    [null, null, null, null, 0, null]);
  s.setAudio({ state: 'unavailable', message: 'No sound: AudioDecoder is missing.' });
  snap = s.snapshot();
  assert.deepEqual([snap.audioPath, snap.audioState, snap.audioMessage, snap.audioFramesDecoded],
    [null, 'unavailable', 'No sound: AudioDecoder is missing.', null]);
  s.setAudio({ path: 'webcodecs', state: 'muted', message: 'Muted: click Unmute for sound.' });
  assert.equal(s.snapshot().audioFramesDecoded, 0);
  assert.equal(s.snapshot().avSyncMs, null, 'none while muted');
  s.audioState = 'playing';
  for (let i = 1; i <= 20; i++) {
    now = i * 100;
    s.avSyncShown(i % 2 ? -i : i); // |offset|: 1..20
  }
  assert.deepEqual(s.snapshot().avSyncMs, { p50: 10, p95: 19 });
  now = 20000; // the window (5 s) has passed
  assert.deepEqual(s.snapshot().avSyncMs, { p50: null, p95: null });
  s.setAudio({ path: 'mse', state: 'muted' });
  s.audioState = 'playing';
  assert.equal(s.snapshot().avSyncMs, null, 'not measured on the MSE path');
  assert.equal(s.snapshot().audioFramesDecoded, null);
});
