// A/V scheduling on the WebCodecs path, with the audio clock as master. Pure
// logic (numbers in, decisions out; no browser API), unit-tested under Node;
// audio-path.js feeds it the AudioContext's times, webcodecs-path.js asks it
// when a video frame is due.
//
// Times: `pts` in µs (the stream's), `ctx` in seconds (AudioContext time),
// `wall` in ms (performance.now()). The mapping is ctx = pts / 1e6 + offset.
//
// - Anchor: the frame with pts p starts at wall time p/1000 + K, where K is
//   the latest any audio frame arrived (wall − pts, the highest of the last
//   few seconds, leaving out a join's backlog: in the first `joinMs` after
//   a join, runs of more than `burstRun` frames decoded within `burstGapMs`
//   of each other; and frames more than `burstMs` later than the earliest.
//   Later runs are a stalled page catching up, and count: they are the
//   lateness the lead must cover)
//   plus a lead: a frame
//   arriving as late as the latest seen is still `leadMs` ahead of the
//   speaker. The first frame anchors; so does the first one after
//   reanchor() (the tab back to visible, unmute).
// - Underrun: a frame whose start is already past (the scheduled audio ran
//   dry before it came): counted, and the clock re-anchors at the live edge,
//   with room for a frame as late as this one, and the lead grows by
//   `leadStepMs` (up to `maxLeadMs`); after `leadDecayMs` without one it
//   shrinks by a step again (down to `leadMs`). So the lead is as small as
//   the engine allows where nothing runs late, and grows where it does (a
//   join's backlog that a slow engine decodes over a second, a busy machine).
// - The context's clock may move in steps (WebKitGTK's currentTime jumps
//   by 20-30 ms at times: it renders in blocks, and between two jumps lags
//   what is rendered). So the context time used is the wall clock plus the
//   most currentTime was ahead of it in the last 2 s (contextNow()), never
//   less than currentTime: smooth, and not behind what is rendered.
// - Too far ahead: scheduled more than `maxAheadMs` ahead, or every frame of
//   the last `settleMs` more than `slackMs` beyond the lead (the audio clock
//   runs slower than the stream, or the anchor was taken in a burst):
//   re-anchor at the live edge.
// - Video: a frame is due `videoLeadMs` before the audio heard (ctx time at
//   the speaker, i.e. after the output latency) reaches its pts; until then
//   it is held, a frame already due is shown at once. Showing the picture a
//   little before its sound takes that much off the picture's latency and
//   stays within lip-sync tolerance (EBU R37: sound up to 60 ms after the
//   picture; the player's bound is ±40 ms, measured by videoShown()). If video keeps coming later than the audio
//   (p50 of its lateness over `videoLateMs`), the audio is moved later by
//   that much, so that the offset stays within bounds.

import { RollingWindow, percentile } from './stats.js';

export const DEFAULTS = Object.freeze({
  leadMs: 20, // ahead of the speaker for a frame that arrives as late as the latest seen
  leadStepMs: 10, // added to the lead at each underrun
  maxLeadMs: 100,
  leadDecayMs: 5000,
  arrivalWindowMs: 2000, // how far back the latest arrival is looked for
  burstMs: 150, // arrivals later than the earliest by more are a burst, not jitter
  burstGapMs: 3, // frames decoded this close together ...
  burstRun: 3, // ... more than this many in a row: a burst
  joinMs: 2000, // runs only count as a join's backlog this long after the first frame
  maxAheadMs: 250, // re-anchor when audio is scheduled further ahead than this
  slackMs: 15, // ... or when it was ahead by more than lead + slack for settleMs
  settleMs: 1500,
  videoLeadMs: 20, // a video frame is shown this much before its sound
  videoLateMs: 30, // p50 lateness of video frames above which the audio moves later
  videoLateCount: 30, // frames that p50 is taken over, from settleMs after the anchor on
});

const MAX_EXTRA_MS = 200; // video later than audio by more than this: not followed

export class AvClock {
  constructor(options = {}) {
    this.opt = { ...DEFAULTS, ...options };
    this.arrivals = new RollingWindow(this.opt.arrivalWindowMs); // wall − pts of each audio frame
    this.lastArrival = null; // wall time of the last frame noted
    this.firstArrival = null; // wall time of the first frame since the join
    this.run = 0; // frames in a row decoded within burstGapMs of the one before
    this.videoLate = []; // ms, the last videoLateCount frames
    this.extraMs = 0; // added to K because video came late
    this.offset = null; // ctx = pts / 1e6 + offset; null: not anchored
    this.anchoredAt = 0; // wall time of the anchor
    this.minAhead = Infinity; // the least a frame was ahead since the anchor (ms)
    this.underruns = 0;
    this.leadMs = this.opt.leadMs; // grows at underruns, shrinks back without
    this.leadChangedAt = 0; // wall time of the last underrun or shrink
    this.clockSkew = new RollingWindow(this.opt.arrivalWindowMs); // currentTime − wall time (ms) at each frame
    this.reanchors = 0;
  }

  get anchored() {
    return this.offset !== null;
  }

  #restartMinAhead(wallNow) {
    this.anchoredAt = wallNow;
    this.minAhead = Infinity;
  }

  /** A new join (resync): what arrives first is a backlog again; earlier arrivals are forgotten. */
  rejoin() {
    this.reanchor();
    this.arrivals.clear();
    this.firstArrival = null;
    this.lastArrival = null;
    this.run = 0;
  }

  /** Forget the anchor: the next frame scheduled starts the clock again at the live edge. */
  reanchor() {
    this.offset = null;
    this.clockSkew.clear(); // the context may have been suspended meanwhile
    this.videoLate.length = 0;
  }

  /** An audio frame with this pts (µs) was decoded at wall time `wallNow` (also while muted). */
  noteArrival(pts, wallNow) {
    this.firstArrival ??= wallNow;
    const joining = wallNow - this.firstArrival < this.opt.joinMs;
    const close = joining && this.lastArrival !== null && wallNow - this.lastArrival < this.opt.burstGapMs;
    this.lastArrival = wallNow;
    this.run = close ? this.run + 1 : 0;
    const { burstRun } = this.opt;
    if (this.run > burstRun) return;
    if (this.run === burstRun) { // a burst: its first frames were noted already
      const w = this.arrivals;
      w.times.splice(-burstRun);
      w.values.splice(-burstRun);
      return;
    }
    this.arrivals.add(wallNow, wallNow - pts / 1000);
  }

  /**
   * An audio frame is decoded: when should it play?
   * @param {number} pts µs
   * @param {number} currentTime AudioContext.currentTime (s)
   * @param {number} wallNow performance.now() at the same moment (ms)
   * @returns {{start:number, underrun:boolean, reanchored:boolean}} start: ctx time (s)
   */
  /**
   * The context time now (s): currentTime, or, where it moves in steps,
   * the wall clock plus the most currentTime was ahead of it lately.
   */
  contextNow(currentTime, wallNow) {
    this.clockSkew.add(wallNow, currentTime * 1000 - wallNow);
    return Math.max(currentTime, (wallNow + Math.max(...this.clockSkew.values)) / 1000);
  }

  schedule(pts, currentTime, wallNow) {
    this.noteArrival(pts, wallNow);
    const ctxNow = this.contextNow(currentTime, wallNow);
    const { maxAheadMs, slackMs, settleMs, burstMs } = this.opt;
    let reanchored = false;
    let underrun = false;
    if (this.offset !== null) {
      const ahead = (pts / 1e6 + this.offset - ctxNow) * 1000;
      this.minAhead = Math.min(this.minAhead, ahead - this.extraMs);
      if (ahead < 0) {
        underrun = true;
        this.underruns++;
        this.leadMs = Math.min(this.opt.maxLeadMs, this.leadMs + this.opt.leadStepMs);
        this.leadChangedAt = wallNow;
      } else if (this.leadMs > this.opt.leadMs && wallNow - this.leadChangedAt >= this.opt.leadDecayMs) {
        this.leadMs = Math.max(this.opt.leadMs, this.leadMs - this.opt.leadStepMs);
        this.leadChangedAt = wallNow; // taken up at the next re-anchor (too far ahead)
      }
      const settled = wallNow - this.anchoredAt >= settleMs;
      const tooFar = ahead - this.extraMs > maxAheadMs || (settled && this.minAhead > this.leadMs + slackMs);
      if (ahead < 0 || tooFar) this.offset = null;
      else if (settled) this.#restartMinAhead(wallNow);
    }
    if (this.offset === null) {
      reanchored = true;
      this.reanchors++;
      const arrivals = this.arrivals.values.length > 0 ? this.arrivals.values : [wallNow - pts / 1000];
      const earliest = Math.min(...arrivals);
      let latest = Math.max(...arrivals.filter((e) => e <= earliest + burstMs));
      if (underrun) latest = Math.max(latest, wallNow - pts / 1000);
      const k = latest + this.leadMs + this.extraMs; // wall = pts/1000 + k
      // ctx time of wall time w: ctxNow + (w − wallNow) / 1000
      this.offset = ctxNow + (k - wallNow) / 1000;
      this.#restartMinAhead(wallNow);
    }
    return { start: pts / 1e6 + this.offset, underrun, reanchored };
  }

  /**
   * The pts (µs) of the audio heard now, or null when not anchored.
   * @param {number} heardCtx the ctx time at the speaker now: currentTime −
   *   outputLatency, or from getOutputTimestamp() (see heardContextTime)
   */
  heardPts(heardCtx) {
    return this.offset === null ? null : (heardCtx - this.offset) * 1e6;
  }

  /**
   * When is a video frame with this pts due?
   * @returns {{delayMs:number}|null} 0: show it now (due or late); null: no audio clock
   */
  videoDue(pts, heardCtx) {
    const heard = this.heardPts(heardCtx);
    if (heard === null) return null;
    return { delayMs: Math.max(0, (pts - heard) / 1000 - this.opt.videoLeadMs) };
  }

  /**
   * A video frame was shown: its offset to the audio heard then (ms,
   * positive: the picture is later than the sound). Returns it (null: no
   * clock). Video late for a while (once settleMs have passed since the
   * anchor, at wall time `wallNow`) moves the audio later.
   */
  videoShown(pts, heardCtx, wallNow) {
    const heard = this.heardPts(heardCtx);
    if (heard === null) return null;
    const offset = (heard - pts) / 1000;
    const late = this.videoLate;
    if (this.offset === null || wallNow - this.anchoredAt < this.opt.settleMs) return offset;
    late.push(offset);
    if (late.length > this.opt.videoLateCount) late.shift();
    if (late.length === this.opt.videoLateCount) {
      const p50 = percentile(late, 50);
      const shift = Math.min(p50, MAX_EXTRA_MS - this.extraMs);
      if (p50 > this.opt.videoLateMs && shift > 0) {
        this.extraMs += shift;
        this.offset += shift / 1000;
        this.reanchors++;
        late.length = 0;
      }
    }
    return offset;
  }
}

/**
 * The AudioContext time being heard at the speaker at wall time `wallNow`:
 * currentTime minus outputLatency (baseLatency where outputLatency is
 * missing or 0), and from getOutputTimestamp() ({contextTime,
 * performanceTime}) where the engine gives a plausible one (non-zero, not
 * ahead of currentTime, taken within the last second: WebKitGTK 2.50's
 * performanceTime is seconds in the future, on another time origin): the
 * earlier of the two, since an engine may leave the output latency out of either.
 */
export function heardContextTime({ currentTime, outputLatency, baseLatency, outputTimestamp }, wallNow) {
  const latency = Number.isFinite(outputLatency) && outputLatency > 0 ? outputLatency
    : Number.isFinite(baseLatency) ? baseLatency : 0;
  let heard = currentTime - latency;
  const ts = outputTimestamp;
  if (ts && ts.contextTime > 0 && ts.contextTime <= currentTime && ts.performanceTime > 0 &&
      ts.performanceTime <= wallNow + 1 && ts.performanceTime >= wallNow - 1000) {
    heard = Math.min(heard, ts.contextTime + (wallNow - ts.performanceTime) / 1000);
  }
  return heard;
}
