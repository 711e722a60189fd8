import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  parseAdtsHeader, audioSpecificConfig, audioDecoderConfig, channelCount, AdtsSplitter, sameConfig,
} from '../src/adts.js';
import { TsDemuxer } from '../src/tsdemux.js';

// A TS with H.264 and AAC (48 kHz stereo, and 44.1 kHz mono), made by
// GStreamer at test time.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gst-sse-adts-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
const made = new Map();
function avStream(rate, channels) {
  const key = `${rate}-${channels}`;
  if (!made.has(key)) {
    const out = path.join(dir, `${key}.ts`);
    const line = 'videotestsrc num-buffers=30 ! video/x-raw,format=I420,width=160,height=120,framerate=30/1 ' +
      `! x264enc tune=zerolatency ! mpegtsmux name=mux ! filesink location=${out} ` +
      `audiotestsrc num-buffers=50 samplesperbuffer=1024 ! audio/x-raw,rate=${rate},channels=${channels} ` +
      '! voaacenc ! aacparse ! mux.';
    execFileSync('gst-launch-1.0', ['-q', ...line.split(/\s+/)], { stdio: ['ignore', 'ignore', 'inherit'] });
    made.set(key, new Uint8Array(fs.readFileSync(out)));
  }
  return made.get(key);
}

function audioPes(ts) {
  const pes = [];
  new TsDemuxer({ onPes: (p) => p.codec === 'aac' && pes.push({ data: p.data.slice(), pts: p.pts }) }).push(ts);
  return pes;
}

// One ADTS header: AAC LC, 48 kHz (index 3), stereo, frame of `length` bytes.
function header({ aot = 2, index = 3, channels = 2, length = 100, crc = false, blocks = 1 } = {}) {
  return new Uint8Array([
    0xff, crc ? 0xf0 : 0xf1,
    ((aot - 1) << 6) | (index << 2) | (channels >> 2),
    ((channels & 3) << 6) | (length >> 11),
    (length >> 3) & 0xff,
    ((length & 7) << 5) | 0x1f,
    0xfc | (blocks - 1),
  ]);
}

test('ADTS header fields', () => {
  assert.deepEqual(parseAdtsHeader(header()), {
    aot: 2, sampleRateIndex: 3, sampleRate: 48000, channelConfig: 2, headerLength: 7, frameLength: 100, blocks: 1,
  });
  const h = parseAdtsHeader(header({ index: 4, channels: 1, length: 5000, crc: true, blocks: 2 }));
  assert.deepEqual([h.sampleRate, h.channelConfig, h.frameLength, h.headerLength, h.blocks], [44100, 1, 5000, 9, 2]);
  assert.equal(parseAdtsHeader(header({ aot: 1 })).aot, 1); // AAC Main (ADTS has 2 profile bits: AOT 1-4)
  // Not a header: no sync, layer bits set, reserved frequency index, too short.
  assert.equal(parseAdtsHeader(new Uint8Array([0xff, 0xe1, 0, 0, 0, 0, 0])), null);
  assert.equal(parseAdtsHeader(new Uint8Array([0xff, 0xf3, 0x50, 0x80, 0x10, 0, 0])), null);
  assert.equal(parseAdtsHeader(header({ index: 13 })), null);
  assert.equal(parseAdtsHeader(header({ length: 7 })), null);
  assert.equal(parseAdtsHeader(header().subarray(0, 6)), null);
  assert.equal(parseAdtsHeader(header(), 1), null);
});

test('AudioSpecificConfig and the AudioDecoderConfig', () => {
  // Known values: AAC LC 48 kHz stereo 0x1190, 44.1 kHz stereo 0x1210, 44.1 kHz mono 0x1208.
  assert.deepEqual([...audioSpecificConfig({ aot: 2, sampleRateIndex: 3, channelConfig: 2 })], [0x11, 0x90]);
  assert.deepEqual([...audioSpecificConfig({ aot: 2, sampleRateIndex: 4, channelConfig: 2 })], [0x12, 0x10]);
  assert.deepEqual([...audioSpecificConfig({ aot: 2, sampleRateIndex: 4, channelConfig: 1 })], [0x12, 0x08]);
  const config = audioDecoderConfig(parseAdtsHeader(header()));
  assert.deepEqual({ ...config, description: [...config.description] },
    { codec: 'mp4a.40.2', sampleRate: 48000, numberOfChannels: 2, description: [0x11, 0x90] });
  assert.deepEqual([0, 1, 2, 6, 7].map(channelCount), [2, 1, 2, 6, 8]);
  const a = parseAdtsHeader(header());
  assert.ok(sameConfig(a, parseAdtsHeader(header({ length: 300 }))));
  assert.ok(!sameConfig(a, parseAdtsHeader(header({ channels: 1 }))));
  assert.ok(!sameConfig(a, null));
});

test('frames of a muxed stream: every PES, a timestamp each 1024 samples apart', () => {
  for (const [rate, channels] of [[48000, 2], [44100, 1]]) {
    const pes = audioPes(avStream(rate, channels));
    assert.ok(pes.length > 0);
    const splitter = new AdtsSplitter();
    const frames = [];
    for (const p of pes) {
      const out = splitter.push(p.data, p.pts);
      assert.ok(out.length >= 1, 'each PES starts a frame');
      assert.equal(out[0].timestamp, Math.round((p.pts * 100) / 9), 'the first frame of a PES has its PTS');
      frames.push(...out);
    }
    assert.equal(splitter.skippedBytes, 0);
    assert.equal(splitter.carry, null);
    // 50 buffers of 1024 samples: 50 frames (the encoder may hold back its last one or two).
    assert.ok(frames.length >= 48 && frames.length <= 51, `${frames.length} frames`);
    const frameUs = (1024 * 1e6) / rate;
    for (const f of frames) {
      assert.equal(f.header.sampleRate, rate);
      assert.equal(channelCount(f.header.channelConfig), channels);
      assert.equal(f.duration, frameUs);
      assert.ok(f.data.length > 0 && f.data[0] !== 0xff, 'the header is stripped');
    }
    for (let i = 1; i < frames.length; i++) {
      // PES PTS are 90 kHz ticks: within one tick of the 1024-sample step.
      assert.ok(Math.abs(frames[i].timestamp - frames[i - 1].timestamp - frameUs) <= 12, `frame ${i}`);
    }
  }
});

test('several frames in one PES, and frames cut across PES boundaries', () => {
  const pes = audioPes(avStream(48000, 2));
  const whole = new AdtsSplitter();
  const reference = pes.flatMap((p) => whole.push(p.data, p.pts));
  const all = new Uint8Array(pes.reduce((n, p) => n + p.data.length, 0));
  let at = 0;
  for (const p of pes) {
    all.set(p.data, at);
    at += p.data.length;
  }
  // Three frames a PES (as mpegtsmux may pack them): one PTS, the others 1024 samples on.
  const packed = new AdtsSplitter();
  const firstPts = pes[0].pts;
  const threeUs = Math.round(((firstPts * 100) / 9));
  const three = packed.push(all.subarray(0, pes[0].data.length + pes[1].data.length + pes[2].data.length), firstPts);
  assert.equal(three.length, 3);
  assert.deepEqual(three.map((f) => f.timestamp), [0, 1, 2].map((i) => Math.round(threeUs + (i * 1024e6) / 48000)));

  // Cut anywhere: the same frames come out, in order, bytes intact.
  const cut = new AdtsSplitter();
  const out = [];
  let state = 7;
  for (let pos = 0, first = true; pos < all.length; first = false) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    const size = 1 + (state % 900);
    out.push(...cut.push(all.subarray(pos, pos + size), first ? firstPts : null));
    pos += size;
  }
  assert.equal(out.length, reference.length);
  for (let i = 0; i < out.length; i++) {
    assert.deepEqual(out[i].data, reference[i].data, `frame ${i}`);
    assert.ok(Math.abs(out[i].timestamp - reference[i].timestamp) <= 12 * (i + 1), `frame ${i} timestamp`);
  }
});

test('garbage before a frame is skipped and counted; reset forgets carried bytes', () => {
  const frame = new Uint8Array(100);
  frame.set(header());
  const bytes = new Uint8Array(110);
  bytes.set([1, 2, 3, 0xff, 0x00, 6, 7, 8, 9, 10]);
  bytes.set(frame, 10);
  const s = new AdtsSplitter();
  const out = s.push(bytes, 90000);
  assert.equal(out.length, 1);
  assert.equal(out[0].timestamp, 1e6);
  assert.equal(out[0].data.length, 93);
  assert.equal(s.skippedBytes, 10);
  assert.equal(s.push(frame.subarray(0, 50), 180000).length, 0);
  assert.ok(s.carry);
  s.reset();
  assert.equal(s.carry, null);
  assert.equal(s.push(frame.subarray(50), null).length, 0, 'the rest of a frame alone is not a frame');
});
