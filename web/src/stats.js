// Player statistics: counters plus short rolling windows for latency, frame
// rate, bitrate and the A/V offset. `snapshot()` is what window.ssePlayer.stats returns and
// what the overlay shows. `MseFrameCounts` turns the browser's frame counters
// on the MSE path (getVideoPlaybackQuality(), requestVideoFrameCallback's
// presentedFrames) into totals that only grow.

const LATENCY_WINDOW_MS = 5000;
const RATE_WINDOW_MS = 2000;

/** Samples of [time, value] kept for a fixed time span. */
export class RollingWindow {
  constructor(spanMs) {
    this.spanMs = spanMs;
    this.times = [];
    this.values = [];
  }

  add(time, value) {
    this.times.push(time);
    this.values.push(value);
    this.prune(time);
  }

  prune(now) {
    let drop = 0;
    while (drop < this.times.length && this.times[drop] < now - this.spanMs) drop++;
    if (drop > 0) {
      this.times.splice(0, drop);
      this.values.splice(0, drop);
    }
  }

  clear() {
    this.times.length = 0;
    this.values.length = 0;
  }
}

/** Nearest-rank percentile of unsorted values; null when there are none. */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/**
 * The running total of a counter the browser may start again from 0
 * (WebKitGTK's getVideoPlaybackQuality() counts do at a flush): a value
 * below the previous one is a restart, and what it counted since then is
 * added. Values that are not finite numbers are ignored.
 */
export class RestartingCounter {
  /** @param {number|null} last the value counted from; null: the first value read is the base */
  constructor(last = 0) {
    this.last = last;
    this.total = 0;
    this.restarts = 0;
  }

  /** The counter starts again from 0 (known, not seen in its values). */
  restarted() {
    if (this.last !== null) this.last = 0;
  }

  /** Takes the counter's current value; returns how much it counted since the previous one. */
  update(value) {
    if (!Number.isFinite(value)) return 0;
    let delta = 0;
    if (this.last !== null) {
      const restarted = value < this.last;
      if (restarted) this.restarts++;
      delta = restarted ? value : value - this.last;
    }
    this.last = value;
    this.total += delta;
    return delta;
  }
}

/**
 * Frames decoded, dropped and presented on the MSE path, whatever the engine
 * does to its counters:
 * - decoded / dropped: getVideoPlaybackQuality()'s totalVideoFrames /
 *   droppedVideoFrames, summed across restarts (`read()`, at every callback
 *   and poll);
 * - presented: from requestVideoFrameCallback's `presentedFrames` where the
 *   callbacks carry it (it counts every frame presented, also those between
 *   two callbacks: Firefox's come about 25 times a second for 30 frames);
 *   else decoded minus dropped, at each callback (`callback()`), or at each
 *   poll where there are no callbacks (`poll()`).
 * `callback()` and `poll()` return the frames presented since the previous
 * call, for the frame rate.
 */
export class MseFrameCounts {
  constructor() {
    this.decodedCounter = new RestartingCounter();
    this.droppedCounter = new RestartingCounter();
    this.presentedCounter = new RestartingCounter(null); // callbacks' presentedFrames
    this.presented = 0;
    this.shownMark = 0; // decoded minus dropped when the frames were last counted
  }

  get decoded() {
    return this.decodedCounter.total;
  }

  get dropped() {
    return this.droppedCounter.total;
  }

  /** Takes a getVideoPlaybackQuality() reading ({totalVideoFrames, droppedVideoFrames}). */
  read(quality) {
    if (!quality) return;
    this.decodedCounter.update(quality.totalVideoFrames);
    this.droppedCounter.update(quality.droppedVideoFrames);
  }

  /**
   * The player was replaced by one on a new MediaSource: its quality counts
   * start from 0; presentedFrames is taken as it comes (a new base).
   */
  playerReplaced() {
    this.decodedCounter.restarted();
    this.droppedCounter.restarted();
    this.shownMark = this.decoded - this.dropped;
    this.presentedCounter = new RestartingCounter(null);
  }

  /**
   * A video frame callback: its metadata's `presentedFrames` (undefined where
   * the engine has none) and the playback quality now. The first callback
   * with presentedFrames is one frame (the count may include frames shown
   * before this path started).
   */
  callback(presentedFrames, quality) {
    this.read(quality);
    let frames;
    if (Number.isFinite(presentedFrames)) {
      const first = this.presentedCounter.last === null;
      frames = this.presentedCounter.update(presentedFrames);
      if (first) frames = 1;
    } else {
      frames = this.#shownSinceMark();
    }
    this.presented += frames;
    return frames;
  }

  /** A playback quality reading where there are no frame callbacks. */
  poll(quality) {
    this.read(quality);
    const frames = this.#shownSinceMark();
    this.presented += frames;
    return frames;
  }

  #shownSinceMark() {
    const shown = Math.max(this.shownMark, this.decoded - this.dropped);
    const frames = shown - this.shownMark;
    this.shownMark = shown;
    return frames;
  }
}

const round1 = (v) => (v === null ? null : Math.round(v * 10) / 10);

function summary(window, now) {
  window.prune(now);
  return { p50: round1(percentile(window.values, 50)), p95: round1(percentile(window.values, 95)) };
}

export class PlayerStats {
  constructor(now = () => performance.now()) {
    this.now = now;
    this.path = null;
    this.codec = null;
    this.width = 0;
    this.height = 0;
    this.framesDecoded = 0; // decoder outputs (WebCodecs) / totalVideoFrames across restarts (MSE)
    this.framesDrawn = 0;
    this.framesDropped = 0; // skipped before decoding, or dropped by the media element
    this.mediaEvents = 0;
    this.eventsAfterFirstKey = 0;
    this.eventsSkipped = 0; // media events ignored while waiting for a keyframe
    this.gaps = 0;
    this.resets = 0;
    this.errors = 0;
    this.lastError = null;
    this.lastErrorTime = null;
    this.videoInfo = null; // what the SPS or the stream event says (codec-support.js VideoInfo)
    this.decoderSupport = null; // what the browser answered for the stream's codecs
    this.decodeQueueMax = 0;
    this.firstFrameMs = null; // time from page start to the first frame drawn
    this.lastDrawTime = null; // when the last frame was drawn
    this.source = null; // counters owned by SseSource
    this.latency = new RollingWindow(LATENCY_WINDOW_MS);
    this.receiptLatency = new RollingWindow(LATENCY_WINDOW_MS);
    this.drawTimes = new RollingWindow(RATE_WINDOW_MS);
    this.bytesIn = new RollingWindow(RATE_WINDOW_MS);
    // Audio (docs in web/README.md): which path plays it, and how.
    this.audioPath = null; // 'webcodecs', 'mse', or null (no audio, or none can be played)
    this.audioState = null; // 'muted', 'playing', 'unavailable', or null without audio
    this.audioMessage = null; // why there is no sound, or what to do for it
    this.audioFramesDecoded = null; // AudioDecoder outputs (WebCodecs); null on MSE
    this.audioUnderruns = 0; // times the scheduled audio ran dry and the clock re-anchored
    this.avSync = new RollingWindow(LATENCY_WINDOW_MS); // |video pts − audio pts heard| at each frame shown
  }

  /** A frame was shown while the audio clock ran: its offset (ms) to the sound heard then. */
  avSyncShown(offsetMs) {
    this.avSync.add(this.now(), Math.abs(offsetMs));
  }

  /** Audio fields for a path that starts (or none): see README. */
  setAudio({ path = null, state = null, message = null } = {}) {
    this.audioPath = path;
    this.audioState = state;
    this.audioMessage = message;
    this.audioFramesDecoded = path === 'webcodecs' ? 0 : null;
    this.avSync.clear();
  }

  chunkReceived(byteCount, time) {
    this.mediaEvents++;
    this.bytesIn.add(time, byteCount);
  }

  /**
   * @param {number} latencyMs server `ts` to frame drawn (NaN: not known)
   * @param {number} receiptMs arrival of the frame's last event to frame drawn
   * @param {number} frames frames put on screen since the previous call (the
   *   MSE path's callbacks can stand for several, or for none when another
   *   count has them)
   */
  frameDrawn(latencyMs, receiptMs, width, height, frames = 1) {
    const t = this.now();
    this.framesDrawn += frames;
    this.firstFrameMs ??= t;
    this.lastDrawTime = t;
    if (frames > 0) this.drawTimes.add(t, frames);
    if (Number.isFinite(latencyMs)) this.latency.add(t, latencyMs);
    if (Number.isFinite(receiptMs)) this.receiptLatency.add(t, receiptMs);
    this.width = width;
    this.height = height;
  }

  error(message) {
    this.errors++;
    this.lastError = String(message);
    this.lastErrorTime = this.now();
  }


  /** Media events per second over the last RATE_WINDOW_MS. */
  eventsPerSecond() {
    this.bytesIn.prune(this.now());
    return this.bytesIn.times.length / (RATE_WINDOW_MS / 1000);
  }

  snapshot() {
    const t = this.now();
    this.drawTimes.prune(t);
    this.bytesIn.prune(t);
    const span = RATE_WINDOW_MS / 1000;
    const bytes = this.bytesIn.values.reduce((a, b) => a + b, 0);
    const frames = this.drawTimes.values.reduce((a, b) => a + b, 0);
    return {
      path: this.path,
      codec: this.codec,
      videoInfo: this.videoInfo,
      decoderSupport: this.decoderSupport,
      width: this.width,
      height: this.height,
      fps: round1(frames / span),
      bitrateKbps: Math.round((bytes * 8) / span / 1000),
      latencyMs: summary(this.latency, t),
      receiptLatencyMs: summary(this.receiptLatency, t),
      framesDecoded: this.framesDecoded,
      framesDrawn: this.framesDrawn,
      framesDropped: this.framesDropped,
      mediaEvents: this.mediaEvents,
      eventsAfterFirstKey: this.eventsAfterFirstKey,
      eventsSkipped: this.eventsSkipped,
      gaps: this.gaps,
      resets: this.resets,
      reconnects: this.source?.reconnects ?? 0,
      tokensExpired: this.source?.expired ?? 0, // event: expired received
      tokenRefreshes: this.source?.tokenRefreshes ?? 0, // new tokens from the page's getToken
      failovers: this.source?.failovers ?? 0,
      lostEvents: this.source?.lostEvents ?? 0,
      duplicateEvents: this.source?.duplicateEvents ?? 0,
      errors: this.errors,
      lastError: this.lastError,
      decodeQueueMax: this.decodeQueueMax,
      firstFrameMs: this.firstFrameMs === null ? null : Math.round(this.firstFrameMs),
      audioPath: this.audioPath,
      audioState: this.audioState,
      audioMessage: this.audioMessage,
      audioFramesDecoded: this.audioFramesDecoded,
      audioUnderruns: this.audioUnderruns,
      avSyncMs: this.audioState === 'playing' && this.audioPath === 'webcodecs' && this.avSync.values.length > 0
        ? summary(this.avSync, t) : null,
    };
  }
}
