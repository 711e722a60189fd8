// AAC in ADTS framing (ISO/IEC 13818-7 / 14496-3), as MPEG-TS carries it
// (stream_type 0x0F): the 7- or 9-byte header of each frame, the split of a
// PES payload into frames with a timestamp each, and the AudioSpecificConfig
// and AudioDecoderConfig that WebCodecs needs for the raw frames. mpegtsmux
// may put several ADTS frames into one PES; its PTS is that of the first
// frame that starts in it, and each next one is 1024 samples later. Pure
// logic (no browser API), unit-tested under Node.

export const SAMPLE_RATES = Object.freeze([
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
]);
export const SAMPLES_PER_FRAME = 1024;
const MIN_HEADER = 7;

/**
 * @typedef {{aot:number, sampleRateIndex:number, sampleRate:number,
 *            channelConfig:number, headerLength:number, frameLength:number,
 *            blocks:number}} AdtsHeader
 *   aot: audio object type (profile + 1; 2 = AAC LC); frameLength: header
 *   included; blocks: raw data blocks in the frame (each 1024 samples)
 */

/**
 * Reads the ADTS header at `offset`. Returns null when there is none there
 * (no sync word, layer not 0, a reserved sampling frequency index, or a
 * frame length shorter than its header); it needs 7 bytes.
 * @returns {AdtsHeader|null}
 */
export function parseAdtsHeader(b, offset = 0) {
  if (offset + MIN_HEADER > b.length) return null;
  if (b[offset] !== 0xff || (b[offset + 1] & 0xf6) !== 0xf0) return null; // sync word, layer 00
  const protectionAbsent = b[offset + 1] & 0x01;
  const aot = (b[offset + 2] >> 6) + 1;
  const sampleRateIndex = (b[offset + 2] >> 2) & 0x0f;
  const channelConfig = ((b[offset + 2] & 0x01) << 2) | (b[offset + 3] >> 6);
  const frameLength = ((b[offset + 3] & 0x03) << 11) | (b[offset + 4] << 3) | (b[offset + 5] >> 5);
  const blocks = (b[offset + 6] & 0x03) + 1;
  const headerLength = protectionAbsent ? 7 : 9;
  if (sampleRateIndex >= SAMPLE_RATES.length || frameLength <= headerLength) return null;
  return {
    aot, sampleRateIndex, sampleRate: SAMPLE_RATES[sampleRateIndex], channelConfig, headerLength, frameLength, blocks,
  };
}

/** Channels of an MPEG-4 channel configuration (0: given in the stream, taken as 2). */
export function channelCount(channelConfig) {
  return [2, 1, 2, 3, 4, 5, 6, 8][channelConfig] ?? 2;
}

/** The 2-byte AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1) of a header. */
export function audioSpecificConfig({ aot, sampleRateIndex, channelConfig }) {
  // audioObjectType(5) samplingFrequencyIndex(4) channelConfiguration(4)
  // frameLengthFlag(1)=0 dependsOnCoreCoder(1)=0 extensionFlag(1)=0
  return new Uint8Array([(aot << 3) | (sampleRateIndex >> 1), ((sampleRateIndex & 1) << 7) | (channelConfig << 3)]);
}

/** The AudioDecoderConfig for the raw frames (ADTS headers removed) of a stream with this header. */
export function audioDecoderConfig(header) {
  return {
    codec: `mp4a.40.${header.aot}`,
    sampleRate: header.sampleRate,
    numberOfChannels: channelCount(header.channelConfig),
    description: audioSpecificConfig(header),
  };
}

/** Two headers describe the same decoder configuration. */
export function sameConfig(a, b) {
  return a !== null && b !== null && a.aot === b.aot && a.sampleRateIndex === b.sampleRateIndex &&
    a.channelConfig === b.channelConfig;
}

/**
 * @typedef {{header:AdtsHeader, data:Uint8Array, adts:Uint8Array, timestamp:number,
 *            duration:number}} AacFrame
 *   data: the raw frame without its ADTS header; adts: the frame with it;
 *   timestamp, duration: µs
 */

/**
 * Splits the payloads of successive PES packets of one AAC stream into
 * frames. A frame cut by the end of a PES is completed with the next one;
 * bytes without a sync word are skipped (and counted).
 */
export class AdtsSplitter {
  constructor() {
    this.reset();
  }

  /** Forgets carried bytes and timing (a resync). */
  reset() {
    this.carry = null;
    this.carryTimestamp = null; // µs of the carried frame when its PES gave a PTS
    this.nextTimestamp = null; // µs of the frame after the last one handed out
    this.skippedBytes = 0;
  }

  /**
   * @param {Uint8Array} payload the PES payload
   * @param {number|null} pts90k the PES PTS (90 kHz), or null when it has none
   * @returns {AacFrame[]}
   */
  push(payload, pts90k) {
    let bytes = payload;
    let carried = 0; // bytes at the start that belong to a frame begun in an earlier PES
    if (this.carry) {
      carried = this.carry.length;
      bytes = new Uint8Array(carried + payload.length);
      bytes.set(this.carry);
      bytes.set(payload, carried);
      this.carry = null;
    }
    const frames = [];
    let ptsUsed = pts90k === null;
    let pos = 0;
    while (pos + MIN_HEADER <= bytes.length) {
      const h = parseAdtsHeader(bytes, pos);
      if (!h) {
        pos++;
        this.skippedBytes++;
        continue;
      }
      if (pos + h.frameLength > bytes.length) { // completed by the next PES
        if (!ptsUsed && pos >= carried) this.carryTimestamp = (pts90k * 100) / 9;
        break;
      }
      const duration = (h.blocks * SAMPLES_PER_FRAME * 1e6) / h.sampleRate;
      // The PES PTS belongs to the first frame that starts in this PES.
      let timestamp = this.nextTimestamp;
      if (pos < carried && this.carryTimestamp !== null) {
        timestamp = this.carryTimestamp;
      } else if (!ptsUsed && pos >= carried) {
        timestamp = (pts90k * 100) / 9;
        ptsUsed = true;
      }
      this.carryTimestamp = null;
      timestamp ??= 0;
      frames.push({
        header: h,
        data: bytes.subarray(pos + h.headerLength, pos + h.frameLength),
        adts: bytes.subarray(pos, pos + h.frameLength),
        timestamp: Math.round(timestamp),
        duration,
      });
      this.nextTimestamp = timestamp + duration;
      pos += h.frameLength;
    }
    if (pos < bytes.length) {
      const rest = bytes.slice(pos);
      // Keep a partial frame (or a partial header) for the next PES; bound
      // it so that garbage cannot grow without end.
      if (rest.length <= 8192) this.carry = rest;
      else this.skippedBytes += rest.length;
    }
    return frames;
  }
}
