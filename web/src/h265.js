// H.265 (HEVC) bitstream helpers, the counterpart of h264.js: NAL unit types,
// IRAP (random access) detection, SPS parsing and the RFC 6381 codec string
// ("hvc1.P.C.TL.B", ISO/IEC 14496-15 Annex E) that WebCodecs and MSE want.
// Annex B scanning and emulation prevention are the same as H.264's.
// Pure functions with no browser API, unit-tested under Node.

import { BitReader, nalUnits, unescapeRbsp } from './h264.js';

export const NalType = Object.freeze({
  TRAIL_N: 0,
  BLA_W_LP: 16, // first IRAP type
  IDR_W_RADL: 19,
  IDR_N_LP: 20,
  CRA: 21,
  IRAP_LAST: 23, // 22 and 23 are reserved IRAP types
  VCL_LAST: 31,
  VPS: 32,
  SPS: 33,
  PPS: 34,
  AUD: 35,
  PREFIX_SEI: 39,
});

/** nal_unit_type from the two-byte NAL unit header. */
export function nalType(nal) {
  return (nal[0] >> 1) & 0x3f;
}

/** IDR, CRA or BLA: a picture a decoder can start at. */
export function isIrap(type) {
  return type >= NalType.BLA_W_LP && type <= NalType.IRAP_LAST;
}

const CHROMA_FORMATS = ['4:0:0', '4:2:0', '4:2:2', '4:4:4'];

/**
 * Parses the fields of a sequence parameter set a player needs (up to the
 * bit depths; the frame rate is in the VUI further on and is not read).
 * @param {Uint8Array} nal SPS NAL unit, two-byte header included
 */
export function parseSps(nal) {
  if (nalType(nal) !== NalType.SPS) throw new TypeError('not an H.265 SPS NAL unit');
  const r = new BitReader(unescapeRbsp(nal).subarray(2));
  r.bits(4); // sps_video_parameter_set_id
  const maxSubLayersMinus1 = r.bits(3);
  r.bit(); // sps_temporal_id_nesting_flag
  // profile_tier_level(1, sps_max_sub_layers_minus1)
  const profileSpace = r.bits(2);
  const tier = r.bit();
  const profileIdc = r.bits(5);
  let compatibility = 0; // flag j as bit j: the "reverse bit order" of Annex E
  const compatFlags = [];
  for (let j = 0; j < 32; j++) {
    const flag = r.bit();
    compatFlags.push(flag);
    if (flag) compatibility += 2 ** j;
  }
  const constraintBytes = [];
  for (let i = 0; i < 6; i++) constraintBytes.push(r.bits(8));
  const levelIdc = r.bits(8);
  const subLayers = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) subLayers.push({ profile: r.bit(), level: r.bit() });
  if (maxSubLayersMinus1 > 0) for (let i = maxSubLayersMinus1; i < 8; i++) r.bits(2);
  for (const sub of subLayers) {
    if (sub.profile) r.bits(88);
    if (sub.level) r.bits(8);
  }
  const spsId = r.ue();
  const chromaFormatIdc = r.ue();
  const separateColourPlane = chromaFormatIdc === 3 ? r.bit() : 0;
  const codedWidth = r.ue();
  const codedHeight = r.ue();
  let crop = { left: 0, right: 0, top: 0, bottom: 0 };
  if (r.bit()) crop = { left: r.ue(), right: r.ue(), top: r.ue(), bottom: r.ue() };
  const bitDepthLuma = r.ue() + 8;
  const bitDepthChroma = r.ue() + 8;

  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const progressive = (constraintBytes[0] & 0x80) !== 0;
  const interlacedSource = (constraintBytes[0] & 0x40) !== 0;
  return {
    spsId,
    profileSpace,
    tier,
    profileIdc,
    compatibility,
    compatFlags,
    constraintBytes,
    levelIdc,
    chromaFormatIdc,
    chromaFormat: CHROMA_FORMATS[chromaFormatIdc] ?? `chroma_format_idc ${chromaFormatIdc}`,
    bitDepthLuma,
    bitDepthChroma,
    interlaced: interlacedSource && !progressive,
    codedWidth,
    codedHeight,
    width: codedWidth - subWidthC * (crop.left + crop.right),
    height: codedHeight - subHeightC * (crop.top + crop.bottom),
  };
}

const hex = (v) => v.toString(16).toUpperCase();

/**
 * RFC 6381 codec string per ISO/IEC 14496-15 Annex E:
 * hvc1.<space letter><profile_idc>.<compatibility flags, reversed, hex>.
 * <L|H><level_idc>.<constraint bytes, hex, trailing zero bytes left out>.
 * @param {Uint8Array|ReturnType<typeof parseSps>} sps SPS NAL unit or its parse
 */
export function hevcCodecString(sps, sampleEntry = 'hvc1') {
  const s = sps instanceof Uint8Array ? parseSps(sps) : sps;
  const space = ['', 'A', 'B', 'C'][s.profileSpace];
  const bytes = [...s.constraintBytes];
  while (bytes.length > 1 && bytes.at(-1) === 0) bytes.pop();
  const constraints = bytes.map((b) => hex(b).padStart(2, '0')).join('.');
  return `${sampleEntry}.${space}${s.profileIdc}.${hex(s.compatibility)}.${s.tier ? 'H' : 'L'}${s.levelIdc}.${constraints}`;
}

// general_profile_idc, or for a stream that signals only compatibility, the
// lowest profile it is compatible with (Annex A).
const PROFILE_NAMES = new Map([
  [1, 'Main'], [2, 'Main 10'], [3, 'Main Still Picture'], [4, 'Range Extensions'],
  [5, 'High Throughput'], [6, 'Multiview Main'], [7, 'Scalable Main'], [8, '3D Main'],
  [9, 'Screen Content Coding'], [10, 'Scalable Range Extensions'], [11, 'High Throughput Screen Content Coding'],
]);

/**
 * The profile's name. Range Extensions streams are named by what the
 * profile allows as seen in the SPS: "Main 4:4:4", "Main 4:2:2 10",
 * "Main 12", "Monochrome 16", ...
 */
export function profileName(s) {
  let idc = s.profileIdc;
  if (idc === 0) idc = s.compatFlags.findIndex((f, j) => f && j > 0);
  if (idc !== 4) return PROFILE_NAMES.get(idc) ?? `profile ${s.profileIdc}`;
  const depth = Math.max(s.bitDepthLuma, s.bitDepthChroma);
  const bits = depth > 8 ? ` ${depth}` : '';
  if (s.chromaFormatIdc === 0) return `Monochrome${bits}`;
  if (s.chromaFormatIdc === 1) return bits ? `Main${bits}` : 'Main (Range Extensions)';
  return `Main ${s.chromaFormat}${bits}`;
}

/** general_level_idc is 30 × the level: 93 -> "3.1", 120 -> "4". */
export function levelName(levelIdc) {
  const level = levelIdc / 30;
  return Number.isInteger(level) ? String(level) : level.toFixed(1);
}

/** The first SPS of an access unit, without scanning past its first slice. */
export function findSps(data) {
  for (const nal of nalUnits(data)) {
    const type = nalType(nal);
    if (type === NalType.SPS) return nal;
    if (type <= NalType.VCL_LAST) return null;
  }
  return null;
}

/**
 * Summarises an Annex B access unit, with the same shape as h264.js's:
 * `isIdr` is true for any IRAP picture (IDR, CRA, BLA).
 * @returns {{nals:Uint8Array[], isIdr:boolean, sps:Uint8Array|null,
 *            pps:Uint8Array|null, vps:Uint8Array|null, hasSlice:boolean}}
 */
export function inspectAccessUnit(data) {
  const nals = [...nalUnits(data)];
  let isIdr = false;
  let hasSlice = false;
  let vps = null;
  let sps = null;
  let pps = null;
  for (const nal of nals) {
    const type = nalType(nal);
    if (type <= NalType.VCL_LAST) {
      hasSlice = true;
      if (isIrap(type)) isIdr = true;
    } else if (type === NalType.VPS) vps ??= nal;
    else if (type === NalType.SPS) sps ??= nal;
    else if (type === NalType.PPS) pps ??= nal;
  }
  return { nals, isIdr, sps, pps, vps, hasSlice };
}
