import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wallOptions, pairStreams, gridFor, DEFAULT_GRACE_MS } from '../src/wall-layout.js';

const base = 'http://127.0.0.1:8080/';

test('streams: the server list, or ?streams= (comma-separated, repeated, slash optional)', () => {
  assert.deepEqual(wallOptions({ search: '', baseUrl: base, metaStreams: '/a,/b' }).streams, ['/a', '/b']);
  assert.deepEqual(wallOptions({ search: '?streams=/b,c&streams=/d,/b', baseUrl: base, metaStreams: '/a' }).streams,
    ['/b', '/c', '/d']);
  assert.deepEqual(wallOptions({ search: '', baseUrl: base }).streams, []);
  assert.deepEqual(wallOptions({ search: '', baseUrl: base, metaStreams: '/cam1,/cam10,/cam1/hd,/cam2' }).streams,
    ['/cam1', '/cam1/hd', '/cam2', '/cam10']);
});

test('the mux URL: the server meta, ?mux=, or ./streams; ?mux=0 or an empty meta is none', () => {
  const o = (search, metaMux) => wallOptions({ search, baseUrl: base, metaMux }).muxUrl;
  assert.equal(o('', '/streams'), 'http://127.0.0.1:8080/streams');
  assert.equal(o('', '/live/all'), 'http://127.0.0.1:8080/live/all');
  assert.equal(o('', ''), null);
  assert.equal(o('?mux=0', '/streams'), null);
  assert.equal(o('', null), 'http://127.0.0.1:8080/streams');
  assert.equal(o('?base=http://other:9/', null), 'http://other:9/streams');
  assert.equal(o('?token=s3cret', '/streams'), 'http://127.0.0.1:8080/streams?token=s3cret');
});

test('numbers: grace and tileMin, with a warning for nonsense', () => {
  const d = wallOptions({ search: '', baseUrl: base });
  assert.equal(d.graceMs, DEFAULT_GRACE_MS);
  const o = wallOptions({ search: '?grace=500&tileMin=x', baseUrl: base });
  assert.equal(o.graceMs, 500);
  assert.equal(o.warnings.length, 1);
  assert.match(o.warnings[0], /tileMin/);
});

test('pairs: P/hd is the main stream of P; alone it is a tile', () => {
  assert.deepEqual(pairStreams(['/cam1', '/cam1/hd', '/cam2', '/cam3/hd']), [
    { path: '/cam1', main: '/cam1/hd' },
    { path: '/cam2', main: null },
    { path: '/cam3/hd', main: null },
  ]);
  assert.deepEqual(pairStreams(['/cam1/hd', '/cam1']), [{ path: '/cam1', main: '/cam1/hd' }]);
});

test('grid: the largest tiles that fit, else columns of the minimum width and a scroll', () => {
  assert.deepEqual(gridFor(16, 960, 600), { cols: 4, rows: 4, tileWidth: 240, tileHeight: 135, scrolls: false });
  assert.equal(gridFor(1, 960, 600).cols, 1);
  assert.equal(gridFor(2, 960, 600).cols, 1); // stacked: wider tiles than side by side
  assert.equal(gridFor(2, 1600, 400).cols, 2);
  const g = gridFor(10, 960, 600, { minWidth: 480 });
  assert.equal(g.cols, 2);
  assert.equal(g.scrolls, true);
  assert.equal(gridFor(0, 960, 600).rows, 0);
  // Gaps count: 10 tiles in 960x600 with 4 px gaps fit in 4 rows of 3 only if smaller.
  const gg = gridFor(10, 960, 600, { gap: 4 });
  assert.ok(gg.rows * gg.tileHeight + (gg.rows - 1) * 4 <= 600 && gg.cols * gg.tileWidth + (gg.cols - 1) * 4 <= 960);
});
