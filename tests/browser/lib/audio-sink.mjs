// A sound server for one browser launch: a PulseAudio daemon of its own
// (Debian's `pulseaudio`) with a null sink, which plays nothing but
// consumes the sound at the real rate on its own timer, as a sound card
// would. The browser gets `PULSE_SERVER` pointing at its socket; Firefox's
// AudioContext never starts without a sound server (its cubeb has no other
// backend here), WebKitGTK's GStreamer picks pulsesink, Chromium's output
// goes there instead of its fake one. The daemon runs in a private
// directory (runtime dir, home: no cookie, no D-Bus, no autospawn), as any
// user (root too: it warns, then runs), and ends with stop().
// Without pulseaudio installed, startAudioSink() resolves to
// {env: {}, reason} and the browser runs without sound.
// While nothing plays, the null sink renders in blocks of 2 s (its largest
// latency), and a stream that starts then waits for the rest of the block
// (the sink rewinds only the stream's own latency): a clock that stands
// still for up to 2 s, where a sound card plays the stream at once. Firefox
// opens a new stream at each seek of a <video> with sound (1.8 s behind
// live on the MSE path, docs/performance.md). So a silent stream of our own
// (pacat from /dev/zero, 40 ms latency) plays all the time and keeps the
// sink in blocks of some 20 ms; streams() leaves it out.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const PULSEAUDIO = process.env.PULSEAUDIO ?? '/usr/bin/pulseaudio';
export const PACAT = process.env.PACAT ?? '/usr/bin/pacat';
const KEEPALIVE_MS = 40;

const READY_MS = 10000;

/**
 * @returns {Promise<{env:Record<string,string>, reason:string|null, stop:()=>void,
 *   streams:()=>Promise<string[]>}>}
 *   env: for the browser's environment; reason: why there is no sound server;
 *   streams: the streams playing into the null sink now (`pactl list short
 *   sink-inputs`: index, sink, client, driver, sample spec)
 */
export async function startAudioSink() {
  if (!fs.existsSync(PULSEAUDIO)) {
    return { env: {}, reason: `${PULSEAUDIO} is missing (install pulseaudio)`, stop: () => {}, streams: async () => [] };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gst-sse-pulse-'));
  const socket = path.join(dir, 'native');
  const daemon = spawn(PULSEAUDIO, [
    '-n', '--daemonize=no', '--exit-idle-time=-1', '--use-pid-file=false', '--log-target=stderr',
    '--load=module-null-sink sink_name=null',
    `--load=module-native-protocol-unix socket=${socket} auth-anonymous=1`,
  ], {
    env: { ...process.env, XDG_RUNTIME_DIR: dir, HOME: dir, PULSE_SERVER: '', DISPLAY: '', DBUS_SESSION_BUS_ADDRESS: 'disabled:' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  daemon.stderr.on('data', (d) => (log = (log + d).slice(-4000)));
  let keepalive = null;
  const stop = () => {
    process.off('exit', stop);
    if (keepalive && keepalive.exitCode === null && keepalive.signalCode === null) keepalive.kill('SIGTERM');
    if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', stop);
  const deadline = Date.now() + READY_MS;
  while (!(await accepts(socket))) {
    if (daemon.exitCode !== null || Date.now() > deadline) {
      stop();
      throw new Error(`pulseaudio did not start its null sink (exit ${daemon.exitCode}): ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const env = { PULSE_SERVER: `unix:${socket}` };
  const list = () => new Promise((resolve, reject) => {
    execFile('pactl', ['list', 'short', 'sink-inputs'], { env: { ...process.env, ...env }, timeout: 10000 }, (e, out) => {
      if (e) reject(new Error(`pactl list short sink-inputs: ${e.message}`));
      else resolve(out.split('\n').filter((l) => l.trim()));
    });
  });
  let own = null; // the keep-alive's sink-input line, left out of streams()
  if (fs.existsSync(PACAT)) {
    keepalive = spawn(PACAT, ['--playback', '--raw', '--format=s16le', '--rate=48000', '--channels=2',
      `--latency-msec=${KEEPALIVE_MS}`, '--client-name=gst-sse-keepalive', '/dev/zero'], {
      env: { ...process.env, ...env }, stdio: 'ignore',
    });
    while (own === null && keepalive.exitCode === null && Date.now() < deadline) {
      const lines = await list().catch(() => []);
      if (lines.length > 0) own = lines[0];
      else await new Promise((r) => setTimeout(r, 50));
    }
    if (own === null) {
      stop();
      throw new Error(`${PACAT} did not start its silent stream into the null sink: ${log}`);
    }
  }
  const ownIndex = own?.split(/\s+/)[0];
  const streams = async () => (await list()).filter((l) => l.split(/\s+/)[0] !== ownIndex);
  return { env, reason: null, stop, streams };
}

function accepts(socket) {
  return new Promise((resolve) => {
    const c = net.connect(socket, () => {
      c.destroy();
      resolve(true);
    });
    c.on('error', () => resolve(false));
  });
}
