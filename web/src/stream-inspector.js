// Watches what the stream carries, whatever path decodes it: the program
// (PAT/PMT), the video's SPS (codec string, profile, chroma, bit depth, size)
// and the AAC codec string from the first ADTS header. It reports the video
// info when it first appears and whenever it changes (a new SPS at a key
// frame), so that the player can check again whether the browser decodes it.
// No browser API: runs under Node's test runner too.

import { TsDemuxer } from './tsdemux.js';
import { findSps as findH264Sps, inspectAccessUnit as inspectH264 } from './h264.js';
import { findSps as findH265Sps, inspectAccessUnit as inspectH265 } from './h265.js';
import { VIDEO_CODECS, aacCodecString, videoInfoFromSps } from './codec-support.js';

const FIND_SPS = { h264: findH264Sps, h265: findH265Sps };
const INSPECT = { h264: inspectH264, h265: inspectH265 };

export class StreamInspector {
  /**
   * @param {{onProgram?:(p:import('./tsdemux.js').Program)=>void,
   *          onVideoInfo?:(v:import('./codec-support.js').VideoInfo)=>void,
   *          onAudioCodecs?:(codecs:string)=>void,
   *          onError?:(message:string)=>void}} handlers
   */
  constructor({ onProgram = () => {}, onVideoInfo = () => {}, onAudioCodecs = () => {}, onError = () => {} } = {}) {
    this.handlers = { onProgram, onVideoInfo, onAudioCodecs, onError };
    this.demuxer = new TsDemuxer({
      onProgram: (program) => this.#onProgram(program),
      onPes: (pes) => this.#onPes(pes),
    });
    this.reset();
  }

  /** Forgets the stream (a new one follows). */
  reset() {
    this.demuxer.reset();
    this.program = null;
    this.video = null; // {pid, codec}
    this.audioPid = -1;
    this.videoInfo = null;
    this.audioCodecs = null;
    this.lastSps = null;
    this.keysWithoutSps = 0; // key frames (IDR/IRAP) seen before any SPS
  }

  /** Drops half-received data after a gap; keeps what is known. */
  dropPartial() {
    this.demuxer.dropPartial();
  }

  /** @param {Uint8Array} bytes TS packets */
  push(bytes) {
    this.demuxer.push(bytes);
  }

  #onProgram(program) {
    this.program = program;
    const video = program.streams.find((s) => VIDEO_CODECS.includes(s.codec));
    if (video?.pid !== this.video?.pid || video?.codec !== this.video?.codec) {
      this.video = video ? { pid: video.pid, codec: video.codec } : null;
      this.lastSps = null;
    }
    this.audioPid = program.streams.find((s) => s.codec === 'aac')?.pid ?? -1;
    this.handlers.onProgram(program);
  }

  #onPes(pes) {
    if (pes.pid === this.audioPid && this.audioCodecs === null) {
      this.audioCodecs = aacCodecString(pes.data);
      if (this.audioCodecs) this.handlers.onAudioCodecs(this.audioCodecs);
      return;
    }
    if (pes.pid !== this.video?.pid) return;
    const sps = FIND_SPS[this.video.codec](pes.data);
    if (!sps && !this.videoInfo && INSPECT[this.video.codec](pes.data).isIdr) this.keysWithoutSps++;
    if (!sps || sameBytes(sps, this.lastSps)) return;
    this.lastSps = sps.slice();
    let info;
    try {
      info = videoInfoFromSps(this.video.codec, sps);
    } catch (e) {
      this.handlers.onError(`cannot read the ${this.video.codec} SPS: ${e.message}`);
      return;
    }
    const old = this.videoInfo;
    this.videoInfo = info;
    if (!old || old.codecs !== info.codecs || old.width !== info.width || old.height !== info.height ||
        old.chromaFormat !== info.chromaFormat || old.bitDepth !== info.bitDepth) {
      this.handlers.onVideoInfo(info);
    }
  }
}

function sameBytes(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
