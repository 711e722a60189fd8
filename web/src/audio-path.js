// The WebCodecs path's audio: ADTS AAC frames (adts.js) -> AudioDecoder ->
// AudioBuffers scheduled back to back on AudioBufferSourceNodes, clocked by
// av-sync.js (AvClock), which webcodecs-path.js asks when a video frame is due.
// Audio is decoded from the start (counted, and its arrival times learnt);
// it is heard only after unmute(), which must run in a user gesture: it
// creates or resumes the AudioContext. Main thread only.

import { AdtsSplitter, audioDecoderConfig, sameConfig } from './adts.js';
import { AvClock, heardContextTime } from './av-sync.js';

const RESUME_TIMEOUT_MS = 3000;

export const AudioState = Object.freeze({ MUTED: 'muted', PLAYING: 'playing', UNAVAILABLE: 'unavailable' });

export class AudioPath {
  /**
   * @param {{stats:import('./stats.js').PlayerStats, onChange?:()=>void, clock?:AvClock}} options
   *   onChange: the state or message changed (the player redraws its controls)
   */
  constructor({ stats, onChange = () => {}, clock = new AvClock() }) {
    this.stats = stats;
    this.onChange = onChange;
    this.clock = clock;
    this.splitter = new AdtsSplitter();
    this.decoder = null;
    this.header = null; // the ADTS header the decoder was configured for
    this.adts = false; // fed whole ADTS frames without a description (after raw frames failed)
    this.ctx = null;
    this.sources = new Set(); // scheduled AudioBufferSourceNodes
    this.muted = true;
    this.ctxMoving = false; // the context's clock has moved since unmute()
    this.ctxFirstTime = null; // its currentTime at the first frame after unmute()
    this.failed = null; // why no audio can be played
    this.onVisibility = () => {
      if (document.visibilityState === 'visible') this.#reanchor();
    };
    if (typeof document !== 'undefined') document.addEventListener('visibilitychange', this.onVisibility);
    stats.audioPath = 'webcodecs';
    stats.audioFramesDecoded = 0;
    this.#setState(AudioState.MUTED, 'Muted: click Unmute for sound.');
  }

  /** The audio clock runs: video frames are shown against it. */
  get clocked() {
    return !this.muted && this.ctx?.state === 'running' && this.ctxMoving && this.clock.anchored;
  }

  /** The AudioContext time heard at the speaker now (see av-sync.js). */
  heardCtx() {
    const ctx = this.ctx;
    const now = performance.now();
    return heardContextTime({
      currentTime: this.clock.contextNow(ctx.currentTime, now), // smooth where currentTime moves in steps
      outputLatency: ctx.outputLatency,
      baseLatency: ctx.baseLatency,
      outputTimestamp: ctx.getOutputTimestamp?.(),
    }, now);
  }

  /** A PES of the AAC stream. */
  feedPes(pes) {
    if (this.failed) return;
    for (const frame of this.splitter.push(pes.data, pes.pts)) {
      if (!sameConfig(this.header, frame.header)) this.#configure(frame.header);
      if (!this.decoder) return;
      try {
        this.decoder.decode(new EncodedAudioChunk({
          type: 'key',
          timestamp: frame.timestamp,
          duration: Math.round(frame.duration),
          data: this.adts ? frame.adts : frame.data,
        }));
      } catch (e) {
        this.#decoderError(e);
        return;
      }
    }
  }

  /** Starts the sound: call from a user gesture (creates / resumes the AudioContext there). */
  unmute() {
    if (this.failed) return;
    this.muted = false;
    try {
      this.ctx ??= new AudioContext({ latencyHint: 'interactive' });
    } catch (e) {
      this.#fail(`this browser cannot open audio output: ${e.message}`);
      return;
    }
    const ctx = this.ctx;
    this.#reanchor();
    this.ctxMoving = false;
    this.ctxFirstTime = null;
    let settled = false;
    const timer = setTimeout(() => {
      if (!settled && !this.muted && ctx.state !== 'running') {
        this.#setState(AudioState.MUTED, `The browser did not start audio output (AudioContext ${ctx.state}); click Unmute again.`);
        this.muted = true;
      }
    }, RESUME_TIMEOUT_MS);
    ctx.resume().then(() => {
      settled = true;
      clearTimeout(timer);
      if (this.muted || this.ctx !== ctx) return;
      if (ctx.state === 'running') this.#setState(AudioState.PLAYING, '');
    }, (e) => {
      settled = true;
      clearTimeout(timer);
      this.muted = true;
      this.#setState(AudioState.MUTED, `The browser refused to start audio output: ${e.message}`);
    });
  }

  mute() {
    if (this.failed) return;
    this.muted = true;
    this.#reanchor();
    this.ctx?.suspend().catch(() => {});
    this.#setState(AudioState.MUTED, 'Muted: click Unmute for sound.');
  }

  /** Half-received data dropped (gap, reset, new stream): the clock starts again. */
  resync() {
    this.splitter.reset();
    this.clock.rejoin();
    this.#stopSources();
  }

  destroy() {
    if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', this.onVisibility);
    this.#stopSources();
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = null;
    this.ctx?.close().catch(() => {});
    this.ctx = null;
  }

  #configure(header) {
    const config = audioDecoderConfig(header);
    if (this.adts) delete config.description; // no description: the decoder takes ADTS
    if (!this.decoder || this.decoder.state === 'closed') {
      const decoder = new AudioDecoder({
        output: (data) => this.#output(data),
        error: (e) => {
          if (decoder === this.decoder) this.#decoderError(e);
        },
      });
      this.decoder = decoder;
    }
    try {
      this.decoder.configure(config);
      this.header = header;
    } catch (e) {
      this.#decoderError(e);
    }
  }

  #decoderError(e) {
    this.stats.error(`audio decoder: ${e.message}`);
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = null;
    this.header = null;
    if (!this.adts) {
      this.adts = true; // once more with whole ADTS frames and no description
      return;
    }
    this.#fail(`the AudioDecoder rejected the AAC stream (${e.message})`);
  }

  #fail(reason) {
    this.failed = reason;
    this.muted = true;
    this.#reanchor();
    this.#setState(AudioState.UNAVAILABLE, `No sound: ${reason}.`);
  }

  #output(data) {
    const stats = this.stats;
    stats.audioFramesDecoded++;
    const now = performance.now();
    const ctx = this.ctx;
    if (this.muted || !ctx || ctx.state !== 'running' || !this.#moving(ctx)) {
      this.clock.noteArrival(data.timestamp, now);
      data.close();
      return;
    }
    let buffer;
    try {
      buffer = toAudioBuffer(ctx, data);
    } catch (e) {
      data.close();
      this.#fail(`cannot read the decoded audio (${data.format}): ${e.message}`);
      return;
    }
    const { start, underrun, reanchored, skipMs } = this.clock.schedule(data.timestamp, ctx.currentTime, now);
    data.close();
    if (underrun) stats.audioUnderruns++;
    if (reanchored) this.#stopSources(); // a new timeline: nothing of the old one may overlap it
    const skip = skipMs / 1000;
    if (skip >= buffer.duration) return; // after a stall: its time is past
    const source = ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(ctx.destination);
    source.onended = () => this.sources.delete(source);
    this.sources.add(source);
    source.start(start + skip, skip); // skip > 0: only what is not past yet, on the same timeline
  }

  // A running context whose clock has not moved yet plays nothing yet
  // (Chromium's PulseAudio output stands still for 0.5-1 s after resume(),
  // reporting outputLatency 0): the clock is anchored once it moves.
  #moving(ctx) {
    if (this.ctxMoving) return true;
    if (this.ctxFirstTime === null) this.ctxFirstTime = ctx.currentTime;
    else if (ctx.currentTime > this.ctxFirstTime) this.ctxMoving = true;
    return this.ctxMoving;
  }

  #reanchor() {
    this.clock.reanchor();
    this.#stopSources();
  }

  #stopSources() {
    for (const s of this.sources) {
      try {
        s.stop();
      } catch {
        // never started
      }
    }
    this.sources.clear();
  }

  #setState(state, message) {
    this.stats.audioState = state;
    this.stats.audioMessage = message;
    this.onChange();
  }
}

/**
 * The samples of an AudioData in an AudioBuffer of the context. WebKitGTK
 * 2.50's page crashes on a copyTo() into the AudioData's own layout
 * (f32-planar from its decoder, which for one channel is also what f32
 * is), not on one that converts. So the samples are read interleaved, in a
 * layout other than the source's: f32 where the source has planes (of
 * several channels), else s32, scaled to ±1. Engines that cannot convert
 * get plane by plane as f32-planar.
 */
export function toAudioBuffer(ctx, data) {
  const frames = data.numberOfFrames;
  const channels = data.numberOfChannels;
  const buffer = ctx.createBuffer(channels, frames, data.sampleRate);
  const plane = new Float32Array(frames);
  const format = copyFormat(data.format, channels);
  let all = null;
  try {
    all = format === 'f32' ? new Float32Array(frames * channels) : new Int32Array(frames * channels);
    data.copyTo(all, { planeIndex: 0, format });
  } catch {
    all = null;
  }
  const scale = format === 'f32' ? 1 : 1 / 2147483648;
  for (let c = 0; c < channels; c++) {
    if (all) {
      for (let i = 0; i < frames; i++) plane[i] = all[i * channels + c] * scale;
    } else {
      data.copyTo(plane, { planeIndex: c, format: 'f32-planar' });
    }
    buffer.copyToChannel(plane, c);
  }
  return buffer;
}

/** The interleaved format toAudioBuffer() reads an AudioData of this format in: never its own layout. */
export function copyFormat(format, channels) {
  const sameAsF32 = format === 'f32' || (format === 'f32-planar' && channels === 1);
  return sameAsF32 ? 's32' : 'f32';
}
