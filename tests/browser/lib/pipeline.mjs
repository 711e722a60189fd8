// Runs gst-launch-1.0 with the ssesink built in this tree and learns the
// port it listens on from the `current-port` notify line that -v prints.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
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
  return audio ? `${video} audiotestsrc is-live=true wave=sine ! voaacenc ! aacparse ! mux.` : video;
}

/**
 * Starts a pipeline (its ssesink gets port=0 unless `port` is given; -e with
 * `eos` so that SIGINT ends the stream with EOS; `debug`: GST_DEBUG, its log
 * in output()) and resolves once the server listens: {port, stop(signal),
 * exited, output()}.
 */
export async function startPipeline(description, { port = 0, eos = false, debug = '' } = {}) {
  if (!fs.existsSync(path.join(PLUGIN_DIR, 'libgstsse.so'))) {
    throw new Error(`no ssesink in ${PLUGIN_DIR}: build it with 'meson setup build && ninja -C build'`);
  }
  const args = ['-v', ...(eos ? ['-e'] : []), ...splitLaunchLine(description.replace(/\bssesink\b/, `ssesink port=${port}`))];
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
