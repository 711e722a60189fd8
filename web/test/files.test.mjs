// The README's table of files the element embeds must list every file the
// page loads, so that the element serves a player that works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = fileURLToPath(new URL('..', import.meta.url));
const read = (file) => fs.readFileSync(path.join(WEB, file), 'utf8');

/** Files index.html (or another page) loads, following static imports of the modules. */
function loadedFiles(page = 'index.html') {
  const html = read(page);
  const files = new Set(page === 'index.html' ? [] : [page]); // index.html: the row of `/`
  const queue = [];
  for (const m of html.matchAll(/<(?:script|link)\b[^>]*?(?:src|href)="([^":]+)"/g)) {
    files.add(m[1]);
    if (m[1].endsWith('.js')) queue.push(m[1]);
  }
  while (queue.length > 0) {
    const file = queue.shift();
    for (const m of read(file).matchAll(/^import\s[^;]*?from\s+'(\.[^']+)'/gm)) {
      const dep = path.posix.join(path.posix.dirname(file), m[1]);
      if (!files.has(dep)) {
        files.add(dep);
        queue.push(dep);
      }
    }
  }
  return files;
}

/** URL path -> file, from the README table. */
function embeddedFiles() {
  const rows = new Map();
  for (const m of read('README.md').matchAll(/^\| `(\/[^`]+)`(?:, `[^`]+`)? \| `([^`]+)`/gm)) {
    rows.set(m[1], m[2]);
  }
  return rows;
}

test('README lists every file the pages load, at its own path', () => {
  const embedded = embeddedFiles();
  for (const page of ['index.html', 'wall.html']) {
    for (const file of loadedFiles(page)) {
      assert.equal(embedded.get(`/${file}`), file, `${file} (${page}) missing from the README table`);
    }
  }
});

test('every file in the README table exists', () => {
  const embedded = embeddedFiles();
  assert.ok(embedded.size > 5);
  for (const [url, file] of embedded) {
    if (url === '/vendor/mpegts.js') continue; // installed by npm ci, not in git
    assert.ok(fs.existsSync(path.join(WEB, file)), `${file} does not exist`);
  }
});

test('mpegts.js comes from vendor/ next to index.html and from the pinned npm package', () => {
  assert.equal(embeddedFiles().get('/vendor/mpegts.js'), 'node_modules/mpegts.js/dist/mpegts.js');
  assert.match(read('src/mse-path.js'), /new URL\('\.\.\/vendor\/mpegts\.js', import\.meta\.url\)/);
  const pkg = JSON.parse(read('package.json'));
  assert.match(pkg.dependencies['mpegts.js'], /^\d+\.\d+\.\d+$/, 'exact version');
  const lock = JSON.parse(read('package-lock.json'));
  assert.equal(lock.packages['node_modules/mpegts.js'].version, pkg.dependencies['mpegts.js']);
});
