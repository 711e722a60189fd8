import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamInspector } from '../src/stream-inspector.js';
import { fixture, randomPieces } from './fixtures.mjs';

function inspect(...names) {
  const seen = { programs: [], videos: [], audio: [] };
  const inspector = new StreamInspector({
    onProgram: (p) => seen.programs.push(p.streams.map((s) => s.codec).join(',')),
    onVideoInfo: (v) => seen.videos.push(v),
    onAudioCodecs: (c) => seen.audio.push(c),
  });
  for (const name of names) {
    for (const piece of randomPieces(fixture(name), 7)) inspector.push(piece);
    inspector.reset(); // a new stream (as after `event: reset`)
  }
  return seen;
}

test('reports program, video info once per SPS change, and the AAC codec string', () => {
  const seen = inspect('av');
  assert.deepEqual(seen.programs, ['h264,aac']);
  assert.equal(seen.videos.length, 1, 'the same SPS at every IDR is reported once');
  assert.equal(seen.videos[0].profile, 'High');
  assert.deepEqual(seen.audio, ['mp4a.40.2']);
});

test('H.265 video, and a change of profile between streams', () => {
  const seen = inspect('h265', 'h265_444');
  assert.deepEqual(seen.programs, ['h265', 'h265']);
  assert.deepEqual(seen.videos.map((v) => [v.codec, v.profile, v.chromaFormat]),
    [['h265', 'Main', '4:2:0'], ['h265', 'Main 4:4:4', '4:4:4']]);
  assert.match(seen.videos[0].codecs, /^hvc1\.1\.6\./);
});

test('a new SPS within one stream is reported (profile change at a key frame)', () => {
  const videos = [];
  const inspector = new StreamInspector({ onVideoInfo: (v) => videos.push(v.codecs) });
  inspector.push(fixture('av'));
  inspector.push(fixture('h264_444')); // same PIDs, new PMT version not needed
  assert.equal(videos.length, 2);
  assert.match(videos[1], /^avc1\.F4/);
});

test('key frames without an SPS are counted (x265enc repeats no headers by itself)', () => {
  let info = null;
  const inspector = new StreamInspector({ onVideoInfo: (v) => (info = v) });
  // Skip the first access unit (the only one with VPS/SPS/PPS here) by
  // dropping TS packets up to the second IRAP picture's PES.
  const ts = fixture('h265');
  const packets = [];
  for (let i = 0; i + 188 <= ts.length; i += 188) packets.push(ts.subarray(i, i + 188));
  const psi = packets.filter((p) => (((p[1] & 0x1f) << 8) | p[2]) < 0x40);
  inspector.push(Uint8Array.from(psi.slice(0, 2).flatMap((p) => [...p])));
  const video = packets.filter((p) => (((p[1] & 0x1f) << 8) | p[2]) >= 0x40);
  const starts = video.map((p, i) => ((p[1] & 0x40) ? i : -1)).filter((i) => i >= 0);
  for (const p of video.slice(starts[10])) inspector.push(p); // from the second IRAP (frame 10) on
  inspector.demuxer.flush();
  assert.equal(info, null);
  assert.equal(inspector.keysWithoutSps, 2);
});
