// toAudioBuffer(): decoded samples into Web Audio without ever asking the
// AudioData for its own layout (WebKitGTK 2.50's page crashes on that).
// The AudioData here is a stand-in holding planar f32 samples, as the
// engines' decoders give them; it refuses a copy into the same layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toAudioBuffer, copyFormat } from '../src/audio-path.js';

class PlanarF32Data {
  constructor(planes, sampleRate = 48000) {
    this.planes = planes.map((p) => Float32Array.from(p));
    this.format = 'f32-planar';
    this.numberOfChannels = planes.length;
    this.numberOfFrames = planes[0].length;
    this.sampleRate = sampleRate;
    this.copies = [];
  }

  copyTo(dest, { planeIndex, format }) {
    this.copies.push(format);
    const n = this.numberOfFrames;
    const ch = this.numberOfChannels;
    const sameLayout = format === 'f32-planar' || (format === 'f32' && ch === 1);
    if (sameLayout) throw new Error(`copy into the source's own layout (${format})`);
    if (format !== 'f32' && format !== 's32') throw new Error(`unsupported ${format}`);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < ch; c++) {
        const v = this.planes[c][i];
        dest[i * ch + c] = format === 'f32' ? v : Math.round(v * 2147483647);
      }
    }
    assert.equal(planeIndex, 0);
  }
}

const context = {
  createBuffer(channels, frames, sampleRate) {
    const data = Array.from({ length: channels }, () => new Float32Array(frames));
    return { numberOfChannels: channels, length: frames, sampleRate, data, copyToChannel: (p, c) => data[c].set(p) };
  },
};

test('copyFormat never names the source layout', () => {
  assert.equal(copyFormat('f32-planar', 2), 'f32');
  assert.equal(copyFormat('f32-planar', 1), 's32');
  assert.equal(copyFormat('f32', 2), 's32');
  assert.equal(copyFormat('s16', 1), 'f32');
});

test('stereo planar samples come through interleaved f32 unchanged', () => {
  const left = [0, 0.5, -0.25, 1];
  const right = [0.125, -1, 0.75, 0];
  const data = new PlanarF32Data([left, right]);
  const buffer = toAudioBuffer(context, data);
  assert.deepEqual(data.copies, ['f32']);
  assert.deepEqual([...buffer.data[0]], left);
  assert.deepEqual([...buffer.data[1]], right);
  assert.equal(buffer.sampleRate, 48000);
});

test('mono samples (a camera microphone) come through s32, within 24-bit precision', () => {
  const mono = [0, 0.5, -0.25, 0.999, -1];
  const data = new PlanarF32Data([mono], 44100);
  const buffer = toAudioBuffer(context, data);
  assert.deepEqual(data.copies, ['s32']);
  assert.equal(buffer.numberOfChannels, 1);
  mono.forEach((v, i) => assert.ok(Math.abs(buffer.data[0][i] - v) < 2 ** -23, `sample ${i}: ${buffer.data[0][i]} vs ${v}`));
});
