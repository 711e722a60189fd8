// Serves web/ the way the element does: files at their paths under web/, and
// vendor/mpegts.js from web/node_modules. Used to load the player from a
// different origin than the stream (the element then needs cors-origin).
import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_DIR = fileURLToPath(new URL('../../../web/', import.meta.url));
const MPEGTS_DIST = path.join(WEB_DIR, 'node_modules/mpegts.js/dist/mpegts.js');

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
  const server = http.createServer(async (req, res) => {
    const { pathname } = new URL(req.url, 'http://localhost');
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
      const body = await fs.readFile(file);
      res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
