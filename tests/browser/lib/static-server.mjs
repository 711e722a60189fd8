// Serves web/ the way the element does: files at their paths under web/, and
// vendor/mpegts.js from web/node_modules. Used to load the player from a
// different origin than the stream (the element then needs cors-origin).
// index.html gets an inline script before the player's own: one that keeps
// the console's lines in window.__sseConsole (WebDriver classic has no
// console events), and a test's init script under a /init/N/ prefix made by
// withInitScript(): the same way for every engine to change the page before
// the player starts, as WebDriver classic has no addInitScript either.
import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_DIR = fileURLToPath(new URL('../../../web/', import.meta.url));
const MPEGTS_DIST = path.join(WEB_DIR, 'node_modules/mpegts.js/dist/mpegts.js');

const INDEX = path.join(WEB_DIR, 'index.html');

// Runs in the page before anything else: keeps the last 200 console lines.
const RECORD_CONSOLE = `(() => {
  const lines = (window.__sseConsole = []);
  const keep = (line) => { lines.push(line); if (lines.length > 200) lines.shift(); };
  for (const type of ['log', 'info', 'warn', 'error', 'debug']) {
    const real = console[type].bind(console);
    console[type] = (...args) => { keep(type + ': ' + args.map(String).join(' ')); real(...args); };
  }
  addEventListener('error', (e) => keep('pageerror: ' + e.message));
  addEventListener('unhandledrejection', (e) => keep('unhandledrejection: ' + e.reason));
})();`;

/** Puts `script` inline before the first <script> of the page. */
function injectScript(html, script) {
  const at = html.indexOf('<script');
  if (at < 0) throw new Error('index.html has no <script> to put the test script before');
  return `${html.slice(0, at)}<script>${script.replace(/<\/script/gi, '<\\/script')}</script>\n  ${html.slice(at)}`;
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * Starts the server on 127.0.0.1 and a free port; resolves to {url, close()}.
 * `vendor: false` serves no mpegts.js, as an element built without it.
 */
export async function startStaticServer({ vendor = true } = {}) {
  const initScripts = [];
  const server = http.createServer(async (req, res) => {
    let { pathname } = new URL(req.url, 'http://localhost');
    let init = '';
    const prefixed = /^\/init\/(\d+)(\/.*)$/.exec(pathname);
    if (prefixed && initScripts[prefixed[1]] !== undefined) {
      init = initScripts[prefixed[1]];
      pathname = prefixed[2];
    }
    let file;
    if (pathname === '/vendor/mpegts.js' && vendor) file = MPEGTS_DIST;
    else file = path.join(WEB_DIR, path.normalize(pathname === '/' ? '/index.html' : pathname));
    const servable = file === MPEGTS_DIST ||
      (file.startsWith(WEB_DIR) && !file.includes(`${path.sep}node_modules${path.sep}`));
    if (!servable) {
      res.writeHead(403).end();
      return;
    }
    try {
      let body = await fs.readFile(file);
      if (file === INDEX) body = injectScript(body.toString(), `${RECORD_CONSOLE}\n${init}`);
      res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/`;
  return {
    url,
    /**
     * A base URL whose index.html runs `fn(arg)` before the player starts
     * (`arg` as JSON); its other files are the same as at `url`.
     */
    withInitScript(fn, arg = null) {
      initScripts.push(`(${fn})(${JSON.stringify(arg)});`);
      return `${url}init/${initScripts.length - 1}/`;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
