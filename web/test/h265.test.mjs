import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  nalType, isIrap, parseSps, hevcCodecString, profileName, levelName, findSps, inspectAccessUnit, NalType,
} from '../src/h265.js';
import { TsDemuxer } from '../src/tsdemux.js';
import { fixture } from './fixtures.mjs';

function accessUnits(name) {
  const aus = [];
  const demuxer = new TsDemuxer({ onPes: (p) => { if (p.codec === 'h265') aus.push(p.data); } });
  demuxer.push(fixture(name));
  demuxer.flush();
  return aus;
}

const firstSps = (name) => parseSps(inspectAccessUnit(accessUnits(name)[0]).sps);

test('the demuxer names stream_type 0x24 h265', () => {
  let program = null;
  new TsDemuxer({ onProgram: (p) => (program = p) }).push(fixture('h265'));
  assert.deepEqual(program.streams.map((s) => [s.streamType, s.codec]), [[0x24, 'h265']]);
});

test('NAL unit types and IRAP pictures of an x265enc stream', () => {
  const aus = accessUnits('h265').map(inspectAccessUnit);
  assert.equal(aus.length, 30);
  assert.deepEqual(aus[0].nals.map(nalType).filter((t) => t >= NalType.VPS && t <= NalType.PPS),
    [NalType.VPS, NalType.SPS, NalType.PPS]);
  assert.ok(aus[0].vps && aus[0].sps && aus[0].pps);
  assert.deepEqual(aus.map((a, i) => (a.isIdr ? i : -1)).filter((i) => i >= 0), [0, 10, 20]);
  assert.ok(aus.every((a) => a.hasSlice));
  assert.ok(aus.slice(1, 10).every((a) => a.sps === null && !a.isIdr));
  assert.equal(findSps(accessUnits('h265')[1]), null, 'delta frame: no SPS before its slice');
  assert.ok(isIrap(NalType.IDR_W_RADL) && isIrap(NalType.CRA) && isIrap(NalType.BLA_W_LP));
  assert.ok(!isIrap(NalType.TRAIL_N) && !isIrap(NalType.VPS));
});

test('SPS of H.265 Main: profile, level, chroma, bit depth, size, codec string', () => {
  const au = inspectAccessUnit(accessUnits('h265')[0]);
  const sps = parseSps(au.sps);
  assert.equal(sps.profileIdc, 1);
  assert.equal(profileName(sps), 'Main');
  assert.equal(sps.chromaFormat, '4:2:0');
  assert.deepEqual([sps.bitDepthLuma, sps.bitDepthChroma], [8, 8]);
  assert.deepEqual([sps.width, sps.height], [320, 240]);
  assert.equal(sps.interlaced, false);
  // Main sets compatibility flags 1 and 2 (-> 6); progressive, frame only.
  assert.match(hevcCodecString(sps), new RegExp(`^hvc1\\.1\\.6\\.L${sps.levelIdc}\\.[0-9A-F]{2}(\\.[0-9A-F]{2})*$`));
  assert.equal(hevcCodecString(au.sps), hevcCodecString(sps));
  assert.ok(sps.constraintBytes[0] & 0x80, 'general_progressive_source_flag');
  assert.equal(findSps(accessUnits('h265')[0]).length, au.sps.length);
});

test('SPS of H.265 Main 10 (I420_10LE), with cropping to a size not a multiple of 8', () => {
  const sps = firstSps('h265_10');
  assert.equal(sps.profileIdc, 2);
  assert.equal(profileName(sps), 'Main 10');
  assert.deepEqual([sps.bitDepthLuma, sps.bitDepthChroma, sps.chromaFormat], [10, 10, '4:2:0']);
  assert.deepEqual([sps.width, sps.height], [352, 288]);
  assert.match(hevcCodecString(sps), /^hvc1\.2\.4\.L\d+\./);
});

test('SPS of H.265 Range Extensions 4:4:4 (Y444)', () => {
  const sps = firstSps('h265_444');
  assert.equal(sps.profileIdc, 4);
  assert.equal(profileName(sps), 'Main 4:4:4');
  assert.deepEqual([sps.chromaFormatIdc, sps.bitDepthLuma], [3, 8]);
  assert.deepEqual([sps.width, sps.height], [320, 180]);
  assert.equal(sps.codedHeight % 8, 0, 'coded in whole minimum coding blocks');
  // RExt constraint flags (max_12bit ... ) go beyond the first byte.
  assert.match(hevcCodecString(sps), /^hvc1\.4\.10\.L\d+\.[0-9A-F]{2}\.[0-9A-F]{2}/);
});

test('codec string details: profile space, tier, trailing zero constraint bytes', () => {
  const base = {
    profileSpace: 0, tier: 0, profileIdc: 1, compatibility: 0x6, levelIdc: 93,
    constraintBytes: [0xb0, 0, 0, 0, 0, 0],
  };
  assert.equal(hevcCodecString(base), 'hvc1.1.6.L93.B0');
  assert.equal(hevcCodecString({ ...base, profileSpace: 1, tier: 1, levelIdc: 120 }, 'hev1'), 'hev1.A1.6.H120.B0');
  assert.equal(hevcCodecString({ ...base, constraintBytes: [0, 0, 0, 0, 0, 0] }), 'hvc1.1.6.L93.00');
  assert.equal(hevcCodecString({ ...base, constraintBytes: [0x90, 0x08, 0, 0, 0, 0] }), 'hvc1.1.6.L93.90.08');
  assert.equal(hevcCodecString({ ...base, compatibility: 2 ** 31 }), 'hvc1.1.80000000.L93.B0');
});

test('profile and level names', () => {
  const s = { profileIdc: 4, compatFlags: [], chromaFormatIdc: 2, chromaFormat: '4:2:2', bitDepthLuma: 10, bitDepthChroma: 10 };
  assert.equal(profileName(s), 'Main 4:2:2 10');
  assert.equal(profileName({ ...s, chromaFormatIdc: 1, chromaFormat: '4:2:0', bitDepthLuma: 12, bitDepthChroma: 12 }), 'Main 12');
  assert.equal(profileName({ ...s, chromaFormatIdc: 0, chromaFormat: '4:0:0', bitDepthLuma: 8, bitDepthChroma: 8 }), 'Monochrome');
  const compat = Array(32).fill(0);
  compat[2] = 1;
  assert.equal(profileName({ ...s, profileIdc: 0, compatFlags: compat }), 'Main 10');
  assert.deepEqual([93, 120, 150, 63].map(levelName), ['3.1', '4', '5', '2.1']);
  assert.throws(() => parseSps(new Uint8Array([0x40, 0x01, 0x0c])), TypeError); // a VPS
});
