// The A/V offset as a viewer meets it, not as the engine reports it: when
// each tick of sound (audiotestsrc wave=ticks, one a second) comes out of
// the browser, against when the picture with the same PTS was drawn.
//
// - Heard: `parec` reads the monitor of the launch's null sink
//   (lib/audio-sink.mjs), which gets each block as the sink consumes it on
//   its own timer, as a sound card plays it. Sample n of the recording is
//   taken to sound at base + n / rate, base being the earliest any block's
//   arrival allows (a block can arrive late, never early), so within a
//   block (5 ms asked for) of when the sink played it.
// - Scheduled and drawn: the page's AudioBufferSourceNode.start() and
//   canvas drawImage(VideoFrame) are wrapped: each node's first loud sample
//   after a silence gives a tick's context time and, through the player's
//   clock (web/src/av-sync.js, ctx = pts + offset), its PTS; each frame
//   drawn gives its PTS and draw time.
//
// The WebCodecs path only (the player schedules the sound and draws the
// picture itself); times are wall-clock epoch ms on one machine.
import { spawn } from 'node:child_process';

const RATE = 48000;
const LOUD = 0.1; // of full scale; the ticks are sine bursts at about 0.8 (volume 0.8)
const QUIET_MS = 300; // a loud sample after this much quiet starts a tick

/** Starts recording what the browser plays. stop() resolves to the tick onsets heard (epoch ms). */
export function listen(browser) {
  if (browser.noSoundServer || !browser.soundEnv?.PULSE_SERVER) {
    throw new Error(`no sound server to listen to: ${browser.noSoundServer ?? 'none started'}`);
  }
  const rec = spawn('parec', ['--device=null.monitor', '--raw', '--format=s16le', `--rate=${RATE}`,
    '--channels=1', '--latency-msec=5'], { env: { ...process.env, ...browser.soundEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  rec.stderr.on('data', (d) => (err = (err + d).slice(-2000)));
  let samples = 0;
  let base = Infinity;
  let lastLoud = -Infinity; // sample index
  const onsets = []; // sample indices
  let carry = null;
  rec.stdout.on('data', (chunk) => {
    const now = performance.timeOrigin + performance.now();
    let buf = carry ? Buffer.concat([carry, chunk]) : chunk;
    carry = buf.length % 2 ? buf.subarray(buf.length - 1) : null;
    if (carry) buf = buf.subarray(0, buf.length - 1);
    for (let i = 0; i < buf.length; i += 2) {
      const v = Math.abs(buf.readInt16LE(i)) / 32768;
      const n = samples + i / 2;
      if (v > LOUD) {
        if (n - lastLoud > (QUIET_MS * RATE) / 1000) onsets.push(n);
        lastLoud = n;
      }
    }
    samples += buf.length / 2;
    base = Math.min(base, now - (samples * 1000) / RATE);
  });
  return {
    async stop() {
      rec.kill('SIGTERM');
      await new Promise((r) => (rec.exitCode !== null || rec.signalCode !== null ? r() : rec.on('close', r)));
      if (samples === 0) throw new Error(`parec recorded nothing: ${err}`);
      return onsets.map((n) => base + (n * 1000) / RATE);
    },
  };
}

/** Wraps the page's audio scheduling and drawing (see the top); call once the player plays. */
export function instrumentPage(browser) {
  return browser.evaluate(() => {
    if (window.avProbe) return;
    const probe = { ticks: [], draws: [], lastLoud: -Infinity };
    window.avProbe = probe;
    const start = AudioBufferSourceNode.prototype.start;
    AudioBufferSourceNode.prototype.start = function (when = 0, offset = 0, ...rest) {
      const audio = window.ssePlayer?.path?.audio;
      const b = this.buffer;
      if (audio?.clock?.offset != null && b) {
        const d = b.getChannelData(0);
        const at = (k) => when - offset + k / b.sampleRate; // the context time sample k plays at
        let i = Math.floor(offset * b.sampleRate);
        while (i < d.length && Math.abs(d[i]) <= 0.1) i++;
        if (i < d.length) {
          if (at(i) - probe.lastLoud > 0.3) {
            const ctx = audio.ctx;
            probe.ticks.push({
              pts: (at(i) - audio.clock.offset) * 1e6,
              // when the context renders it, in page time (without any output latency)
              renderAt: performance.timeOrigin + performance.now() + (at(i) - ctx.currentTime) * 1000,
              outputLatencyMs: (ctx.outputLatency || 0) * 1000,
              baseLatencyMs: (ctx.baseLatency || 0) * 1000,
            });
          }
          let j = d.length - 1;
          while (Math.abs(d[j]) <= 0.1) j--;
          probe.lastLoud = at(j);
        }
      }
      return start.call(this, when, offset, ...rest);
    };
    const draw = CanvasRenderingContext2D.prototype.drawImage;
    CanvasRenderingContext2D.prototype.drawImage = function (image, ...rest) {
      if (typeof VideoFrame !== 'undefined' && image instanceof VideoFrame) {
        probe.draws.push({ pts: image.timestamp, at: performance.timeOrigin + performance.now() });
        if (probe.draws.length > 2000) probe.draws.shift();
      }
      return draw.call(this, image, ...rest);
    };
  });
}

/**
 * Pairs each tick heard with the tick the page scheduled (the latest whose
 * render time is before it, within 1 s) and with the picture of its PTS
 * (drawn at the draw time of the nearest frame, moved by the PTS
 * difference). Returns one entry per pair: offsetMs, heard − drawn
 * (positive: the sound after the picture); outputMs, heard − rendered (the
 * output's real latency), next to what the engine reported.
 */
export async function pairTicks(browser, heard) {
  const { ticks, draws } = await browser.evaluate(() => ({ ticks: window.avProbe.ticks, draws: window.avProbe.draws }));
  const pairs = [];
  for (const h of heard) {
    const tick = ticks.filter((t) => t.renderAt <= h + 20 && h - t.renderAt < 1000).at(-1);
    if (!tick || draws.length === 0) continue;
    const frame = draws.reduce((a, b) => (Math.abs(b.pts - tick.pts) < Math.abs(a.pts - tick.pts) ? b : a));
    if (Math.abs(frame.pts - tick.pts) > 50000) continue; // no picture drawn near its PTS
    const drawnAt = frame.at + (tick.pts - frame.pts) / 1000;
    pairs.push({
      offsetMs: h - drawnAt,
      outputMs: h - tick.renderAt,
      reportedMs: tick.outputLatencyMs || tick.baseLatencyMs,
    });
  }
  return pairs;
}
