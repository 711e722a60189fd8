import { test } from 'node:test';
import assert from 'node:assert/strict';
import { playerOptions } from '../src/config.js';

const base = 'http://127.0.0.1:8080/cam1/';

test('the stream defaults to ./stream relative to the page', () => {
  assert.equal(playerOptions({ search: '', baseUrl: base }).src, 'http://127.0.0.1:8080/cam1/stream');
});

test('a meta tag from the element sets the stream path', () => {
  assert.equal(playerOptions({ search: '', baseUrl: base, metaSrc: '/live' }).src, 'http://127.0.0.1:8080/live');
});

test('?src overrides the meta tag and may point elsewhere', () => {
  const o = playerOptions({ search: '?src=http://10.0.0.2:9000/stream', baseUrl: base, metaSrc: '/live' });
  assert.equal(o.src, 'http://10.0.0.2:9000/stream');
  assert.equal(playerOptions({ search: '?src=other', baseUrl: base }).src, 'http://127.0.0.1:8080/cam1/other');
});

test('?mode forces a path; unknown modes fall back to auto with a warning', () => {
  assert.equal(playerOptions({ search: '?mode=mse', baseUrl: base }).mode, 'mse');
  assert.equal(playerOptions({ search: '?mode=WebCodecs', baseUrl: base }).mode, 'webcodecs');
  const o = playerOptions({ search: '?mode=flash', baseUrl: base });
  assert.equal(o.mode, 'auto');
  assert.equal(o.warnings.length, 1);
});

test('?stats shows the overlay', () => {
  assert.equal(playerOptions({ search: '?stats=1', baseUrl: base }).showStats, true);
  assert.equal(playerOptions({ search: '?stats', baseUrl: base }).showStats, true);
  assert.equal(playerOptions({ search: '?stats=0', baseUrl: base }).showStats, false);
  assert.equal(playerOptions({ search: '', baseUrl: base }).showStats, false);
});

test('?token is passed on to the stream, unless the stream URL has its own', () => {
  assert.equal(playerOptions({ search: '?token=a%20b', baseUrl: base, metaSrc: '/live' }).src,
    'http://127.0.0.1:8080/live?token=a+b');
  assert.equal(playerOptions({ search: '?token=x&src=/s%3Ftoken%3Dy', baseUrl: base }).src,
    'http://127.0.0.1:8080/s?token=y');
});

test('?src repeated lists several stream URLs for failover, in order', () => {
  const o = playerOptions({
    search: '?src=http://n1:8081/sub/live&src=http://n2:8082/sub/live&src=&src=http://n1:8081/sub/live',
    baseUrl: base,
  });
  assert.deepEqual(o.sources, ['http://n1:8081/sub/live', 'http://n2:8082/sub/live']);
  assert.equal(o.src, 'http://n1:8081/sub/live');
  assert.deepEqual(playerOptions({ search: '', baseUrl: base }).sources, ['http://127.0.0.1:8080/cam1/stream']);
  assert.deepEqual(playerOptions({ search: '?src=a&src=/b&token=t', baseUrl: base }).sources,
    ['http://127.0.0.1:8080/cam1/a?token=t', 'http://127.0.0.1:8080/b?token=t']);
});
