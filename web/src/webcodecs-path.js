// Primary decode path: our TS demuxer -> H.264 or H.265 access units
// (Annex B) -> WebCodecs VideoDecoder -> <canvas>, and AAC -> AudioDecoder ->
// Web Audio (audio-path.js). Without sound playing, every frame is drawn as
// soon as the decoder outputs it; there is no buffer to build up latency in.
// While sound plays, its clock is the master (av-sync.js): a frame is held
// until the audio heard reaches its PTS, one already late is drawn at once
// (or, in the second after an audio stall, dropped if over 40 ms late while
// a newer one is in the decoder or a picture was drawn less than 150 ms ago).

import { TsDemuxer } from './tsdemux.js';
import * as h264 from './h264.js';
import * as h265 from './h265.js';
import { VIDEO_CODECS, videoInfoFromSps } from './codec-support.js';
import { nowMicros } from './sse-source.js';
import { AudioPath } from './audio-path.js';

// The decoder is behind when it holds more than a few frames, the oldest has
// waited BEHIND_MS, and the queue is no shorter than it was BEHIND_MS ago;
// then delta frames are skipped up to the next IDR. A join starts with a
// burst of up to a GOP of frames: the queue is long but shrinking, and those
// frames are decoded (shown fast-forward) rather than skipped.
const BEHIND_QUEUE = 3;
const BEHIND_MS = 250;
const FRAME_US = 1e6 / 30; // stand-in duration when PTS are missing

const usFrom90k = (ticks) => Math.round((ticks * 100) / 9);
// Frames held for the audio clock: at most this many (decoders have few
// output buffers) and this long (a clock that far ahead is wrong).
const MAX_HELD = 8;
const MAX_HOLD_MS = 500;
// Later than its sound by more than this, with a newer frame coming or one
// drawn less than LATE_KEEP_MS ago: dropped.
const LATE_DROP_MS = 40;
const LATE_KEEP_MS = 150;
const STALL_DROP_MS = 1000;

export class WebCodecsPath {
  static id = 'webcodecs';

  /**
   * @param {{canvas:HTMLCanvasElement, stats:import('./stats.js').PlayerStats,
   *          onFatal:(reason:string)=>void, audio?:boolean, onAudioChange?:()=>void}} options
   *   audio: play the stream's AAC (the browser's AudioDecoder said yes to it)
   */
  constructor({ canvas, stats, onFatal, audio = false, onAudioChange = () => {} }) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d', { alpha: false, desynchronized: true });
    this.stats = stats;
    this.onFatal = onFatal;
    this.decoder = null;
    this.config = null; // the VideoDecoderConfig the decoder has
    this.nextConfig = null; // from the latest SPS, applied at the next IDR
    this.videoPid = -1;
    this.audioPid = -1;
    this.playAudio = audio;
    this.onAudioChange = onAudioChange;
    this.audio = null; // AudioPath once the PMT names an AAC stream
    this.held = []; // {frame, info}: decoded frames waiting for the audio clock, in PTS order
    this.holdTimer = 0;
    this.lastDrawAt = 0; // performance.now() of the last frame drawn
    this.videoCodec = null; // 'h264' or 'h265'
    this.inspect = h264.inspectAccessUnit;
    this.waitingForKey = true;
    this.lagging = false; // skipping to an IDR because the decoder fell behind
    this.chunk = null; // the SSE event being demuxed
    this.frameInfo = new Map(); // frame timestamp (us) -> {ts, recvTime, submitTime}, in decode order
    this.lastTimestamp = 0;
    this.queueHistory = []; // {time, queued} sampled by #isBehind()
    this.demuxer = new TsDemuxer({
      onProgram: (program) => this.#onProgram(program),
      onPes: (pes) => {
        if (pes.pid === this.videoPid) this.#onAccessUnit(pes);
        else if (pes.pid === this.audioPid) this.audio?.feedPes(pes);
      },
      onDiscontinuity: (pid) => {
        if (pid === this.videoPid) this.waitingForKey = true;
      },
    });
  }

  async start() {}

  /** @param {import('./sse-source.js').MediaChunk} chunk */
  feed(chunk) {
    this.chunk = chunk;
    this.demuxer.push(chunk.bytes);
  }

  /**
   * Drops what is half received and waits for the next IDR.
   * @param {boolean} newStream the stream restarted: forget PAT/PMT too
   */
  resync(newStream) {
    if (newStream) this.demuxer.reset();
    else this.demuxer.dropPartial();
    this.waitingForKey = true;
    this.frameInfo.clear();
    this.#dropHeld();
    this.audio?.resync();
  }

  /** Mute or unmute (a user gesture: the AudioContext starts here). */
  toggleMute() {
    if (!this.audio) return;
    if (this.audio.muted) this.audio.unmute();
    else this.audio.mute();
    this.#showHeld(true); // back to drawing on decode until the clock runs
  }

  /** The stream ended: hand out the last frame. */
  endOfStream() {
    this.demuxer.flush();
    if (this.decoder?.state === 'configured') this.decoder.flush().catch(() => {});
  }

  destroy() {
    this.#closeDecoder();
    this.frameInfo.clear();
    this.#dropHeld();
    this.audio?.destroy();
    this.audio = null;
  }

  #onProgram(program) {
    const video = program.streams.find((s) => VIDEO_CODECS.includes(s.codec));
    if (!video) {
      const codecs = program.streams.map((s) => s.codec).join(', ') || 'nothing';
      this.onFatal(`the stream has no H.264 or H.265 video (it carries ${codecs})`);
      return;
    }
    if (video.pid !== this.videoPid || video.codec !== this.videoCodec) {
      this.videoPid = video.pid;
      this.videoCodec = video.codec;
      // H.265 access units have the same shape (isIdr: any IRAP picture).
      this.inspect = video.codec === 'h265' ? h265.inspectAccessUnit : h264.inspectAccessUnit;
      this.nextConfig = null;
      this.waitingForKey = true;
    }
    const aac = program.streams.find((s) => s.codec === 'aac');
    this.audioPid = aac?.pid ?? -1;
    if (aac && this.playAudio && !this.audio) {
      this.audio = new AudioPath({ stats: this.stats, onChange: this.onAudioChange });
    }
  }

  #onAccessUnit(pes) {
    const au = this.inspect(pes.data);
    if (au.sps) this.#takeSps(au.sps);
    if (!au.hasSlice) return;
    const stats = this.stats;

    if (au.isIdr) {
      if (this.lagging || (this.decoder && this.#isBehind())) this.#dropQueued();
      if (this.nextConfig && this.nextConfig !== this.config) this.#configure(this.nextConfig);
      if (!this.decoder) {
        stats.framesDropped++; // an IDR without a preceding SPS: nothing to decode with
        return;
      }
      this.waitingForKey = false;
    } else if (this.waitingForKey) {
      stats.framesDropped++;
      return;
    } else if (this.#isBehind()) {
      // The decoder is falling behind: everything up to the next IDR would
      // only add latency, so skip it.
      this.waitingForKey = true;
      this.lagging = true;
      stats.framesDropped++;
      return;
    }

    const timestamp = pes.pts !== null ? usFrom90k(pes.pts) : Math.round(this.lastTimestamp + FRAME_US);
    this.lastTimestamp = timestamp;
    this.#remember(timestamp, this.chunk);
    try {
      this.decoder.decode(new EncodedVideoChunk({
        type: au.isIdr ? 'key' : 'delta',
        timestamp,
        data: pes.data,
      }));
    } catch (e) {
      this.#decoderError(e);
      return;
    }
    stats.decodeQueueMax = Math.max(stats.decodeQueueMax, this.decoder.decodeQueueSize);
  }

  // Called at an IDR when the decoder is behind, or fell behind before: the
  // IDR needs nothing before it, and frames still waiting in the decoder
  // would only be shown late, so discard them and start afresh there.
  #dropQueued() {
    this.lagging = false;
    if (!this.decoder || this.decoder.decodeQueueSize === 0) return;
    this.stats.framesDropped += this.decoder.decodeQueueSize;
    this.decoder.reset(); // back to unconfigured; #configure below sets it up again
    this.config = null;
    this.frameInfo.clear();
  }

  #isBehind() {
    const now = performance.now();
    const queued = this.decoder.decodeQueueSize;
    const history = this.queueHistory;
    history.push({ time: now, queued });
    // Keep one sample from at least BEHIND_MS ago, and nothing older.
    while (history.length > 1 && history[1].time <= now - BEHIND_MS) history.shift();
    if (queued <= BEHIND_QUEUE) return false;
    const oldest = this.frameInfo.values().next().value;
    const then = history[0];
    return oldest !== undefined && now - oldest.submitTime > BEHIND_MS &&
      then.time <= now - BEHIND_MS && queued >= then.queued;
  }

  #takeSps(sps) {
    let info;
    try {
      info = videoInfoFromSps(this.videoCodec, sps);
    } catch (e) {
      this.stats.error(`cannot read the SPS: ${e.message}`);
      return;
    }
    const { codecs: codec, codedWidth, codedHeight } = info;
    const current = this.nextConfig;
    if (current && current.codec === codec && current.codedWidth === codedWidth &&
        current.codedHeight === codedHeight) return;
    // No `description`: the decoder then expects Annex B with in-band
    // parameter sets (SPS/PPS; VPS too for H.265).
    this.nextConfig = { codec, optimizeForLatency: true, codedWidth, codedHeight };
  }

  #configure(config) {
    if (!this.decoder || this.decoder.state === 'closed') {
      const decoder = new VideoDecoder({
        output: (frame) => this.#present(frame),
        error: (e) => {
          if (decoder === this.decoder) this.#decoderError(e);
        },
      });
      this.decoder = decoder;
    }
    try {
      this.decoder.configure(config);
      this.config = config;
    } catch (e) {
      this.#decoderError(e);
    }
  }

  #decoderError(e) {
    this.stats.error(`decoder: ${e.message}`);
    const codec = this.config?.codec ?? this.nextConfig?.codec;
    this.#closeDecoder();
    this.waitingForKey = true;
    if (e.name === 'NotSupportedError') {
      this.onFatal(`this browser's WebCodecs cannot decode ${codec}`);
    }
  }

  #closeDecoder() {
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = null;
    this.config = null;
  }

  #remember(timestamp, chunk) {
    this.frameInfo.set(timestamp, { ts: chunk?.ts, recvTime: chunk?.recvTime, submitTime: performance.now() });
    // Frames the decoder never returns must not pile up here.
    if (this.frameInfo.size > 120) this.frameInfo.delete(this.frameInfo.keys().next().value);
  }

  /** A decoded frame: drawn now, or held until the audio heard reaches it. */
  #present(frame) {
    const info = this.frameInfo.get(frame.timestamp);
    this.frameInfo.delete(frame.timestamp);
    if (this.audio?.clocked && (this.held.length > 0 || this.#delayMs(frame) > 1)) {
      this.held.push({ frame, info });
      this.#showHeld(false);
      return;
    }
    if (this.held.length > 0) this.#showHeld(true); // the clock stopped (re-anchoring): older frames first
    if (this.#tooLate(frame)) {
      frame.close(); // a newer frame is on its way: this one would only be shown out of sync
      this.stats.framesDropped++;
      return;
    }
    this.#draw(frame, info);
  }

  // A frame later than its sound by more than the lip-sync bound within
  // STALL_DROP_MS of a stall (the page or the decoders stopped for a while:
  // the audio clock went on; at other times a late picture is drawn, and
  // the clock follows video that stays late) is dropped if a newer one
  // is already in the decoder or a picture was drawn less than
  // LATE_KEEP_MS ago, so that the picture catches up with the sound
  // instead of playing the stall's frames out of sync (the next frame from
  // the sender is in time again). The picture never stops for the clock:
  // after LATE_KEEP_MS without one, a late frame is drawn.
  #tooLate(frame) {
    if (!this.audio?.clocked || performance.now() - this.audio.clock.lastStallAt > STALL_DROP_MS) return false;
    const newer = this.frameInfo.size > 0 || this.decoder?.decodeQueueSize > 0;
    if (!newer && performance.now() - this.lastDrawAt >= LATE_KEEP_MS) return false;
    const heard = this.audio.clock.heardPts(this.audio.heardCtx());
    return heard !== null && (heard - frame.timestamp) / 1000 > LATE_DROP_MS;
  }

  #delayMs(frame) {
    return this.audio.clock.videoDue(frame.timestamp, this.audio.heardCtx())?.delayMs ?? 0;
  }

  /** Draws the held frames that are due (all of them with `all`, or without a clock), and waits for the next. */
  #showHeld(all) {
    clearTimeout(this.holdTimer);
    this.holdTimer = 0;
    while (this.held.length > 0) {
      const { frame, info } = this.held[0];
      const clocked = this.audio?.clocked;
      const delay = clocked ? this.#delayMs(frame) : 0;
      if (!all && clocked && delay > 1 && delay < MAX_HOLD_MS && this.held.length <= MAX_HELD) {
        this.holdTimer = setTimeout(() => this.#showHeld(false), delay);
        return;
      }
      this.held.shift();
      this.#draw(frame, info);
    }
  }

  #dropHeld() {
    clearTimeout(this.holdTimer);
    this.holdTimer = 0;
    for (const { frame } of this.held) frame.close();
    this.held = [];
  }

  #draw(frame, info) {
    const width = frame.displayWidth;
    const height = frame.displayHeight;
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.ctx.drawImage(frame, 0, 0, width, height);
    this.lastDrawAt = performance.now();
    if (this.audio?.clocked) {
      const offset = this.audio.clock.videoShown(frame.timestamp, this.audio.heardCtx(), performance.now());
      if (offset !== null) this.stats.avSyncShown(offset);
    }
    frame.close();
    this.stats.framesDecoded++;
    const latency = info?.ts ? (nowMicros() - info.ts) / 1000 : NaN;
    const receipt = info ? performance.now() - info.recvTime : NaN;
    this.stats.frameDrawn(latency, receipt, width, height);
  }
}
