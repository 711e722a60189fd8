// Latency chasing for the MSE path (pure logic, no DOM: unit-tested under
// Node). The <video> element plays what Media Source Extensions buffered;
// how far it is behind the newest data is `ahead` = end of the buffered
// range - currentTime. This keeps `ahead` near the smallest target that
// does not stall:
//   - the target starts at a guess and grows by a step at each stall (the
//     element ran dry: a `waiting` event), up to a ceiling; after a while
//     without stalls it shrinks a step, down to a floor;
//   - a little too far behind: play faster (playbackRate up to 1.2x,
//     proportional to the excess) until back at the target; too close to
//     the edge (after the target grew): play slower (down to 0.9x) until
//     that much is buffered, as at 1x the buffer only grows by stalling;
//   - far behind (a hidden tab, a stall that let data pile up): jump to the
//     live edge (currentTime = end - target, less what the engine's seeks
//     are seen to let pile up);
//   - nothing for a while after a start, while the engine settles;
//   - with sound, the engine keeps part of the buffer for its audio output
//     (Chromium's audio renderer underflows below about 0.2 s, and each
//     underflow makes it refill longer): a stall with data in hand raises
//     a floor to what was in hand, which the target does not go below
//     (summary().floorMs); the floor comes down a step after 12 s at it
//     without a stall (a stall under load is not the audio output's);
//   - engines where a faster rate does not help are found by behaviour,
//     and from then on only jumps are used: the engine's frame count
//     starting again from 0 right after a rate change (it flushed its
//     pipeline: WebKitGTK 2.50 does at every change; mse-path.js sees it
//     and calls rateRebuffered()), stalls with data in hand soon after a
//     rate change (twice), or the media clock not going faster while the
//     rate is up at 1.1x or more (Firefox with sound).
// The caller (mse-path.js) reads the element, calls update() every
// TICK_MS or so, and applies the rate and the jump. Used on the main thread.

export const TICK_MS = 100;

const DEFAULTS = {
  video: { minTarget: 0.05, startTarget: 0.15, maxTarget: 0.4 },
  // AAC comes in 21 ms frames and the engines' audio renderers want a
  // little more in hand than the video's.
  audio: { minTarget: 0.07, startTarget: 0.2, maxTarget: 0.5 },
};
const STALL_STEP = 0.04; // s added to the target per stall
const CALM_STEP = 0.02; // s taken off per calm period
const CALM_MS = 3000; // this long without a stall: the target shrinks a step
const FLOOR_CALM_PERIODS = 4; // with sound: this many calm periods at the floor, and it shrinks a step
const RATE_BAND = 0.02; // s above the target tolerated at 1x
const MAX_RATE = 1.2;
const MIN_RATE = 0.9;
const RATE_GAIN = 1.5; // rate - 1 per second of excess
const JUMP_EXCESS = 0.25; // s above the target: jump at once (1.2x would take > 1 s)
const JUMP_ONLY_EXCESS = 0.08; // s above the target on average for SUSTAIN_MS, in jump-only mode
const MIN_AHEAD_AFTER_JUMP = 0.03; // s: never closer to the edge than a frame, nor half the target
const OVERSHOOT_MAX = 0.2; // s: what a seek's own delay may add back, at most
const SUSTAIN_MS = 1000; // how long the excess must last in jump-only mode
const JUMP_COOLDOWN_MS = 1000; // no second jump sooner (the buffer settles)
const JUMP_ONLY_COOLDOWN_MS = 3000; // in jump-only mode (each jump flushes the engine's pipeline)
// After a (re)start, neither rate changes nor jumps for this long: the
// engine settles (WebKitGTK undoes a seek made right after it starts
// playing, and flushes its pipeline at a rate change); a join's burst is
// skipped before that by mpegts.js, at the first appends (mse-path.js).
export const SETTLE_MS = 2500;
const RATE_STALL_MS = 600; // a stall this soon after a rate change counts against rates
const RATE_STALLS_TO_JUMP_ONLY = 2;
const RATE_TRIAL_MS = 1500; // rate up this long: currentTime must have gone faster
const RATE_MIN_GAIN = 0.3; // at least this share of the rate's extra speed
const TRIAL_MIN_RATE = 1.1; // a trial needs a rate whose effect is plain

export class LatencyController {
  /**
   * @param {{hasAudio?:boolean, jumpOnly?:boolean, minTarget?:number, startTarget?:number,
   *          maxTarget?:number}} options
   *   `jumpOnly`: never change the rate (known up front); otherwise found by behaviour.
   */
  constructor({ hasAudio = false, jumpOnly = false, ...limits } = {}) {
    const d = DEFAULTS[hasAudio ? 'audio' : 'video'];
    this.hasAudio = hasAudio;
    this.minTarget = limits.minTarget ?? d.minTarget;
    this.maxTarget = limits.maxTarget ?? d.maxTarget;
    this.target = limits.startTarget ?? Math.max(this.minTarget, d.startTarget); // s
    this.jumpOnly = jumpOnly;
    this.rate = 1;
    this.jumps = 0;
    this.stalls = 0;
    this.rateStalls = 0; // stalls soon after a rate change
    this.lastStallAt = -Infinity;
    this.lastRateChangeAt = -Infinity;
    this.lastJumpAt = -Infinity;
    this.startedAt = -Infinity; // when playback (re)started: started()
    this.calmSince = null;
    this.excessSince = null; // jump-only mode: since when the excess is watched
    this.excessWindow = []; // jump-only mode: {now, excess} of the last SUSTAIN_MS
    this.rateExcess = 0; // the excess the current rate was chosen for
    this.seekOvershoot = 0; // s that pile up while a jump's seek completes
    this.trial = null; // {at, mediaTime, rate}: since when the rate is up
    this.slowTrials = 0; // rate up, media clock at 1x
    this.floor = this.minTarget; // s: the least the engine keeps buffered (with sound: learnt)
    this.floorCalm = 0; // calm periods at the floor since it last moved
  }

  /**
   * The element stalled (`waiting` while playing) at time `now` (ms), with
   * `ahead` seconds buffered. A stall with data in hand soon after a rate
   * change is the engine rebuffering for the rate, not running dry.
   */
  stalled(now, ahead = 0) {
    this.stalls++;
    this.lastStallAt = now;
    this.trial = null; // a stall says nothing about the rate's speed
    this.calmSince = now;
    const inHand = ahead >= this.target; // more than the target buffered: not an underrun
    if (!this.jumpOnly && now - this.lastRateChangeAt <= RATE_STALL_MS && inHand) {
      this.rateStalls++;
      if (this.rateStalls >= RATE_STALLS_TO_JUMP_ONLY) this.jumpOnly = true;
    }
    // With sound, a stall with data in hand is the audio output wanting
    // more than that (Chromium's renderer underflows near 0.2 s, and each
    // underflow makes it refill longer): the floor rises to it.
    if (this.hasAudio && Number.isFinite(ahead)) this.floor = Math.min(this.maxTarget, Math.max(this.floor, ahead));
    this.floorCalm = 0;
    this.target = Math.min(this.maxTarget, Math.max(this.target + STALL_STEP, this.floor));
  }

  /**
   * One step. `ahead`: seconds buffered past currentTime (NaN: nothing
   * buffered); `mediaTime`: currentTime. Returns {rate, jump}: the
   * playbackRate to set, and seconds to move currentTime forward (0: none).
   */
  update(now, ahead, mediaTime = NaN) {
    this.#checkRateWorks(now, mediaTime);
    if (this.calmSince === null) this.calmSince = now;
    if (now - this.calmSince >= CALM_MS) {
      this.calmSince = now;
      // At the floor, it comes down a step after FLOOR_CALM_PERIODS calm periods.
      if (this.target <= this.floor && this.floor > this.minTarget && ++this.floorCalm >= FLOOR_CALM_PERIODS) {
        this.floor = Math.max(this.minTarget, this.floor - CALM_STEP);
        this.floorCalm = 0;
      }
      if (this.target > this.floor) this.target = Math.max(this.floor, this.target - CALM_STEP);
    }
    let rate = 1;
    let jump = 0;
    const excess = Number.isFinite(ahead) ? ahead - this.target : 0;
    const mayJump = now - this.lastJumpAt >= (this.jumpOnly ? JUMP_ONLY_COOLDOWN_MS : JUMP_COOLDOWN_MS);
    if (now - this.startedAt < SETTLE_MS) {
      this.rate = 1;
      return { rate: 1, jump: 0 };
    }
    // A jump goes past the target by what its seek is seen to add back.
    const floor = Math.max(MIN_AHEAD_AFTER_JUMP, this.target / 2);
    const jumpBy = () => Math.max(0, Math.min(ahead - floor, excess + this.seekOvershoot));
    if (excess > JUMP_EXCESS && mayJump) {
      jump = jumpBy();
    } else if (this.jumpOnly) {
      // The mean excess over the last SUSTAIN_MS: the buffer ahead swings by
      // a frame or more between ticks, so one low reading does not reset it.
      const w = this.excessWindow;
      w.push({ now, excess });
      while (w.length > 0 && now - w[0].now > SUSTAIN_MS) w.shift();
      const mean = w.reduce((a, x) => a + x.excess, 0) / w.length;
      if (now - (this.excessSince ?? now) >= SUSTAIN_MS && mean > JUMP_ONLY_EXCESS && mayJump) jump = jumpBy();
      this.excessSince ??= now;
    } else {
      rate = this.#rateFor(excess, Number.isFinite(ahead));
    }
    if (jump > 0) {
      this.#checkRateWorks(now, mediaTime, true);
      this.trial = null;
      this.jumps++;
      this.lastJumpAt = now;
      this.excessSince = null;
      this.excessWindow = [];
      rate = 1;
    }
    if (rate !== this.rate) {
      this.rate = rate;
      this.lastRateChangeAt = now;
    }
    return { rate, jump };
  }

  /**
   * The rate for this excess: a rate once chosen is kept until the target
   * is reached (each change costs the engine a little), and chosen again
   * only when the excess has doubled and the rate would change by 0.1 or more.
   */
  #rateFor(excess, known) {
    const pick = (e, dryRun = false) => {
      const r = e > 0 ? Math.min(MAX_RATE, 1 + Math.max(0.05, RATE_GAIN * e))
        : Math.max(MIN_RATE, 1 - Math.max(0.05, RATE_GAIN * -e));
      if (!dryRun) this.rateExcess = e;
      return Math.round(r * 20) / 20; // steps of 0.05
    };
    if (!known) return 1;
    const step = (Math.abs(this.rate - 1) * TICK_MS) / 1000; // what one more tick at this rate does
    if (this.rate > 1) {
      if (excess <= step) return 1;
      return excess > 2 * this.rateExcess && pick(excess, true) >= this.rate + 0.1 ? pick(excess) : this.rate;
    }
    if (this.rate < 1) {
      if (excess >= -step) return 1;
      return excess < 2 * this.rateExcess && pick(excess, true) <= this.rate - 0.1 ? pick(excess) : this.rate;
    }
    return Math.abs(excess) > RATE_BAND ? pick(excess) : 1;
  }

  /**
   * A jump's seek completed with `ahead` s buffered: the engine's seek let
   * that much more than the target pile up (data that came meanwhile, a
   * position it snapped to), which the next jumps leave room for.
   */
  seeked(ahead) {
    if (!Number.isFinite(ahead)) return;
    const over = Math.min(OVERSHOOT_MAX, Math.max(0, ahead - this.target + this.seekOvershoot));
    this.seekOvershoot = (this.seekOvershoot + over) / 2;
  }

  /**
   * The engine flushed its pipeline at a rate change (its decoded-frame
   * count started again from 0 right after it): rates cost a rebuffer each
   * time there, so only jumps are used from now on.
   */
  rateRebuffered() {
    this.jumpOnly = true;
    this.trial = null;
  }

  /** Playback started at `now` (ms), on a new player. */
  started(now) {
    this.startedAt = now;
    this.trial = null;
    this.excessSince = null;
    this.excessWindow = [];
  }

  /** Playback is paused or seeking: the current rate trial says nothing. */
  interrupted() {
    this.trial = null;
  }

  /**
   * While the rate is up, does the media clock go faster? Judged after
   * RATE_TRIAL_MS at the rate, or at a jump (which ends the trial) when the
   * rate was up for at least half of that.
   */
  #checkRateWorks(now, mediaTime, ending = false) {
    const { trial } = this;
    if (this.jumpOnly || !Number.isFinite(mediaTime)) {
      this.trial = null;
      return;
    }
    if (trial && mediaTime < trial.mediaTime) this.trial = null; // a new timeline
    else if (trial) {
      trial.rate = Math.min(trial.rate, this.rate > 1 ? this.rate : trial.rate);
      if (trial.rate < TRIAL_MIN_RATE) {
        this.trial = null;
        return;
      }
      const wall = now - trial.at;
      const over = this.rate <= 1 || ending;
      if (wall >= RATE_TRIAL_MS || (over && wall >= RATE_TRIAL_MS / 2)) {
        const speed = (mediaTime - trial.mediaTime) / (wall / 1000);
        if (speed < 1 + RATE_MIN_GAIN * (trial.rate - 1)) {
          this.slowTrials++;
          this.jumpOnly = true;
        }
        this.trial = null;
      } else if (over) {
        this.trial = null;
      }
      return;
    }
    if (this.rate >= TRIAL_MIN_RATE && !ending) this.trial = { at: now, mediaTime, rate: this.rate };
  }

  /** What stats.mse shows (web/README.md). */
  summary() {
    return {
      targetMs: Math.round(this.target * 1000),
      floorMs: Math.round(this.floor * 1000),
      playbackRate: this.rate,
      jumps: this.jumps,
      seekOvershootMs: Math.round(this.seekOvershoot * 1000),
      stalls: this.stalls,
      chase: this.jumpOnly ? 'jump' : 'rate',
    };
  }
}
