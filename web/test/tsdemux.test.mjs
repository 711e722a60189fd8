import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TsDemuxer, parsePes, crc32Mpeg, StreamType, TS_PACKET_SIZE } from '../src/tsdemux.js';
import { inspectAccessUnit } from '../src/h264.js';
import { fixture, randomPieces } from './fixtures.mjs';

/** Runs a demuxer over the given pieces and returns what it emitted. */
function demux(pieces, { flush = true } = {}) {
  const programs = [];
  const pes = [];
  const demuxer = new TsDemuxer({ onProgram: (p) => programs.push(p), onPes: (p) => pes.push(p) });
  for (const piece of pieces) demuxer.push(piece);
  if (flush) demuxer.flush();
  return { programs, pes, counters: demuxer.counters };
}

const summary = (pes) => pes.map((p) => [p.pid, p.pts, p.dts, p.data.length, crc32Mpeg(p.data)]);

test('finds the program and one H.264 PES per frame', () => {
  const { programs, pes, counters } = demux([fixture('video')]);
  assert.equal(programs.length, 1);
  assert.deepEqual(programs[0].streams, [{ pid: 65, streamType: StreamType.H264, codec: 'h264' }]);
  assert.equal(pes.length, 60);
  assert.equal(counters.syncLosses, 0);
  assert.equal(counters.ccErrors, 0);
  assert.equal(counters.crcErrors, 0);
  // 30 fps: PTS advances by 3000 ticks of 90 kHz (give or take rounding).
  for (let i = 1; i < pes.length; i++) {
    const step = pes[i].pts - pes[i - 1].pts;
    assert.ok(step >= 2999 && step <= 3001, `PTS step ${step}`);
  }
});

test('a frame is handed out as soon as its last packet arrives', () => {
  // mpegtsmux writes PES_packet_length for frames below 64 KiB, so no PES
  // should wait for the next one to start.
  const { pes } = demux([fixture('video')], { flush: false });
  assert.equal(pes.length, 60);
  assert.ok(pes.every((p) => p.endedBy === 'length'), 'all ended by PES_packet_length');
});

test('unbounded PES (frames over 64 KiB) end at the stuffed last packet', () => {
  const { pes } = demux([fixture('large')], { flush: false });
  assert.equal(pes.length, 4);
  for (const p of pes) {
    assert.equal(p.endedBy, 'stuffing');
    assert.ok(p.data.length > 65535);
    const au = inspectAccessUnit(p.data);
    assert.ok(au.isIdr);
    // The access unit ends with the slice, not with stray TS bytes.
    assert.notEqual(p.data[p.data.length - 1], 0xff);
  }
});

test('keyframes carry random_access_indicator and start with SPS, PPS and an IDR', () => {
  const { pes } = demux([fixture('video')]);
  const keys = pes.map((p, i) => [i, p]).filter(([, p]) => p.randomAccess).map(([i]) => i);
  assert.deepEqual(keys, [0, 30]);
  for (const i of keys) {
    const au = inspectAccessUnit(pes[i].data);
    assert.ok(au.isIdr && au.sps && au.pps);
  }
  assert.ok(!inspectAccessUnit(pes[1].data).isIdr);
});

test('pieces of any size give the same output as the whole file', () => {
  const whole = summary(demux([fixture('av')]).pes);
  for (const seed of [1, 7, 42]) {
    const pieces = [...randomPieces(fixture('av'), seed, 1000)];
    assert.deepEqual(summary(demux(pieces).pes), whole, `seed ${seed}`);
  }
  // One byte at a time, too.
  const bytes = fixture('baseline');
  const single = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
  assert.deepEqual(summary(demux(single).pes), summary(demux([bytes]).pes));
});

test('audio and video streams are both demuxed, with DTS for B-frames', () => {
  const { programs, pes } = demux([fixture('av')]);
  assert.deepEqual(programs[0].streams.map((s) => s.codec), ['h264', 'aac']);
  const video = pes.filter((p) => p.codec === 'h264');
  const audio = pes.filter((p) => p.codec === 'aac');
  assert.equal(video.length, 60);
  assert.ok(audio.length > 0);
  assert.ok(audio.every((p) => p.data[0] === 0xff && (p.data[1] & 0xf0) === 0xf0), 'ADTS sync');
  assert.ok(video.some((p) => p.dts < p.pts), 'some frames are reordered');
});

test('resyncs on 0x47 after garbage and loses only the damaged frame', () => {
  const bytes = fixture('video');
  const at = 500 * TS_PACKET_SIZE + 17; // in the middle of a packet
  const garbage = new Uint8Array(333).fill(0x47); // sync bytes that do not repeat every 188
  garbage[100] = 0x12;
  const damaged = new Uint8Array(bytes.length + garbage.length);
  damaged.set(bytes.subarray(0, at));
  damaged.set(garbage, at);
  damaged.set(bytes.subarray(at), at + garbage.length);
  const { pes, counters } = demux([damaged]);
  assert.ok(counters.syncLosses > 0);
  const good = demux([bytes]).pes;
  const goodPts = new Set(good.map((p) => p.pts));
  assert.ok(pes.length >= good.length - 2, `${pes.length} of ${good.length} frames`);
  // Frames that survived are byte-identical to the undamaged ones.
  const byPts = new Map(good.map((p) => [p.pts, crc32Mpeg(p.data)]));
  const intact = pes.filter((p) => goodPts.has(p.pts) && byPts.get(p.pts) === crc32Mpeg(p.data));
  assert.ok(intact.length >= good.length - 2);
});

test('joining mid-stream waits for the next PES start and the next PAT/PMT', () => {
  const bytes = fixture('video');
  const start = 1000 * TS_PACKET_SIZE + 50; // not even on a packet boundary
  const { programs, pes } = demux([bytes.subarray(start)]);
  assert.equal(programs.length, 1);
  const whole = demux([bytes]).pes;
  const tail = whole.slice(whole.length - pes.length);
  assert.deepEqual(summary(pes), summary(tail));
});

test('dropPartial() forgets half-received data but keeps the program', () => {
  const bytes = fixture('video');
  const pes = [];
  const demuxer = new TsDemuxer({ onPes: (p) => pes.push(p) });
  demuxer.push(bytes.subarray(0, 300 * TS_PACKET_SIZE + 40));
  const before = pes.length;
  demuxer.dropPartial();
  demuxer.push(bytes.subarray(1200 * TS_PACKET_SIZE)); // data was lost in between
  demuxer.flush();
  assert.ok(demuxer.program, 'program kept');
  assert.equal(demuxer.counters.ccErrors, 0, 'continuity restarts after dropPartial');
  assert.ok(pes.length > before);
  const whole = demux([bytes]).pes;
  const after = pes.slice(before);
  assert.deepEqual(summary(after), summary(whole.slice(whole.length - after.length)));
});

test('a continuity error drops the PES in progress', () => {
  const bytes = fixture('video').slice();
  // Remove one video packet from the middle of frame 10.
  const { pes: good } = demux([bytes]);
  const packets = bytes.length / TS_PACKET_SIZE;
  let videoPackets = 0;
  let cut = -1;
  for (let i = 0; i < packets; i++) {
    const pid = ((bytes[i * 188 + 1] & 0x1f) << 8) | bytes[i * 188 + 2];
    if (pid === 65 && ++videoPackets === 400) cut = i;
  }
  const damaged = new Uint8Array(bytes.length - TS_PACKET_SIZE);
  damaged.set(bytes.subarray(0, cut * TS_PACKET_SIZE));
  damaged.set(bytes.subarray((cut + 1) * TS_PACKET_SIZE), cut * TS_PACKET_SIZE);
  const discontinuities = [];
  const pes = [];
  const demuxer = new TsDemuxer({ onPes: (p) => pes.push(p), onDiscontinuity: (pid) => discontinuities.push(pid) });
  demuxer.push(damaged);
  demuxer.flush();
  assert.deepEqual(discontinuities, [65]);
  assert.equal(pes.length, good.length - 1);
});

test('parsePes reads PTS and DTS and rejects non-PES data', () => {
  // PES header with PTS=DTS... built by hand: PTS 0x1_2345_6789, DTS 0x0_0000_0001.
  const pts = 0x123456789;
  const dts = 1;
  const ts = (prefix, v) => [
    (prefix << 4) | ((Math.floor(v / 2 ** 30) & 7) << 1) | 1,
    (v >>> 22) & 0xff, (((v >>> 15) & 0x7f) << 1) | 1, (v >>> 7) & 0xff, ((v & 0x7f) << 1) | 1,
  ];
  const pes = new Uint8Array([0, 0, 1, 0xe0, 0, 0, 0x80, 0xc0, 10, ...ts(3, pts), ...ts(1, dts), 0xaa, 0xbb]);
  const parsed = parsePes(pes);
  assert.equal(parsed.pts, pts);
  assert.equal(parsed.dts, dts);
  assert.deepEqual([...parsed.payload], [0xaa, 0xbb]);
  assert.equal(parsePes(new Uint8Array([0, 0, 2, 0xe0, 0, 0, 0x80, 0, 0])), null);
});

test('crc32Mpeg matches the CRC at the end of a PAT', () => {
  const bytes = fixture('video');
  const pat = bytes.subarray(0, TS_PACKET_SIZE);
  const afLength = pat[4];
  const start = 5 + afLength + 1 + pat[5 + afLength];
  const length = 3 + (((pat[start + 1] & 0x0f) << 8) | pat[start + 2]);
  assert.equal(crc32Mpeg(pat.subarray(start, start + length)), 0);
  assert.equal(crc32Mpeg(new TextEncoder().encode('123456789')), 0x0376e6e7);
});
