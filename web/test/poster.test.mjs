// The poster's snapshot URL (poster.js): the stream's path + /snapshot.jpg,
// keeping only its token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { snapshotUrl } from '../src/poster.js';

test('the snapshot URL is the stream path + /snapshot.jpg', () => {
  assert.equal(snapshotUrl('http://cam:8080/stream'), 'http://cam:8080/stream/snapshot.jpg');
  assert.equal(snapshotUrl('http://cam:8080/cam/1/'), 'http://cam:8080/cam/1/snapshot.jpg');
  assert.equal(snapshotUrl('/stream', 'https://h.example/player/'), 'https://h.example/stream/snapshot.jpg');
  assert.equal(snapshotUrl('stream', 'https://h.example/player/'), 'https://h.example/player/stream/snapshot.jpg');
  assert.equal(snapshotUrl('http://cam/'), 'http://cam/snapshot.jpg');
});

test('only the token of the query is kept', () => {
  assert.equal(snapshotUrl('http://cam/stream?token=a%20b&lastEventId=5#x'), 'http://cam/stream/snapshot.jpg?token=a+b');
  assert.equal(snapshotUrl('http://cam/stream?lastEventId=5'), 'http://cam/stream/snapshot.jpg');
});

test('a URL that does not parse gives none', () => {
  assert.equal(snapshotUrl('http://[bad'), null);
  assert.equal(snapshotUrl('/stream'), null); // relative without a base
});
