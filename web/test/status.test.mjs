import { test } from 'node:test';
import assert from 'node:assert/strict';
import { playerStatus, LIVE_MS, STALL_MS, MEDIA_IDLE_MS } from '../src/status.js';

// Facts of a player connected and joined at t=1000, now t=2000.
const base = {
  now: 2000, unsupported: null, paused: false, source: 'open', src: 'http://127.0.0.1:1/stream',
  framesDrawn: 0, lastFrameAt: null, joinedAt: 1000, lastMediaAt: 1990, eventsPerSecond: 30,
  waitingForKey: false, eventsSkipped: 0, checking: null, pathLabel: 'WebCodecs',
  lastError: null, lastErrorAt: null,
};
const status = (f) => playerStatus({ ...base, ...f });

test('playing only while frames are being shown', () => {
  assert.deepEqual(status({ lastFrameAt: 2000 - LIVE_MS + 1, framesDrawn: 10 }), { state: 'playing', message: '', level: '' });
  const stale = status({ lastFrameAt: 2000 - LIVE_MS, framesDrawn: 10 });
  assert.equal(stale.state, 'waiting');
  assert.equal(stale.message, 'Waiting for the picture…');
  // Connected without media, even with an old frame: not playing.
  assert.equal(status({ lastFrameAt: 500, lastMediaAt: null }).state, 'waiting');
});

test('the watchdog: media arriving but no frame within STALL_MS', () => {
  assert.equal(status({ now: 1000 + STALL_MS - 1 }).state, 'waiting');
  const stalled = status({ now: 1000 + STALL_MS, lastMediaAt: 1000 + STALL_MS - 30 });
  assert.equal(stalled.state, 'stalled');
  assert.equal(stalled.level, 'warning');
  assert.equal(stalled.message, 'Receiving 30 events/s, but the WebCodecs decoder produced no frame for 3 s: no output.');
  assert.ok(STALL_MS <= 4000, 'the issue wants words within 5 s');
  const withError = status({ now: 6000, lastMediaAt: 5990, lastError: 'decoder: Decoding error.', lastErrorAt: 3000 });
  assert.match(withError.message, /produced no frame for 5 s: decoder: Decoding error\.$/);
  // An error from long ago is not the cause.
  assert.match(status({ now: 60000, lastMediaAt: 59990, lastError: 'old', lastErrorAt: 1000 }).message, /: no output\.$/);
  // Frames shown before, then none: counted from the last frame.
  const after = status({ now: 9000, lastMediaAt: 8990, lastFrameAt: 4000, framesDrawn: 50 });
  assert.match(after.message, /produced no new frame for 5 s/);
  // No decoder yet: say what holds it up.
  assert.match(status({ now: 6000, lastMediaAt: 5990, pathLabel: null }).message,
    /no decoder is running after 5 s: no video parameter sets \(SPS\) found yet/);
  assert.match(status({ now: 6000, lastMediaAt: 5990, pathLabel: null, checking: 'avc1.F4001F' }).message,
    /still checking avc1\.F4001F/);
  // A path still starting: frames are not due yet.
  assert.equal(status({ now: 9000, lastMediaAt: 8990, joinedAt: null }).state, 'waiting');
});

test('every state has words', () => {
  const cases = [
    [{ unsupported: 'This stream is …' }, 'unsupported', 'error'],
    [{ paused: true }, 'paused', ''],
    [{ source: 'ended' }, 'ended', ''],
    [{ source: 'failed' }, 'failed', 'warning'],
    [{ source: 'retrying' }, 'retrying', 'warning'],
    [{ source: 'connecting' }, 'connecting', ''],
    [{ source: 'closed' }, 'starting', ''],
    [{ lastMediaAt: null }, 'waiting', ''],
    [{ lastMediaAt: 2000 - MEDIA_IDLE_MS }, 'waiting', ''],
    [{ waitingForKey: true, eventsSkipped: 12 }, 'waiting', ''],
    [{ checking: 'hvc1.1.6.L93.B0' }, 'waiting', ''],
    [{ now: 9000, lastMediaAt: 8990 }, 'stalled', 'warning'],
  ];
  for (const [facts, state, level] of cases) {
    const s = status(facts);
    assert.equal(s.state, state, JSON.stringify(facts));
    assert.equal(s.level, level, state);
    assert.notEqual(s.message, '', `${state} has no words`);
  }
  assert.match(status({ source: 'retrying', framesDrawn: 3 }).message, /Connection lost/);
  assert.match(status({ source: 'retrying' }).message, /Cannot reach http:\/\/127\.0\.0\.1:1\/stream\. Retrying/);
  assert.match(status({ waitingForKey: true, eventsSkipped: 12 }).message, /keyframe.*12 events skipped/);
  assert.match(status({ lastMediaAt: 2000 - MEDIA_IDLE_MS }).message, /nothing has arrived for 3 s/);
});

test('key frames without parameter sets: the watchdog names the fix', () => {
  const s = status({ now: 6000, lastMediaAt: 5990, pathLabel: null, keysWithoutSps: 4, parser: 'h265parse' });
  assert.equal(s.state, 'stalled');
  assert.match(s.message, /4 key frames arrived without parameter sets \(SPS\); the sender should put h265parse config-interval=-1 after the encoder\.$/);
});
