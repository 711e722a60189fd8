// H.264 bitstream helpers: Annex B NAL unit scanning, SPS parsing and the
// RFC 6381 codec string ("avc1.PPCCLL") that WebCodecs needs.
// Pure functions with no browser API, unit-tested under Node.

export const NalType = Object.freeze({
  SLICE: 1,
  IDR: 5,
  SEI: 6,
  SPS: 7,
  PPS: 8,
  AUD: 9,
});

/**
 * Splits an Annex B byte stream into NAL units (start codes removed).
 * Zero bytes before a start code (trailing_zero_8bits, or the leading zero of
 * a four-byte start code) are not part of the NAL unit before it.
 * @returns {Uint8Array[]} views into `data`
 */
export function splitNalUnits(data) {
  return [...nalUnits(data)];
}

/**
 * The NAL units of an Annex B byte stream one by one, so that a caller
 * looking for the parameter sets can stop at the first slice.
 * @returns {Generator<Uint8Array>} non-empty views into `data`
 */
export function* nalUnits(data) {
  let start = -1;
  let i = 0;
  const n = data.length;
  while (i + 2 < n) {
    // Skip ahead fast: a start code needs data[i+2] to be 0 or 1.
    if (data[i + 2] > 1) {
      i += 3;
      continue;
    }
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      if (start >= 0) {
        const end = trimZeros(data, start, i);
        if (end > start) yield data.subarray(start, end);
      }
      start = i + 3;
      i += 3;
      continue;
    }
    i++;
  }
  if (start >= 0 && start < n) {
    const end = trimZeros(data, start, n);
    if (end > start) yield data.subarray(start, end);
  }
}

function trimZeros(data, start, end) {
  while (end > start && data[end - 1] === 0) end--;
  return end;
}

export function nalType(nal) {
  return nal[0] & 0x1f;
}

/** Removes emulation prevention bytes (00 00 03 -> 00 00). */
export function unescapeRbsp(nal) {
  const out = new Uint8Array(nal.length);
  let o = 0;
  let zeros = 0;
  for (let i = 0; i < nal.length; i++) {
    const b = nal[i];
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    zeros = b === 0 ? zeros + 1 : 0;
    out[o++] = b;
  }
  return out.subarray(0, o);
}

/** Big-endian bit reader with Exp-Golomb codes. */
export class BitReader {
  constructor(bytes) {
    this.bytes = bytes;
    this.pos = 0; // in bits
  }

  bit() {
    const byte = this.bytes[this.pos >> 3];
    if (byte === undefined) throw new RangeError('read past end of RBSP');
    const b = (byte >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return b;
  }

  bits(n) {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.bit();
    return v;
  }

  ue() {
    let zeros = 0;
    while (this.bit() === 0) {
      if (++zeros > 31) throw new RangeError('bad Exp-Golomb code');
    }
    return 2 ** zeros - 1 + this.bits(zeros);
  }

  se() {
    const k = this.ue();
    return k & 1 ? (k + 1) / 2 : -k / 2;
  }
}

// Profiles whose SPS carries chroma_format_idc, bit depths and scaling lists.
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

function skipScalingList(r, size) {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/**
 * Parses the fields of a sequence parameter set a player needs.
 * @param {Uint8Array} nal SPS NAL unit, header byte included
 */
export function parseSps(nal) {
  if (nalType(nal) !== NalType.SPS) throw new TypeError('not an SPS NAL unit');
  const rbsp = unescapeRbsp(nal);
  const profileIdc = rbsp[1];
  const constraintFlags = rbsp[2];
  const levelIdc = rbsp[3];
  const r = new BitReader(rbsp.subarray(4));
  const spsId = r.ue();
  let chromaFormatIdc = 1;
  let separateColourPlane = 0;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.ue();
    if (chromaFormatIdc === 3) separateColourPlane = r.bit();
    bitDepthLuma = r.ue() + 8;
    bitDepthChroma = r.ue() + 8;
    r.bit(); // qpprime_y_zero_transform_bypass_flag
    if (r.bit()) {
      const lists = chromaFormatIdc === 3 ? 12 : 8;
      for (let i = 0; i < lists; i++) if (r.bit()) skipScalingList(r, i < 6 ? 16 : 64);
    }
  }
  r.ue(); // log2_max_frame_num_minus4
  const pocType = r.ue();
  if (pocType === 0) {
    r.ue(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (pocType === 1) {
    r.bit();
    r.se();
    r.se();
    const cycle = r.ue();
    for (let i = 0; i < cycle; i++) r.se();
  }
  const maxNumRefFrames = r.ue();
  r.bit(); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.ue() + 1;
  const heightMapUnits = r.ue() + 1;
  const frameMbsOnly = r.bit();
  if (!frameMbsOnly) r.bit(); // mb_adaptive_frame_field_flag
  r.bit(); // direct_8x8_inference_flag
  let crop = { left: 0, right: 0, top: 0, bottom: 0 };
  if (r.bit()) crop = { left: r.ue(), right: r.ue(), top: r.ue(), bottom: r.ue() };

  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (2 - frameMbsOnly);
  const codedWidth = widthMbs * 16;
  const codedHeight = heightMapUnits * 16 * (2 - frameMbsOnly);
  return {
    spsId,
    profileIdc,
    constraintFlags,
    levelIdc,
    chromaFormatIdc,
    bitDepthLuma,
    bitDepthChroma,
    maxNumRefFrames,
    frameMbsOnly: frameMbsOnly === 1,
    codedWidth,
    codedHeight,
    width: codedWidth - cropUnitX * (crop.left + crop.right),
    height: codedHeight - cropUnitY * (crop.top + crop.bottom),
  };
}

const hex2 = (v) => v.toString(16).toUpperCase().padStart(2, '0');

/** RFC 6381 codec string from an SPS NAL unit: "avc1." + profile, constraint flags, level. */
export function avcCodecString(spsNal) {
  // The three bytes after the NAL header never need unescaping: an emulation
  // prevention byte can only follow two zero bytes, and profile_idc is never 0.
  return `avc1.${hex2(spsNal[1])}${hex2(spsNal[2])}${hex2(spsNal[3])}`;
}

/**
 * Summarises an Annex B access unit.
 * @returns {{nals:Uint8Array[], isIdr:boolean, sps:Uint8Array|null,
 *            pps:Uint8Array|null, hasSlice:boolean}}
 */
export function inspectAccessUnit(data) {
  const nals = splitNalUnits(data);
  let isIdr = false;
  let hasSlice = false;
  let sps = null;
  let pps = null;
  for (const nal of nals) {
    const type = nalType(nal);
    if (type === NalType.IDR) isIdr = hasSlice = true;
    else if (type >= NalType.SLICE && type < NalType.IDR) hasSlice = true;
    else if (type === NalType.SPS) sps ??= nal;
    else if (type === NalType.PPS) pps ??= nal;
  }
  return { nals, isIdr, sps, pps, hasSlice };
}

const PROFILE_NAMES = new Map([
  [44, 'CAVLC 4:4:4 Intra'], [77, 'Main'], [88, 'Extended'],
  [83, 'Scalable Baseline'], [86, 'Scalable High'], [118, 'Multiview High'], [128, 'Stereo High'],
  [134, 'MFC High'], [135, 'MFC Depth High'], [138, 'Multiview Depth High'], [139, 'Enhanced Multiview Depth High'],
]);

/**
 * The profile's name (H.264 Annex A) from profile_idc and the constraint
 * flags byte (constraint_set1 marks Constrained Baseline, constraint_set3 the
 * Intra profiles, constraint_set4/5 Progressive and Constrained High).
 */
export function profileName(profileIdc, constraintFlags = 0) {
  const intra = (constraintFlags & 0x10) !== 0;
  switch (profileIdc) {
    case 66: return constraintFlags & 0x40 ? 'Constrained Baseline' : 'Baseline';
    case 100:
      if ((constraintFlags & 0x0c) === 0x0c) return 'Constrained High';
      return constraintFlags & 0x08 ? 'Progressive High' : 'High';
    case 110: return intra ? 'High 10 Intra' : 'High 10';
    case 122: return intra ? 'High 4:2:2 Intra' : 'High 4:2:2';
    case 244: return intra ? 'High 4:4:4 Intra' : 'High 4:4:4 Predictive';
    default: return PROFILE_NAMES.get(profileIdc) ?? `profile ${profileIdc}`;
  }
}

/** level_idc as written: 31 -> "3.1", 40 -> "4". */
export function levelName(levelIdc) {
  return levelIdc % 10 === 0 ? String(levelIdc / 10) : (levelIdc / 10).toFixed(1);
}

/** The first SPS of an access unit, without scanning past its first slice. */
export function findSps(data) {
  for (const nal of nalUnits(data)) {
    const type = nalType(nal);
    if (type === NalType.SPS) return nal;
    if (type >= NalType.SLICE && type <= NalType.IDR) return null;
  }
  return null;
}
