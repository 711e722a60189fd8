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
//   shrinks by a step again (down to `leadMs`), and the timeline moves
//   earlier by as much where every frame since the anchor left room for it. So the lead is as small as
//   the engine allows where nothing runs late, and grows where it does (a
//   join's backlog that a slow engine decodes over a second, a busy machine).
// - Stall: a late frame that comes after `stallGapMs` without any (the page
//   did not run: a busy machine stalls it for 0.1-1 s; or the decoder or the
//   sender paused) is not jitter a lead could cover: the timeline stays (no
//   re-anchor, the lead unchanged, the A/V offset and the latency as they
//   were), the part of it, and of the frames after it, that is already past
//   is skipped (`skipMs`), and those late frames are left out of the
//   arrivals. Counted in `stalls` (and, by audio-path.js, as an underrun:
//   the sound did stop).
// - The context's clock may move in steps (WebKitGTK's currentTime jumps
//   by 20-30 ms at times: it renders in blocks, and between two jumps lags
//   what is rendered). So the context time used is the wall clock plus the
//   most currentTime was ahead of it in the last 2 s (contextNow()), never
//   less than currentTime: smooth, and not behind what is rendered. A clock
//   that falls behind that lead by more than `clockStallMs` stopped (an
//   output that stalled; Chromium's PulseAudio output stands still for
//   0.5-1 s after resume(); under load it loses 50-150 ms at times): its
//   lead is learnt again from there, and the clock re-anchors at the live
//   edge (what was scheduled would play that much late).
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
  leadMs: 15, // ahead of the speaker for a frame that arrives as late as the latest seen
  leadStepMs: 10, // added to the lead at each underrun
  maxLeadMs: 100,
  leadDecayMs: 5000,
  arrivalWindowMs: 2000, // how far back the latest arrival is looked for
  skewWindowMs: 2000, // how far back the most currentTime led the wall clock is looked for
  burstMs: 150, // arrivals later than the earliest by more are a burst, not jitter
  burstGapMs: 3, // frames decoded this close together ...
  burstRun: 3, // ... more than this many in a row: a burst
  joinMs: 2000, // runs only count as a join's backlog this long after the first frame
  maxAheadMs: 250, // re-anchor when audio is scheduled further ahead than this
  slackMs: 15, // ... or when it was ahead by more than lead + slack for settleMs
  settleMs: 1500,
  stallGapMs: 75, // a late frame after this long without any: a stall (skipped), not an underrun
  clockStallMs: 100, // the context clock this far behind its lead of late: stopped, not stepping
  videoLeadMs: 30, // a video frame is shown this much before its sound
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
    this.stalls = 0; // late frames after a pause in arrivals (see schedule())
    this.lastStallAt = -Infinity; // wall time of the last frame of a stall
    this.catchingUp = false; // frames after such a pause still come late
    this.catchUpLimit = null; // until one comes no later than this (wall − pts, ms), arrivals are not noted
    this.leadMs = this.opt.leadMs; // grows at underruns, shrinks back without
    this.leadChangedAt = 0; // wall time of the last underrun or shrink
    this.clockSkew = new RollingWindow(this.opt.skewWindowMs); // currentTime − wall time (ms) at each frame
    this.clockStalls = 0; // times the context's clock stopped for more than clockStallMs
    this.clockStalled = false; // ... since the last frame scheduled
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
    this.catchingUp = false;
    this.catchUpLimit = null;
  }

  /** Forget the anchor: the next frame scheduled starts the clock again at the live edge. */
  reanchor() {
    this.offset = null;
    this.catchingUp = false;
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
   * The context time now (s): currentTime, or, where it moves in steps,
   * the wall clock plus the most currentTime was ahead of it lately.
   */
  contextNow(currentTime, wallNow) {
    const skew = currentTime * 1000 - wallNow;
    // Behind its lead by more than a step: the clock stopped for a while
    // (the output stalled, or had not started yet), not a step; its lead
    // from before no longer holds.
    if (this.clockSkew.values.length > 0 && Math.max(...this.clockSkew.values) - skew > this.opt.clockStallMs) {
      this.clockSkew.clear();
      this.clockStalls++;
      this.clockStalled = true;
    }
    this.clockSkew.add(wallNow, skew);
    return Math.max(currentTime, (wallNow + Math.max(...this.clockSkew.values)) / 1000);
  }

  /**
   * An audio frame is decoded: when should it play?
   * @param {number} pts µs
   * @param {number} currentTime AudioContext.currentTime (s)
   * @param {number} wallNow performance.now() at the same moment (ms)
   * @returns {{start:number, underrun:boolean, reanchored:boolean, stall:boolean, skipMs:number, lateMs:number}}
   *   start: ctx time (s); stall: late after a pause in arrivals, its
   *   first skipMs are past (skipMs ≥ its duration: all of it); underrun:
   *   the sound stopped before this frame (for a stall: its first frame);
   *   lateMs: how late it came (ms, 0 when in time)
   */
  schedule(pts, currentTime, wallNow) {
    const gap = this.lastArrival === null ? 0 : wallNow - this.lastArrival;
    const ctxNow = this.contextNow(currentTime, wallNow);
    const { maxAheadMs, slackMs, settleMs, burstMs, stallGapMs } = this.opt;
    let reanchored = false;
    let underrun = false;
    let stall = false;
    let skipMs = 0;
    let lateMs = 0;
    // The context's clock stopped for a while: what is scheduled plays that
    // much later than it should; start again at the live edge.
    if (this.clockStalled) this.offset = null;
    this.clockStalled = false;
    if (this.offset !== null) {
      const ahead = (pts / 1e6 + this.offset - ctxNow) * 1000;
      if (ahead < 0 && (this.catchingUp || gap >= stallGapMs)) {
        // Nothing came for a while (a stalled page, a decoder or sender
        // that paused): what should have played meanwhile is skipped, the
        // timeline and the lead stay, and its catch-up is not jitter.
        this.lastStallAt = wallNow;
        if (!this.catchingUp) {
          this.stalls++;
          underrun = true; // the sound stopped: once a stall
          this.catchUpLimit = this.arrivals.values.length > 0 ? Math.max(...this.arrivals.values) : -Infinity;
        }
        this.catchingUp = true;
        stall = true;
        skipMs = -ahead;
        lateMs = -ahead;
      } else {
        this.catchingUp = false;
        // The catch-up's frames in time still came later than any before it: not jitter either.
        if (this.catchUpLimit !== null && wallNow - pts / 1000 > this.catchUpLimit) this.lastArrival = wallNow;
        else {
          this.catchUpLimit = null;
          this.noteArrival(pts, wallNow);
        }
        this.minAhead = Math.min(this.minAhead, ahead - this.extraMs);
        if (ahead < 0) {
          underrun = true;
          lateMs = -ahead;
          this.underruns++;
          this.leadMs = Math.min(this.opt.maxLeadMs, this.leadMs + this.opt.leadStepMs);
          this.leadChangedAt = wallNow;
        } else if (this.leadMs > this.opt.leadMs && wallNow - this.leadChangedAt >= this.opt.leadDecayMs) {
          this.leadMs = Math.max(this.opt.leadMs, this.leadMs - this.opt.leadStepMs);
          this.leadChangedAt = wallNow;
          // The timeline moves earlier by as much, as far as every frame
          // since the anchor was ahead by more than the lead (the next
          // frame overlaps the one before by that much, no gap).
          const shift = Math.min(this.opt.leadStepMs, this.minAhead - this.leadMs);
          if (shift > 0 && Number.isFinite(shift)) {
            this.offset -= shift / 1000;
            this.minAhead -= shift;
          }
        }
        const settled = wallNow - this.anchoredAt >= settleMs;
        const tooFar = ahead - this.extraMs > maxAheadMs || (settled && this.minAhead > this.leadMs + slackMs);
        if (ahead < 0 || tooFar) this.offset = null;
        else if (settled) this.#restartMinAhead(wallNow);
      }
      if (stall) this.lastArrival = wallNow;
    } else {
      this.noteArrival(pts, wallNow);
    }
    if (this.offset === null) {
      reanchored = true;
      this.reanchors++;
      this.catchingUp = false;
      const arrivals = this.arrivals.values.length > 0 ? this.arrivals.values : [wallNow - pts / 1000];
      const earliest = Math.min(...arrivals);
      let latest = Math.max(...arrivals.filter((e) => e <= earliest + burstMs));
      if (underrun) latest = Math.max(latest, wallNow - pts / 1000);
      const k = latest + this.leadMs + this.extraMs; // wall = pts/1000 + k
      // ctx time of wall time w: ctxNow + (w − wallNow) / 1000
      this.offset = ctxNow + (k - wallNow) / 1000;
      this.#restartMinAhead(wallNow);
    }
    return { start: pts / 1e6 + this.offset, underrun, reanchored, stall, skipMs, lateMs };
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
 * The output latency taken where the engine reports none (outputLatency
 * missing or 0, no plausible getOutputTimestamp(): WebKitGTK 2.50, and
 * Safari, which has no outputLatency): the middle of the 58-72 ms after
 * its currentTime that WebKitGTK's sound was heard at (through PulseAudio,
 * tests/browser/lib/sound-probe.mjs, docs/design.md); taking 0 showed the
 * picture that much before its sound.
 */
export const UNREPORTED_OUTPUT_LATENCY_S = 0.065;

/**
 * The AudioContext time being heard at the speaker at wall time `wallNow`:
 * currentTime minus outputLatency (where it is missing or 0, the larger of
 * baseLatency and UNREPORTED_OUTPUT_LATENCY_S), and from
 * getOutputTimestamp() ({contextTime, performanceTime}) where the engine
 * gives a plausible one (non-zero, not ahead of currentTime, taken within
 * the last second: WebKitGTK 2.50's performanceTime is seconds in the
 * future, on another time origin): the earlier of the two, since an engine
 * may leave the output latency out of either.
 */
export function heardContextTime({ currentTime, outputLatency, baseLatency, outputTimestamp }, wallNow) {
  const reported = Number.isFinite(outputLatency) && outputLatency > 0;
  const ts = outputTimestamp;
  const plausible = ts && ts.contextTime > 0 && ts.contextTime <= currentTime && ts.performanceTime > 0 &&
    ts.performanceTime <= wallNow + 1 && ts.performanceTime >= wallNow - 1000;
  const latency = reported ? outputLatency
    : Math.max(Number.isFinite(baseLatency) ? baseLatency : 0, plausible ? 0 : UNREPORTED_OUTPUT_LATENCY_S);
  let heard = currentTime - latency;
  if (plausible) heard = Math.min(heard, ts.contextTime + (wallNow - ts.performanceTime) / 1000);
  return heard;
}
