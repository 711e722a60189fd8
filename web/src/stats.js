// Player statistics: counters plus short rolling windows for latency, frame
// rate and bitrate. `snapshot()` is what window.ssePlayer.stats returns and
// what the overlay shows.

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
    this.framesDecoded = 0; // decoder outputs (WebCodecs) / totalVideoFrames (MSE)
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
  }

  chunkReceived(byteCount, time) {
    this.mediaEvents++;
    this.bytesIn.add(time, byteCount);
  }

  /**
   * @param {number} latencyMs server `ts` to frame drawn
   * @param {number} receiptMs arrival of the frame's last event to frame drawn
   */
  frameDrawn(latencyMs, receiptMs, width, height) {
    const t = this.now();
    this.framesDrawn++;
    this.firstFrameMs ??= t;
    this.lastDrawTime = t;
    this.drawTimes.add(t, 1);
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
    return {
      path: this.path,
      codec: this.codec,
      videoInfo: this.videoInfo,
      decoderSupport: this.decoderSupport,
      width: this.width,
      height: this.height,
      fps: round1(this.drawTimes.times.length / span),
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
      failovers: this.source?.failovers ?? 0,
      lostEvents: this.source?.lostEvents ?? 0,
      duplicateEvents: this.source?.duplicateEvents ?? 0,
      errors: this.errors,
      lastError: this.lastError,
      decodeQueueMax: this.decodeQueueMax,
      firstFrameMs: this.firstFrameMs === null ? null : Math.round(this.firstFrameMs),
    };
  }
}
