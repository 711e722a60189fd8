// The multiplexed source: tags, mux ids, de-duplication by seq per stream
// and epoch, per-tile key gating, the request URL when the set changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseTagged, parseMuxId, formatMuxId, muxRequestUrl, KeyGate, TileSource, MuxConnection, MISSING,
} from '../src/mux-source.js';

/** Just enough of EventSource to see what MuxConnection asks for. */
class FakeEventSource {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 2;
  static instances = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    FakeEventSource.instances.push(this);
  }
  addEventListener() {}
  close() {
    this.closed = true;
  }
}

const tick = (ms = 40) => new Promise((r) => setTimeout(r, ms));
const b64 = (s) => Buffer.from(s).toString('base64');
const media = (path, seq, { key = false, pts = seq * 3000 } = {}) =>
  `${path}\n${JSON.stringify({ seq, key, pts, ts: 1, data: b64(`chunk ${seq}`) })}`;

function tile(conn, path) {
  const seen = { media: [], streams: [], gaps: 0, resets: 0, eos: 0, rejoins: 0, states: [] };
  const t = new TileSource(conn, path, {
    onMedia: (c) => seen.media.push(c.seq),
    onStream: (info, changed) => seen.streams.push({ epoch: info.epoch, changed }),
    onGap: () => seen.gaps++,
    onReset: () => seen.resets++,
    onEos: () => seen.eos++,
    onRejoin: () => seen.rejoins++,
    onState: (s) => seen.states.push(s),
  });
  return { t, seen };
}

test('parseTagged: the path is the first data line, the rest is the JSON', () => {
  assert.deepEqual(parseTagged('/cam1\n{"seq":1}'), { path: '/cam1', body: '{"seq":1}' });
  assert.deepEqual(parseTagged('/a/b c\n{"x":"1\\n2"}\nmore'), { path: '/a/b c', body: '{"x":"1\\n2"}\nmore' });
  assert.equal(parseTagged('{"seq":1}'), null); // untagged (a single-stream event)
  assert.equal(parseTagged('cam1\n{}'), null); // no leading slash
  assert.equal(parseTagged('\n{}'), null);
  assert.equal(parseTagged(undefined), null);
});

test('mux ids: parsed, percent-decoded, and formatted back', () => {
  const id = 'm1;/cam1=1795666877402898;/cam2=1795666877403112';
  const m = parseMuxId(id);
  assert.deepEqual([...m], [['/cam1', 1795666877402898], ['/cam2', 1795666877403112]]);
  assert.equal(formatMuxId(m), id);
  assert.deepEqual([...parseMuxId('m1')], []);
  const odd = new Map([['/a;b=c%d', 5], ['/é x', 7]]);
  const text = formatMuxId(odd);
  assert.equal(text, 'm1;/a%3Bb%3Dc%25d=5;/%C3%A9%20x=7');
  assert.deepEqual([...parseMuxId(text)], [...odd]);
  for (const bad of ['', '123', 'm2;/a=1', 'm1;/a', 'm1;/a=x', 'm1;a=1', 'm1;/a=-1', 'm1;/%E0=1']) {
    assert.equal(parseMuxId(bad), null, bad);
  }
});

test('muxRequestUrl: paths comma-separated, lastEventId only when resuming', () => {
  const u = new URL(muxRequestUrl('http://h:1/streams', ['/cam1', '/cam2'], 'm1;/cam1=5'));
  assert.equal(u.pathname, '/streams');
  assert.equal(u.searchParams.get('paths'), '/cam1,/cam2');
  assert.equal(u.searchParams.get('lastEventId'), 'm1;/cam1=5');
  assert.equal(new URL(muxRequestUrl('http://h:1/streams?lastEventId=x', ['/a'])).searchParams.has('lastEventId'), false);
});

test('KeyGate: withholds while inactive, starts again at a key chunk after a rejoin', () => {
  const g = new KeyGate();
  let rejoins = 0;
  const pass = (key, pts = 1) => g.pass({ key, pts }, () => rejoins++);
  assert.equal(pass(false), false); // a join starts at a key
  assert.equal(pass(true), true);
  assert.equal(rejoins, 0); // nothing delivered before: nothing to drop
  assert.equal(pass(false), true);
  g.setActive(false);
  assert.equal(pass(true), false);
  assert.equal(pass(false, null), false); // no frame starts in it
  g.setActive(true);
  assert.equal(pass(false), false);
  assert.equal(pass(true), true);
  assert.equal(rejoins, 1);
  assert.equal(g.eventsSkipped, 4);
  assert.equal(g.framesSkipped, 3);
});

test('one request for the tiles opened together; media goes to its stream only, de-duplicated by seq', async () => {
  FakeEventSource.instances = [];
  const conn = new MuxConnection('http://h:1/streams', { EventSource: FakeEventSource });
  const a = tile(conn, '/cam1');
  const b = tile(conn, '/cam2');
  a.t.open();
  b.t.open();
  await tick();
  assert.equal(FakeEventSource.instances.length, 1);
  assert.equal(new URL(FakeEventSource.instances[0].url).searchParams.get('paths'), '/cam1,/cam2');
  assert.equal(a.t.url, 'http://h:1/cam1');
  conn.dispatch('streams', JSON.stringify({ protocol: 1, streams: ['/cam1', '/cam2'], missing: [] }));
  conn.dispatch('stream', `/cam1\n${JSON.stringify({ protocol: 1, epoch: 100 })}`);
  conn.dispatch('message', media('/cam1', 101, { key: true }), 'm1');
  conn.dispatch('message', media('/cam2', 500, { key: true }));
  conn.dispatch('message', media('/cam1', 102));
  conn.dispatch('message', media('/cam1', 102)); // replayed after a resume
  conn.dispatch('message', media('/cam1', 101));
  conn.dispatch('message', media('/cam2', 501));
  assert.deepEqual(a.seen.media, [101, 102]);
  assert.deepEqual(b.seen.media, [500, 501]);
  assert.equal(a.t.counters.duplicateEvents, 2);
  assert.equal(b.t.counters.duplicateEvents, 0);
  assert.deepEqual(a.seen.streams, [{ epoch: 100, changed: false }]);
  assert.equal(a.seen.gaps, 0);
  conn.dispatch('message', 'not tagged');
  conn.dispatch('message', '/cam1\nnot json');
  assert.equal(conn.counters.badEvents, 2);
  conn.close();
});

test('a new epoch starts the seq count again; a jump forward is a gap', () => {
  const conn = new MuxConnection('http://h:1/streams', { EventSource: FakeEventSource });
  const a = tile(conn, '/cam1');
  a.t.open();
  conn.dispatch('stream', `/cam1\n${JSON.stringify({ epoch: 100 })}`);
  conn.dispatch('message', media('/cam1', 150, { key: true }));
  conn.dispatch('message', media('/cam1', 151));
  conn.dispatch('message', media('/cam1', 155)); // 3 lost
  assert.equal(a.seen.gaps, 1);
  assert.equal(a.t.counters.lostEvents, 3);
  assert.deepEqual(a.seen.media, [150, 151]); // 155 is not a key: waits for one
  conn.dispatch('message', media('/cam1', 156, { key: true }));
  assert.deepEqual(a.seen.media, [150, 151, 156]);
  // The pipeline restarted: lower seqs are new, not duplicates.
  conn.dispatch('stream', `/cam1\n${JSON.stringify({ epoch: 20 })}`);
  conn.dispatch('message', media('/cam1', 21, { key: true }));
  assert.deepEqual(a.seen.media, [150, 151, 156, 21]);
  assert.deepEqual(a.seen.streams.map((s) => s.changed), [false, true]);
  conn.close();
});

test('tagged gap, reset and eos go to their stream; missing and ended streams have states of their own', () => {
  const conn = new MuxConnection('http://h:1/streams', { EventSource: FakeEventSource });
  const a = tile(conn, '/cam1');
  const b = tile(conn, '/cam2');
  const c = tile(conn, '/cam3');
  for (const x of [a, b, c]) x.t.open();
  conn.dispatch('streams', JSON.stringify({ streams: ['/cam1', '/cam2'], missing: ['/cam3'] }));
  conn.state = 'open';
  for (const x of [a, b, c]) conn.updateState(x.t);
  assert.equal(c.t.state, MISSING);
  assert.equal(a.t.state, 'open');
  conn.dispatch('message', media('/cam1', 1, { key: true }));
  conn.dispatch('gap', `/cam1\n${JSON.stringify({ events: 12 })}`);
  conn.dispatch('reset', `/cam2\n${JSON.stringify({ reason: 'malformed' })}`);
  assert.equal(a.seen.gaps, 1);
  assert.equal(b.seen.resets, 1);
  assert.equal(a.seen.resets + b.seen.gaps, 0);
  conn.dispatch('message', media('/cam1', 14)); // after a gap: waits for a key
  conn.dispatch('message', media('/cam1', 15, { key: true }));
  assert.deepEqual(a.seen.media, [1, 15]);
  assert.equal(a.seen.rejoins, 1);
  conn.dispatch('eos', `/cam2\n{}`);
  assert.equal(b.t.state, 'ended');
  assert.equal(b.seen.eos, 1);
  assert.equal(a.t.state, 'open');
  // The missing one appears: its stream event, then media.
  conn.dispatch('stream', `/cam3\n${JSON.stringify({ epoch: 7 })}`);
  assert.equal(c.t.state, 'open');
  // The ended one comes back.
  conn.dispatch('stream', `/cam2\n${JSON.stringify({ epoch: 9 })}`);
  assert.equal(b.t.state, 'open');
  conn.close();
});

test('media for a tile that does not decode is counted, not decoded; it starts again at a key', () => {
  const conn = new MuxConnection('http://h:1/streams', { EventSource: FakeEventSource });
  const a = tile(conn, '/cam1');
  a.t.open();
  conn.dispatch('message', media('/cam1', 1, { key: true }));
  a.t.setActive(false);
  conn.dispatch('message', media('/cam1', 2));
  conn.dispatch('message', media('/cam1', 3, { key: true }));
  a.t.setActive(true);
  conn.dispatch('message', media('/cam1', 4));
  conn.dispatch('message', media('/cam1', 5, { key: true }));
  assert.deepEqual(a.seen.media, [1, 5]);
  assert.equal(a.t.gate.framesSkipped, 3);
  assert.equal(a.seen.gaps, 0); // withheld on purpose: not a loss
  assert.equal(a.seen.rejoins, 1);
  conn.close();
});

test('a changed set resumes the streams kept (their part of the last id), the new one joins at a key', async () => {
  FakeEventSource.instances = [];
  const conn = new MuxConnection('http://h:1/streams', { EventSource: FakeEventSource });
  const a = tile(conn, '/cam1');
  const b = tile(conn, '/cam2');
  a.t.open();
  b.t.open();
  await tick();
  conn.dispatch('message', media('/cam1', 10, { key: true }), 'm1;/cam1=9;/cam2=40');
  b.t.close();
  const hd = tile(conn, '/cam1/hd');
  hd.t.open();
  await tick();
  assert.equal(FakeEventSource.instances.length, 2);
  assert.equal(FakeEventSource.instances[0].closed, true);
  const u = new URL(FakeEventSource.instances[1].url);
  assert.equal(u.searchParams.get('paths'), '/cam1,/cam1/hd');
  assert.equal(u.searchParams.get('lastEventId'), 'm1;/cam1=9');
  // The resume replays from the checkpoint: 10 again is dropped.
  conn.dispatch('message', media('/cam1', 10, { key: true }));
  conn.dispatch('message', media('/cam1', 11));
  assert.deepEqual(a.seen.media, [10, 11]);
  assert.equal(b.t.state, 'closed');
  // A hidden tab: closed, then every stream joins afresh (no id) at a key.
  conn.suspend();
  assert.equal(FakeEventSource.instances[1].closed, true);
  conn.resume();
  const fresh = new URL(FakeEventSource.instances[2].url);
  assert.equal(fresh.searchParams.has('lastEventId'), false);
  conn.dispatch('message', media('/cam1', 80));
  conn.dispatch('message', media('/cam1', 90, { key: true }));
  assert.deepEqual(a.seen.media, [10, 11, 90]);
  assert.equal(a.seen.gaps, 0);
  assert.equal(a.seen.rejoins, 1);
  conn.close();
});

test('event: expired (untagged): a new token from the page, then a resume from the last id', async () => {
  FakeEventSource.instances = [];
  let n = 0;
  const conn = new MuxConnection('http://h:1/streams?token=old', {
    EventSource: FakeEventSource, getToken: () => `new${++n}`, reopenDelayMs: 10000,
  });
  const a = tile(conn, '/cam1');
  a.t.open();
  await tick();
  conn.dispatch('message', media('/cam1', 10, { key: true }), 'm1;/cam1=9');
  conn.dispatch('expired', JSON.stringify({ reason: 'token expired' }));
  assert.equal(a.t.state, 'failed');
  assert.equal(FakeEventSource.instances[0].closed, true);
  await tick();
  assert.equal(FakeEventSource.instances.length, 2);
  const u = new URL(FakeEventSource.instances[1].url);
  assert.equal(u.searchParams.get('token'), 'new1');
  assert.equal(u.searchParams.get('lastEventId'), 'm1;/cam1=9');
  assert.equal(conn.counters.expired, 1);
  conn.close();
});
