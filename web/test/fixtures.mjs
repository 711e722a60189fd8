// Test fixtures: MPEG-TS files made by GStreamer at test time (nothing binary
// is committed; needs x264enc, x265enc, voaacenc, mpegtsmux). Each fixture is generated once per process into a temp dir.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gst-sse-web-fixtures-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

const PIPELINES = {
  // 60 frames 320x240, IDR every 30, one slice per frame, no B-frames.
  video: 'videotestsrc num-buffers=60 ! video/x-raw,width=320,height=240,framerate=30/1 ' +
    '! timeoverlay ! x264enc tune=zerolatency key-int-max=30 ! mpegtsmux ! filesink location=OUT',
  // Constrained Baseline, with B-frame-free default GOP.
  baseline: 'videotestsrc num-buffers=10 ! video/x-raw,width=176,height=144 ' +
    '! x264enc tune=zerolatency ! video/x-h264,profile=constrained-baseline ! mpegtsmux ! filesink location=OUT',
  // 1080p noise at a tiny quantizer: IDR frames bigger than 64 KiB, so their
  // PES_packet_length is 0 and the end of each PES must be found otherwise.
  large: 'videotestsrc num-buffers=4 pattern=snow ! video/x-raw,width=1920,height=1080 ' +
    '! x264enc tune=zerolatency pass=quant quantizer=8 key-int-max=2 ! mpegtsmux ! filesink location=OUT',
  // 8-bit 4:2:0 video (High profile) with B-frames, plus AAC audio.
  av: 'videotestsrc num-buffers=60 ! video/x-raw,format=I420,width=320,height=240,framerate=30/1 ' +
    '! x264enc key-int-max=30 bframes=2 ! mpegtsmux name=mux ! filesink location=OUT ' +
    'audiotestsrc num-buffers=90 ! voaacenc ! aacparse ! mux.',
  // The profiles browsers differ on: x264enc follows the raw format.
  h264_444: 'videotestsrc num-buffers=2 ! video/x-raw,format=Y444,width=320,height=240 ' +
    '! x264enc tune=zerolatency ! mpegtsmux ! filesink location=OUT',
  h264_422_10: 'videotestsrc num-buffers=2 ! video/x-raw,format=I422_10LE,width=320,height=240 ' +
    '! x264enc tune=zerolatency ! mpegtsmux ! filesink location=OUT',
  // H.265 (x265enc): Main, Main 10 and Range Extensions 4:4:4; 30 frames with
  // an IRAP picture every 10.
  h265: 'videotestsrc num-buffers=30 ! video/x-raw,format=I420,width=320,height=240,framerate=30/1 ' +
    '! x265enc tune=zerolatency key-int-max=10 ! h265parse ! mpegtsmux ! filesink location=OUT',
  h265_10: 'videotestsrc num-buffers=2 ! video/x-raw,format=I420_10LE,width=352,height=288 ' +
    '! x265enc tune=zerolatency ! h265parse ! mpegtsmux ! filesink location=OUT',
  h265_444: 'videotestsrc num-buffers=2 ! video/x-raw,format=Y444,width=320,height=180 ' +
    '! x265enc tune=zerolatency ! h265parse ! mpegtsmux ! filesink location=OUT',
};

const cache = new Map();

/** Returns the bytes of a named fixture, generating it on first use. */
export function fixture(name) {
  if (!cache.has(name)) {
    const out = path.join(dir, `${name}.ts`);
    const args = PIPELINES[name].replace('OUT', out).split(/\s+/);
    execFileSync('gst-launch-1.0', ['-q', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    cache.set(name, new Uint8Array(fs.readFileSync(out)));
  }
  return cache.get(name);
}

/** Splits bytes into pieces of pseudo-random sizes (deterministic). */
export function* randomPieces(bytes, seed = 1, max = 3000) {
  let state = seed;
  let pos = 0;
  while (pos < bytes.length) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    const size = 1 + (state % max);
    yield bytes.subarray(pos, pos + size);
    pos += size;
  }
}
