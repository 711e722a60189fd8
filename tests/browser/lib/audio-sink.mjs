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
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const PULSEAUDIO = process.env.PULSEAUDIO ?? '/usr/bin/pulseaudio';

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
  const stop = () => {
    process.off('exit', stop);
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
  const streams = () => new Promise((resolve, reject) => {
    execFile('pactl', ['list', 'short', 'sink-inputs'], { env: { ...process.env, ...env }, timeout: 10000 }, (e, out) => {
      if (e) reject(new Error(`pactl list short sink-inputs: ${e.message}`));
      else resolve(out.split('\n').filter((l) => l.trim()));
    });
  });
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
