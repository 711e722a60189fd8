import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  splitNalUnits, nalType, unescapeRbsp, BitReader, parseSps, avcCodecString, inspectAccessUnit, NalType,
  profileName, levelName, findSps,
} from '../src/h264.js';
import { TsDemuxer } from '../src/tsdemux.js';
import { fixture } from './fixtures.mjs';

function firstAccessUnit(name) {
  let first = null;
  const demuxer = new TsDemuxer({ onPes: (p) => { if (p.codec === 'h264') first ??= p.data; } });
  demuxer.push(fixture(name));
  return inspectAccessUnit(first);
}

test('splitNalUnits handles 3- and 4-byte start codes and trailing zeros', () => {
  const data = new Uint8Array([
    0, 0, 0, 1, 0x09, 0xf0, // AUD, 4-byte start code
    0, 0, 1, 0x67, 1, 2, 0, 0, // SPS with trailing_zero_8bits
    0, 0, 0, 1, 0x68, 3, // PPS
    0, 0, 1, 0x65, 0, 0, 3, 1, 7, // IDR with an emulation prevention byte
  ]);
  const nals = splitNalUnits(data);
  assert.deepEqual(nals.map(nalType), [NalType.AUD, NalType.SPS, NalType.PPS, NalType.IDR]);
  assert.deepEqual([...nals[1]], [0x67, 1, 2]);
  assert.deepEqual([...nals[3]], [0x65, 0, 0, 3, 1, 7]);
  assert.deepEqual(splitNalUnits(new Uint8Array([1, 2, 3])), []);
  assert.deepEqual(splitNalUnits(new Uint8Array([0, 0, 1])), []);
});

test('unescapeRbsp removes emulation prevention bytes only', () => {
  assert.deepEqual([...unescapeRbsp(new Uint8Array([0x67, 0, 0, 3, 1, 0, 0, 3, 0, 3]))],
    [0x67, 0, 0, 1, 0, 0, 0, 3]);
  assert.deepEqual([...unescapeRbsp(new Uint8Array([0, 3, 0, 0, 4]))], [0, 3, 0, 0, 4]);
});

test('BitReader decodes Exp-Golomb codes', () => {
  // 1 | 010 | 011 | 00100 | 00101 -> ue 0,1,2,3 then se of code 4 = -2
  const r = new BitReader(new Uint8Array([0b10100110, 0b01000010, 0b10000000]));
  assert.deepEqual([r.ue(), r.ue(), r.ue(), r.ue(), r.se()], [0, 1, 2, 3, -2]);
  assert.throws(() => new BitReader(new Uint8Array([0])).ue(), RangeError);
});

test('SPS of a High 4:4:4 stream (x264 default for videotestsrc caps)', () => {
  const au = firstAccessUnit('video');
  assert.ok(au.isIdr && au.hasSlice);
  const sps = parseSps(au.sps);
  assert.equal(sps.profileIdc, 244);
  assert.equal(sps.chromaFormatIdc, 3);
  assert.equal(sps.width, 320);
  assert.equal(sps.height, 240);
  assert.match(avcCodecString(au.sps), /^avc1\.F400[0-9A-F]{2}$/);
});

test('SPS of a Constrained Baseline stream', () => {
  const au = firstAccessUnit('baseline');
  const sps = parseSps(au.sps);
  assert.equal(sps.profileIdc, 66);
  assert.ok(sps.constraintFlags & 0x40, 'constraint_set1_flag');
  assert.equal(sps.width, 176);
  assert.equal(sps.height, 144);
  assert.equal(avcCodecString(au.sps), `avc1.42${sps.constraintFlags.toString(16).toUpperCase()}${sps.levelIdc.toString(16).toUpperCase().padStart(2, '0')}`);
});

test('SPS of a High profile 4:2:0 stream', () => {
  const sps = parseSps(firstAccessUnit('av').sps);
  assert.equal(sps.profileIdc, 100);
  assert.equal(sps.chromaFormatIdc, 1);
  assert.equal(sps.bitDepthLuma, 8);
  assert.deepEqual([sps.width, sps.height], [320, 240]);
});

test('SPS frame cropping: 1080p is coded as 1088 lines', () => {
  const sps = parseSps(firstAccessUnit('large').sps);
  assert.deepEqual([sps.codedWidth, sps.codedHeight], [1920, 1088]);
  assert.deepEqual([sps.width, sps.height], [1920, 1080]);
  assert.equal(sps.levelIdc, 40);
});

test('inspectAccessUnit tells IDR from delta frames', () => {
  const aus = [];
  const demuxer = new TsDemuxer({ onPes: (p) => aus.push(inspectAccessUnit(p.data)) });
  demuxer.push(fixture('video'));
  demuxer.flush();
  assert.deepEqual(aus.map((a, i) => (a.isIdr ? i : -1)).filter((i) => i >= 0), [0, 30]);
  assert.ok(aus.every((a) => a.hasSlice));
  assert.ok(aus.slice(1, 30).every((a) => a.sps === null));
  assert.throws(() => parseSps(aus[0].pps), TypeError);
});

test('High 4:4:4 Predictive from x264enc fed Y444', () => {
  const au = firstAccessUnit('h264_444');
  const sps = parseSps(au.sps);
  assert.deepEqual([sps.profileIdc, sps.chromaFormatIdc, sps.bitDepthLuma], [244, 3, 8]);
  assert.equal(profileName(sps.profileIdc, sps.constraintFlags), 'High 4:4:4 Predictive');
  assert.match(avcCodecString(au.sps), /^avc1\.F400[0-9A-F]{2}$/);
});

test('High 4:2:2 10-bit from x264enc fed I422_10LE', () => {
  const sps = parseSps(firstAccessUnit('h264_422_10').sps);
  assert.deepEqual([sps.profileIdc, sps.chromaFormatIdc, sps.bitDepthLuma, sps.bitDepthChroma], [122, 2, 10, 10]);
  assert.equal(profileName(sps.profileIdc, sps.constraintFlags), 'High 4:2:2');
});

test('profile and level names, findSps stops at the first slice', () => {
  assert.equal(profileName(66, 0x40), 'Constrained Baseline');
  assert.equal(profileName(66, 0), 'Baseline');
  assert.equal(profileName(77), 'Main');
  assert.equal(profileName(100), 'High');
  assert.equal(profileName(100, 0x08), 'Progressive High');
  assert.equal(profileName(100, 0x0c), 'Constrained High');
  assert.equal(profileName(110), 'High 10');
  assert.equal(profileName(110, 0x10), 'High 10 Intra');
  assert.equal(profileName(244), 'High 4:4:4 Predictive');
  assert.equal(profileName(7), 'profile 7');
  assert.deepEqual([30, 31, 40, 51].map(levelName), ['3', '3.1', '4', '5.1']);
  const idr = new Uint8Array([0, 0, 1, 0x65, 0x88, 0, 0, 1, 0x67, 0x42]);
  assert.equal(findSps(idr), null);
  assert.deepEqual([...findSps(new Uint8Array([0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x67, 0x42, 0, 0, 1, 0x65]))], [0x67, 0x42]);
});
