import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlayerStats, RollingWindow, percentile } from '../src/stats.js';

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
