// Runs gst-launch-1.0 with the ssesink built in this tree and learns the
// port it listens on from the `current-port` notify line that -v prints.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BUILD_DIR = process.env.GST_SSE_BUILD_DIR ??
  fileURLToPath(new URL('../../../build/', import.meta.url));
export const PLUGIN_DIR = path.join(BUILD_DIR, 'ext/sse');

/**
 * Live test video: videotestsrc with a clock overlay, low-latency H.264.
 * `format` is the raw format x264enc gets, I420 so that it encodes High
 * 4:2:0 8-bit, which every engine decodes (videotestsrc's own default
 * would give High 4:4:4, which Firefox cannot); `encoder` replaces x264enc.
 */
export function videoPipeline({
  keyInt = 30, width = 640, height = 360, audio = false, sink = '', format = 'I420',
  encoder = `x264enc tune=zerolatency key-int-max=${keyInt}`,
} = {}) {
  const video = `videotestsrc is-live=true ! video/x-raw,width=${width},height=${height},framerate=30/1 ` +
    `! timeoverlay font-desc="Sans 36" ! videoconvert ! video/x-raw,format=${format} ` +
    `! ${encoder} ! mpegtsmux name=mux ` +
    `! ssesink address=127.0.0.1 cors-origin=* ${sink}`;
  return audio ? `${video} audiotestsrc is-live=true wave=ticks ! voaacenc ! aacparse ! mux.` : video;
}

/**
 * Starts a pipeline (its ssesink gets port=0 unless `port` is given; -e with
 * `eos` so that SIGINT ends the stream with EOS; `debug`: GST_DEBUG, its log
 * in output()) and resolves once the server listens: {port, stop(signal),
 * exited, output()}. With `listening: false` (a pipeline without an ssesink,
 * e.g. one that feeds another through a FIFO) it resolves once it is set to
 * PLAYING (port 0).
 */
export async function startPipeline(description, { port = 0, eos = false, debug = '', listening: hasSink = true } = {}) {
  if (!fs.existsSync(path.join(PLUGIN_DIR, 'libgstsse.so'))) {
    throw new Error(`no ssesink in ${PLUGIN_DIR}: build it with 'meson setup build && ninja -C build'`);
  }
  const launchLine = hasSink ? description.replace(/\bssesink\b/, `ssesink port=${port}`) : description;
  const args = ['-v', ...(eos ? ['-e'] : []), ...splitLaunchLine(launchLine)];
  const child = spawn('gst-launch-1.0', args, {
    env: { ...process.env, GST_PLUGIN_PATH: PLUGIN_DIR, ...(debug ? { GST_DEBUG: debug, GST_DEBUG_NO_COLOR: '1' } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const listening = new Promise((resolve, reject) => {
    const onData = (data) => {
      output += data;
      const m = /current-port = (\d+)/.exec(output);
      if (m && Number(m[1]) > 0) resolve(Number(m[1]));
      if (!hasSink && /Setting pipeline to PLAYING/.test(output)) resolve(0); // no ssesink: started
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then(({ code, signal }) => reject(new Error(`gst-launch-1.0 exited (${code ?? signal}):\n${output}`)));
    setTimeout(() => reject(new Error(`ssesink did not report a port in 15 s:\n${output}`)), 15000).unref();
  });
  const stop = async (signal = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  try {
    return { port: await listening, stop, exited, child, output: () => output };
  } catch (e) {
    await stop('SIGKILL');
    throw e;
  }
}

// gst-launch takes the description as separate argv words; quotes group words.
function splitLaunchLine(line) {
  const words = [];
  const re = /([^\s"]*"[^"]*"[^\s"]*|[^\s]+)/g;
  for (const m of line.matchAll(re)) words.push(m[1].replace(/"/g, ''));
  return words;
}

/** A port free on 127.0.0.1 now, for ssesinks that must share one (port 0 gives each its own). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

// Cheap test patterns that look different from each other and are never flat.
// (Not the zone plates: their luma is flat at the default settings.)
const PATTERNS = ['smpte', 'ball', 'pinwheel', 'spokes', 'circular', 'checkers-8', 'colors', 'smpte75',
  'gamut', 'smpte100', 'bar', 'gradient', 'checkers-4', 'smpte-rp-219', 'checkers-2', 'checkers-1'];

/**
 * Several cameras in one gst-launch-1.0 process, every ssesink on `port`
 * with its own path (one server: the wall's multiplexed endpoint serves
 * them all). `cams`: [{path, width=320, height=180, numBuffers}] (numBuffers:
 * that camera ends with EOS after so many frames). `sink`: more properties
 * for the first ssesink (e.g. metrics-path=/metrics).
 */
export function wallPipeline(cams, { port, keyInt = 30, sink = '' }) {
  return cams.map(({ path: p, width = 320, height = 180, numBuffers = -1 }, i) =>
    `videotestsrc is-live=true pattern=${PATTERNS[i % PATTERNS.length]} num-buffers=${numBuffers} ` +
    `! video/x-raw,width=${width},height=${height},framerate=30/1 ! timeoverlay font-desc="Sans 16" ` +
    `! videoconvert ! video/x-raw,format=I420 ` +
    `! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=${keyInt} ! mpegtsmux ` +
    `! ssesink address=127.0.0.1 port=${port} path=${p} cors-origin=* ${i === 0 ? sink : ''}`).join(' ');
}
