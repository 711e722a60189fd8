// Fallback decode path: mpegts.js transmuxes the TS bytes (H.264 or H.265,
// AAC) to fragmented MP4 for Media Source Extensions and a <video> element
// plays them. It is used where WebCodecs cannot decode the stream's video,
// and when the stream has AAC audio to be heard. mpegts.js is not bundled: it is loaded on first use
// from vendor/mpegts.js next to index.html (see web/README.md), and the bytes
// reach it through a custom loader that we feed from the SSE events. How
// close to live it plays is mse-latency.js's job; this file applies it to
// the <video>, and measures each shown frame's latency from its PTS.

import { nowMicros } from './sse-source.js';
import { MseFrameCounts } from './stats.js';
import { LatencyController, SETTLE_MS, TICK_MS } from './mse-latency.js';

const MPEGTS_URL = new URL('../vendor/mpegts.js', import.meta.url).href;

let mpegtsPromise = null;

/** Loads mpegts.js (a UMD script that defines window.mpegts) once. */
export function loadMpegts() {
  if (window.mpegts) return Promise.resolve(window.mpegts);
  mpegtsPromise ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = MPEGTS_URL;
    script.async = true;
    script.onload = () => (window.mpegts ? resolve(window.mpegts)
      : reject(new Error(`${MPEGTS_URL} did not define mpegts`)));
    script.onerror = () => {
      mpegtsPromise = null; // let a later attempt try again
      script.remove();
      reject(new Error(`could not load ${MPEGTS_URL}`));
    };
    document.head.append(script);
  });
  return mpegtsPromise;
}

/** A mpegts.js loader class whose data comes from `feeder` instead of the network. */
function sseLoaderClass(mpegts, feeder) {
  return class SseLoader extends mpegts.BaseLoader {
    constructor() {
      super('sse-loader');
      this._needStash = false;
      this.received = 0;
    }

    open() {
      this._status = mpegts.LoaderStatus.kBuffering;
      feeder.attach(this);
    }

    abort() {
      this._status = mpegts.LoaderStatus.kComplete;
      feeder.detach(this);
    }

    destroy() {
      feeder.detach(this);
      super.destroy();
    }

    push(bytes) {
      if (!this._onDataArrival) return;
      const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      const buffer = whole ? bytes.buffer : bytes.slice().buffer;
      const start = this.received;
      this.received += bytes.byteLength;
      this._onDataArrival(buffer, start, this.received);
    }
  };
}

// mpegts.js's rate chasing (liveSync: 1.2x on `timeupdate`, 4 times a
// second, down to a fixed target) is off: LatencyController
// (mse-latency.js) chases with a target that adapts to the stalls it sees,
// every TICK_MS. mpegts.js's seek past a maximum stays, for one thing: it
// looks at each append, so a join's burst (up to a GOP) is skipped before
// the <video> starts playing, which WebKitGTK takes without undoing it or
// flushing a playing pipeline. No stash buffer and no lazy loading: each
// event goes to the demuxer as it comes.
const PLAYER_CONFIG = {
  enableWorker: false, // the loader lives on this thread
  enableStashBuffer: false,
  isLive: true,
  lazyLoad: false,
  deferLoadAfterSourceOpen: true,
  liveBufferLatencyChasing: true,
  liveBufferLatencyMaxLatency: 0.6, // above LatencyController's largest target
  liveBufferLatencyMinRemain: 0.2,
  liveSync: false,
  autoCleanupSourceBuffer: true,
  autoCleanupMaxBackwardDuration: 20,
  autoCleanupMinBackwardDuration: 10,
};

// A `waiting` this soon after a jump is the seek, not a stall; nor is one
// while a new player starts (the decoder warms up, the join's burst).
const SEEK_SETTLE_MS = 500;
const STARTUP_MS = 2000;

// The decoded-frame count falling this soon after a rate change: the
// engine flushed its pipeline for it.
const RATE_FLUSH_MS = 600;

// Chunks remembered to find a shown frame's server time by its PTS.
const PTS_MEMORY = 300;

// How often the playback quality counts are read besides the frame
// callbacks (and, where there are none, how often frames are counted).
const QUALITY_POLL_MS = 250;

export class MsePath {
  static id = 'mse';

  /**
   * @param {{video:HTMLVideoElement, stats:import('./stats.js').PlayerStats,
   *          onFatal:(reason:string)=>void, waitForKeyframe:()=>void,
   *          hasAudio:boolean, url:string}} options
   */
  constructor({ video, stats, onFatal, waitForKeyframe, hasAudio, url }) {
    this.video = video;
    this.stats = stats;
    this.onFatal = onFatal;
    this.waitForKeyframe = waitForKeyframe;
    this.hasAudio = hasAudio;
    this.url = url;
    this.mpegts = null;
    this.player = null;
    this.loader = null;
    this.pending = []; // chunks that arrived before mpegts.js opened its loader
    this.lastChunk = null;
    this.counts = new MseFrameCounts(); // across players and the engine's restarts
    this.frameCallback = 0;
    this.qualityTimer = 0;
    this.chaser = new LatencyController({ hasAudio });
    this.chaseTimer = 0;
    this.serverTimes = new Map(); // PTS in ms (as mpegts.js rounds it) -> the chunk's server ts
    this.lastVideoPts = null; // ns, of the newest chunk that started a frame
    this.frameInterval = 0; // ms between the last two frames
    this.jumpedAt = -Infinity;
    this.playerStartedAt = -Infinity;
    this.started = false; // the new player's <video> has started playing
    this.startedAt = -Infinity; // when it did
    this.onPlaying = () => {
      if (!this.started) {
        this.chaser.started(performance.now());
        this.startedAt = performance.now();
      }
      this.started = true;
    };
    this.jumpPending = false; // our jump's seek has not completed yet
    this.rateChange = null; // {at, frames}: the last rate change, to see whether it flushed
    this.lastPresented = null; // {value, at}: the previous callback's presentedFrames
    this.presentedLeaps = 0; // what presentedFrames leapt by (#presentedFrames)
    this.onSeeked = () => {
      if (!this.jumpPending) return;
      this.jumpPending = false;
      this.chaser.seeked(this.#ahead());
    };
    // A stall, unless the element waits for a seek (ours, or a new player's start).
    this.onWaiting = () => {
      const now = performance.now();
      if (this.video.paused || this.video.seeking || now - this.jumpedAt < SEEK_SETTLE_MS) return;
      if (now - this.playerStartedAt < STARTUP_MS) return;
      this.chaser.stalled(now, this.#ahead());
    };
    this.onVideoError = () => this.stats.error(`video element: ${this.video.error?.message ?? 'error'}`);
  }

  async start() {
    // The player starts muted on every path (Unmute is the user's gesture),
    // also where the engine would allow autoplay with sound.
    this.video.muted = true;
    try {
      this.mpegts = await loadMpegts();
    } catch (e) {
      this.onFatal(`the fallback player is not available (${e.message})`);
      return;
    }
    if (!this.mpegts.getFeatureList().mseLivePlayback) {
      this.onFatal('this browser cannot play live streams through Media Source Extensions');
      return;
    }
    // Keep the console for warnings and errors.
    Object.assign(this.mpegts.LoggingControl, { enableVerbose: false, enableDebug: false, enableInfo: false });
    this.video.addEventListener('error', this.onVideoError);
    this.video.addEventListener('waiting', this.onWaiting);
    this.video.addEventListener('playing', this.onPlaying);
    this.video.addEventListener('seeked', this.onSeeked);
    this.#createPlayer();
    this.#watchFrames();
    this.chaseTimer = setInterval(() => this.#chase(), TICK_MS);
  }

  /** @param {import('./sse-source.js').MediaChunk} chunk */
  feed(chunk) {
    this.lastChunk = chunk;
    if (chunk.pts !== null) {
      this.serverTimes.set(Math.floor(chunk.pts / 1e6), chunk.ts);
      if (this.serverTimes.size > PTS_MEMORY) this.serverTimes.delete(this.serverTimes.keys().next().value);
      if (this.lastVideoPts !== null && chunk.pts > this.lastVideoPts) this.frameInterval = (chunk.pts - this.lastVideoPts) / 1e6;
      this.lastVideoPts = chunk.pts;
    }
    if (this.loader) {
      this.loader.push(chunk.bytes); // demuxed and remuxed before push() returns (no worker)
      this.#flushHeldFrame();
      this.#flushHeldAudio();
    } else {
      this.pending.push(chunk.bytes);
    }
  }

  /** Starts over with a fresh transmuxer (the caller waits for a keyframe). */
  resync(newStream) {
    this.pending = [];
    if (newStream) this.serverTimes.clear();
    this.lastVideoPts = null;
    // After a gap mpegts.js copes with the jump in continuity counters; a new
    // stream (or a resume) restarts the timeline, so it gets a new player.
    if (newStream && this.mpegts) this.#createPlayer();
  }

  /**
   * mpegts.js's remuxer keeps the newest video frame back until the next
   * one comes, to take its duration from the gap between the two: one frame
   * (33 ms at 30 fps) later on screen than needed. Each of our events ends
   * at a frame boundary, so the frame is complete: it is remuxed at once,
   * with the last frame interval as its duration (rounded down: a gap of
   * under a millisecond before the next frame, which every engine's
   * buffered ranges join, never an overlap), and the remuxer is told to
   * place the next frame at its own timestamp, not after this one's guessed
   * end. Reaches into mpegts.js 1.8.2 (pinned); does nothing where the
   * internals are not there.
   */
  #flushHeldFrame() {
    const controller = this.player?._player_engine?._transmuxer?._controller;
    const remuxer = controller?._remuxer;
    const track = controller?._demuxer?.video_track_;
    if (!remuxer?._videoMeta || !remuxer._dtsBaseInited || track?.samples?.length !== 1) return;
    if (typeof remuxer._remuxVideo !== 'function') return;
    if (this.frameInterval > 0 && this.frameInterval < 1000) remuxer._videoMeta.refSampleDuration = Math.floor(this.frameInterval);
    remuxer._remuxVideo(track, true);
    remuxer._videoNextDts = undefined;
  }

  /**
   * The same for AAC: the remuxer keeps the newest audio frame back (and a
   * batch of one frame whole), though an AAC frame's duration is fixed
   * (1024 samples) and the remuxer places each one after the one before by
   * it anyway. Remuxed at once, the audio's buffered range ends where the
   * video's does instead of a frame (21-23 ms) before it, and the engines'
   * audio output, which holds the clock (docs/design.md), has it that much
   * sooner.
   */
  #flushHeldAudio() {
    const controller = this.player?._player_engine?._transmuxer?._controller;
    const remuxer = controller?._remuxer;
    const track = controller?._demuxer?.audio_track_;
    if (!this.hasAudio || !remuxer?._audioMeta || !remuxer._dtsBaseInited || !track) return;
    if (typeof remuxer._remuxAudio !== 'function') return;
    if (track.samples?.length === 1) {
      remuxer._remuxAudio(track, true); // with the held frame before it, if any
      return;
    }
    const held = remuxer._audioStashedLastSample;
    if (!held || track.samples?.length) return;
    remuxer._audioStashedLastSample = null;
    remuxer._remuxAudio({ type: 'audio', id: track.id, sequenceNumber: 0, samples: [held], length: held.length }, true);
  }

  endOfStream() {}

  attach(loader) {
    this.loader = loader;
    for (const bytes of this.pending) loader.push(bytes);
    this.pending = [];
  }

  detach(loader) {
    if (this.loader === loader) this.loader = null;
  }

  setMuted(muted) {
    this.video.muted = muted;
  }

  destroy() {
    this.#destroyPlayer();
    this.video.removeEventListener('error', this.onVideoError);
    this.video.removeEventListener('waiting', this.onWaiting);
    this.video.removeEventListener('playing', this.onPlaying);
    this.video.removeEventListener('seeked', this.onSeeked);
    clearInterval(this.chaseTimer);
    this.chaseTimer = 0;
    this.video.playbackRate = 1;
    if (this.frameCallback) this.video.cancelVideoFrameCallback?.(this.frameCallback);
    this.frameCallback = 0;
    clearInterval(this.qualityTimer);
    this.qualityTimer = 0;
    this.video.removeAttribute('src');
    this.video.load();
  }

  #createPlayer() {
    this.#destroyPlayer();
    const { mpegts } = this;
    this.player = mpegts.createPlayer(
      { type: 'mpegts', isLive: true, url: this.url, hasAudio: this.hasAudio, hasVideo: true },
      {
        ...PLAYER_CONFIG,
        customLoader: sseLoaderClass(mpegts, this),
      },
    );
    this.player.on(mpegts.Events.ERROR, (type, detail, info) => {
      this.stats.error(`mpegts.js: ${type} ${detail} ${info?.msg ?? ''}`.trim());
      // A media error leaves the MediaSource unusable: start over at the next keyframe.
      if (type === mpegts.ErrorTypes.MEDIA_ERROR) {
        this.#createPlayer();
        this.waitForKeyframe();
      }
    });
    this.playerStartedAt = performance.now();
    this.started = false;
    this.player.attachMediaElement(this.video);
    this.player.load();
    this.#play();
  }

  #destroyPlayer() {
    if (!this.player) return;
    // The next MediaSource counts from 0 again.
    this.#readQuality();
    this.counts.playerReplaced();
    this.player.pause();
    this.player.unload();
    this.player.detachMediaElement();
    this.player.destroy();
    this.player = null;
    this.loader = null;
  }

  #play() {
    const attempt = this.video.play();
    attempt?.catch?.((e) => {
      if (e.name === 'NotAllowedError' && !this.video.muted) {
        // Autoplay with sound was refused: play muted, the unmute button stays.
        this.video.muted = true;
        this.video.play().catch(() => {});
      }
    });
  }

  /**
   * mpegts.js's seek past a maximum is for the join's burst only: once the
   * <video> has played for SETTLE_MS, LatencyController jumps (with its
   * cooldown). Left on, it
   * seeks whenever 0.6 s pile up, and in Firefox with sound each seek
   * restarts the audio output, which holds the clock for about half a
   * second: a seek every second. Its chaser reads this config object at
   * each append (mpegts.js 1.8.2 internals).
   */
  #endStartupSeeks() {
    const config = this.player?._player_engine?._config;
    if (config) config.liveBufferLatencyChasing = false;
  }

  /** Seconds buffered past the playback position (NaN: nothing buffered). */
  #ahead() {
    const { buffered, currentTime } = this.video;
    return buffered.length > 0 ? buffered.end(buffered.length - 1) - currentTime : NaN;
  }

  // One step of latency chasing (mse-latency.js): the rate, a jump to the
  // live edge; stats.mse shows the target, rate, jumps and stalls.
  #chase() {
    const { video } = this;
    // Not before it plays: a seek while WebKitGTK prerolls can leave it stuck.
    if (!this.player || !this.started || video.paused || video.seeking) {
      this.chaser.interrupted();
      return;
    }
    const now = performance.now();
    if (now - this.startedAt >= SETTLE_MS) this.#endStartupSeeks();
    const frames = video.getVideoPlaybackQuality?.().totalVideoFrames;
    if (this.rateChange && now - this.rateChange.at <= RATE_FLUSH_MS) {
      if (frames < this.rateChange.frames) { // the count started again: a flush
        this.chaser.rateRebuffered();
        this.rateChange = null;
      }
    } else {
      this.rateChange = null;
    }
    const { rate, jump } = this.chaser.update(now, this.#ahead(), video.currentTime);
    if (video.playbackRate !== rate) {
      video.playbackRate = rate;
      if (jump === 0 && Number.isFinite(frames)) this.rateChange = { at: now, frames };
    }
    if (jump > 0) {
      this.jumpedAt = performance.now();
      this.jumpPending = true;
      this.rateChange = null; // a seek restarts the counts too
      video.currentTime += jump;
    }
    this.stats.mse = this.chaser.summary();
  }

  /**
   * Where mpegts.js's timeline starts, in ms of the stream's PTS: media time
   * t shows the frame whose PTS is t * 1000 + this. Read from the remuxer
   * (mpegts.js 1.8.2 internals, pinned); null where that is not reachable.
   */
  #timelineBase() {
    const base = this.player?._player_engine?._transmuxer?._controller?._remuxer?._dtsBase;
    return Number.isFinite(base) ? base : null;
  }

  /** Server ts (µs) of the chunk that started the frame at `mediaTime`, or undefined. */
  #serverTimeAt(mediaTime) {
    const base = this.#timelineBase();
    if (base === null) return undefined;
    const pts = Math.round(mediaTime * 1000) + base;
    for (let d = 0; d <= 2; d++) {
      const ts = this.serverTimes.get(pts - d) ?? this.serverTimes.get(pts + d);
      if (ts !== undefined) return ts;
    }
    return undefined;
  }

  /**
   * presentedFrames without its leaps: Firefox ESR 153 adds its whole count
   * again at a seek (160 -> 319 over one frame). A step larger than frames
   * could be presented since the previous callback (at 120/s, + 2) counts
   * as one frame, and the rest is taken off from then on.
   */
  #presentedFrames(now, presented) {
    if (!Number.isFinite(presented)) return presented;
    const { lastPresented } = this;
    if (lastPresented && presented < lastPresented.value) this.presentedLeaps = 0; // it started again
    if (lastPresented && presented > lastPresented.value) {
      const step = presented - lastPresented.value;
      if (step > 2 + (now - lastPresented.at) * 0.12) this.presentedLeaps += step - 1;
    }
    this.lastPresented = { value: presented, at: now };
    return presented - this.presentedLeaps;
  }

  #readQuality() {
    const quality = this.video.getVideoPlaybackQuality?.();
    this.counts.read(quality);
    this.#publishCounts();
  }

  #publishCounts() {
    this.stats.framesDecoded = this.counts.decoded;
    this.stats.framesDropped = this.counts.dropped;
  }

  // Counts presented frames (MseFrameCounts: not one per callback, Firefox's
  // come 25 times a second for 30 frames) and estimates their latency at each
  // frame callback: the newest data is at the end of the buffered range, so
  // a frame is behind the newest event by (buffered end - its media time).
  // The playback quality counts are read every QUALITY_POLL_MS too; without
  // frame callbacks that poll counts the frames, with no latency.
  #watchFrames() {
    const { video } = this;
    const hasCallbacks = typeof video.requestVideoFrameCallback === 'function';
    this.qualityTimer = setInterval(() => {
      if (hasCallbacks) {
        this.#readQuality();
        return;
      }
      const frames = this.counts.poll(video.getVideoPlaybackQuality?.());
      this.#publishCounts();
      if (frames > 0) this.stats.frameDrawn(NaN, NaN, video.videoWidth, video.videoHeight, frames);
    }, QUALITY_POLL_MS);
    if (!hasCallbacks) return;
    const onFrame = (now, meta) => {
      this.frameCallback = video.requestVideoFrameCallback(onFrame);
      const { stats, lastChunk } = this;
      const frames = this.counts.callback(this.#presentedFrames(now, meta.presentedFrames),
        video.getVideoPlaybackQuality?.());
      this.#publishCounts();
      const buffered = video.buffered;
      let behindMs = NaN;
      if (buffered.length > 0) behindMs = (buffered.end(buffered.length - 1) - meta.mediaTime) * 1000;
      // The frame's own server time when its PTS is known; else the estimate.
      const ts = this.#serverTimeAt(meta.mediaTime);
      const latency = ts !== undefined ? (nowMicros() - ts) / 1000
        : lastChunk ? (nowMicros() - lastChunk.ts) / 1000 + behindMs : NaN;
      const receipt = lastChunk ? performance.now() - lastChunk.recvTime + behindMs : NaN;
      stats.frameDrawn(latency, receipt, meta.width, meta.height, frames);
    };
    this.frameCallback = video.requestVideoFrameCallback(onFrame);
  }
}
