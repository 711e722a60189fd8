// WebKitGTK (Debian's webkit2gtk-driver): WebKitWebDriver, spoken to in W3C
// WebDriver classic over HTTP with Node's fetch, starts MiniBrowser in
// automation mode on an Xvfb display of its own. Only the few commands the
// tests need; every reply's `value.error` becomes a thrown Error.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { engineHooks } from './engine-common.mjs';
import { startHostProxy } from './host-proxy.mjs';
import { startAudioSink } from './audio-sink.mjs';

export const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER ?? '/usr/bin/WebKitWebDriver';
export const MINIBROWSER = process.env.MINIBROWSER ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

const COMMAND_TIMEOUT_MS = 60000;

// The web element reference key of the W3C spec.
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

export async function launchWebKit({ ignoreHTTPSErrors = false, hosts = [] } = {}) {
  for (const file of [WEBKIT_DRIVER, MINIBROWSER]) {
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: install webkit2gtk-driver (WEBKIT_DRIVER, MINIBROWSER)`);
  }
  const children = [];
  // The driver first (MiniBrowser goes with the display), also when the
  // test process ends without close().
  const stopAll = () => {
    process.off('exit', stopAll);
    for (const c of children.reverse()) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    children.length = 0;
  };
  process.on('exit', stopAll);
  // WebKitGTK has no host resolver rules: names in `hosts` go through a
  // proxy on loopback that connects them to 127.0.0.1 (and refuses others).
  const hostProxy = hosts.length ? await startHostProxy(hosts) : null;
  // Sound through GStreamer's pulsesink to a null sink (lib/audio-sink.mjs).
  const sink = await startAudioSink();
  const stopProxy = () => {
    sink.stop();
    return hostProxy?.close();
  };
  try {
    const display = await startXvfb(children);
    const port = await freePort();
    const driver = spawn(WEBKIT_DRIVER, [`--port=${port}`], {
      // PULSE_LATENCY_MSEC: WebKitGTK's pulsesink asks the server for no
      // latency, and the null sink then buffers up to 2 s (1.5 s seen),
      // which WebKit's AudioContext reports nowhere (outputLatency 0) and
      // its currentTime runs ahead into; 30 ms is what a sound card gives.
      env: { ...process.env, ...sink.env, ...(sink.reason ? {} : { PULSE_LATENCY_MSEC: '30' }), DISPLAY: display, WAYLAND_DISPLAY: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(driver);
    let driverErr = '';
    driver.stderr.on('data', (d) => (driverErr = (driverErr + d).slice(-4000)));
    const base = `http://127.0.0.1:${port}`;
    await waitUntilReady(base, driver, () => driverErr);

    const created = await command(base, 'POST', '/session', {
      capabilities: {
        alwaysMatch: {
          acceptInsecureCerts: ignoreHTTPSErrors,
          ...(hostProxy ? { proxy: { proxyType: 'manual', httpProxy: `127.0.0.1:${hostProxy.port}` } } : {}),
          'webkitgtk:browserOptions': {
            binary: MINIBROWSER,
            args: ['--automation', '--autoplay-policy=allow', '--enable-mediasource=true',
              '--media-playback-requires-user-gesture=false'],
          },
        },
      },
    });
    const session = `${base}/session/${created.sessionId}`;
    const wd = (method, path, body) => command(session, method, path, body);
    await wd('POST', '/window/rect', { width: 960, height: 600 }).catch(() => {});

    const evaluate = async (fn, arg) => {
      // execute/async with a callback: the page function may return a promise.
      const script = `const done = arguments[arguments.length - 1];
        Promise.resolve().then(() => (${fn}).apply(null, [arguments[0]]))
          .then((v) => done({ ok: v === undefined ? null : v }), (e) => done({ error: String(e && e.stack || e) }));`;
      const r = await wd('POST', '/execute/async', { script, args: [arg ?? null] });
      if (r && 'error' in r) throw new Error(`in the page: ${r.error}`);
      return r?.ok;
    };
    const element = async (selector) => (await wd('POST', '/element', { using: 'css selector', value: selector }))[ELEMENT];

    return engineHooks('webkit', {
      noSoundServer: sink.reason,
      soundStreams: sink.streams,
      soundEnv: sink.env,
      evaluate,
      goto: (url) => wd('POST', '/url', { url }),
      async click(selector) {
        await wd('POST', `/element/${await element(selector)}/click`, {});
      },
      async press(key) {
        await wd('POST', '/actions', {
          actions: [{ type: 'key', id: 'keyboard', actions: [{ type: 'keyDown', value: key }, { type: 'keyUp', value: key }] }],
        });
        await wd('DELETE', '/actions').catch(() => {});
      },
      // The page hidden as a user hides it: its window minimized
      // (WebDriver's Minimize Window; WebKitGTK then reports the page
      // hidden, also under Xvfb without a window manager); showPage()
      // restores it (Set Window Rect restores a minimized window).
      async hidePage() {
        await wd('POST', '/window/minimize', {});
      },
      async showPage() {
        await wd('POST', '/window/rect', { width: 960, height: 600 });
      },
      async screenshot(file) {
        fs.writeFileSync(file, Buffer.from(await wd('GET', '/screenshot'), 'base64'));
      },
      // WebDriver classic has no console events: the test server's pages
      // record them (lib/static-server.mjs); other pages have none to give.
      logs: () => evaluate(() => window.__sseConsole ?? ['(console not recorded on this page)']).catch((e) => [String(e)]),
      async close() {
        await wd('DELETE', '').catch(() => {});
        stopAll();
        await stopProxy();
      },
    });
  } catch (e) {
    stopAll();
    await stopProxy();
    throw e;
  }
}

async function command(base, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS), // a hung browser fails the test, never hangs it
  });
  const reply = await res.json().catch(() => ({}));
  const value = reply.value ?? null;
  if (!res.ok || (value && value.error)) {
    throw new Error(`WebDriver ${method} ${path}: ${value?.error ?? res.status}: ${value?.message ?? ''}`);
  }
  return value;
}

/** Xvfb on the first free display (-displayfd prints its number). */
export function startXvfb(children) {
  const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  children.push(xvfb);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    xvfb.stderr.on('data', (d) => (err += d));
    xvfb.stdio[3].on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(`:${out.trim()}`);
    });
    xvfb.on('error', (e) => reject(new Error(`cannot start Xvfb (install xvfb): ${e.message}`)));
    xvfb.on('exit', (code) => reject(new Error(`Xvfb exited (${code}): ${err}`)));
    setTimeout(() => reject(new Error(`Xvfb gave no display in 10 s: ${err}`)), 10000).unref();
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitUntilReady(base, driver, stderr) {
  const deadline = Date.now() + 15000;
  for (;;) {
    if (driver.exitCode !== null) throw new Error(`WebKitWebDriver exited (${driver.exitCode}): ${stderr()}`);
    const ready = await fetch(`${base}/status`).then((r) => r.json()).then((j) => j.value?.ready).catch(() => false);
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`WebKitWebDriver not ready in 15 s: ${stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
