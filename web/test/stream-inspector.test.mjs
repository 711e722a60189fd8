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
