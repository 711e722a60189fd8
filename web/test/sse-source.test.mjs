import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { SseSource, SourceState, decodeBase64 } from '../src/sse-source.js';

/** Just enough of EventSource to drive SseSource by hand. */
class FakeEventSource {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 2;
  static instances = [];

  constructor(url) {
    this.url = url;
    this.readyState = FakeEventSource.CONNECTING;
    this.listeners = new Map();
    FakeEventSource.instances.push(this);
  }

  addEventListener(type, fn) {
    this.listeners.set(type, fn);
  }

  close() {
    this.readyState = FakeEventSource.CLOSED;
    this.closed = true;
  }

  // Test side:
  open() {
    this.readyState = FakeEventSource.OPEN;
    this.onopen?.();
  }

  error(readyState) {
    this.readyState = readyState;
    this.onerror?.();
  }

  named(type, data = {}) {
    this.listeners.get(type)?.({ data: JSON.stringify(data) });
  }

  media(seq, { key = false, bytes = [0x47, 1, 2] } = {}) {
    const data = Buffer.from(bytes).toString('base64');
    this.onmessage?.({ data: JSON.stringify({ seq, key, pts: null, ts: 1, data }), lastEventId: String(seq) });
  }
}

let calls;
let source;
const es = () => FakeEventSource.instances.at(-1);

beforeEach(() => {
  globalThis.EventSource = FakeEventSource;
  FakeEventSource.instances = [];
  calls = [];
  const log = (name) => (...args) => calls.push([name, ...args]);
  source = new SseSource('http://x/stream', {
    onStream: log('stream'),
    onMedia: (chunk) => calls.push(['media', chunk.seq, chunk.key, [...chunk.bytes]]),
    onReset: log('reset'),
    onGap: log('gap'),
    onEos: log('eos'),
    onState: log('state'),
  }, { reopenDelayMs: 10 });
});

afterEach(() => {
  source.close();
  delete globalThis.EventSource;
});

const named = (name) => calls.filter((c) => c[0] === name);

test('media events are decoded and handed on in order', () => {
  source.open();
  es().open();
  es().named('stream', { protocol: 1, epoch: 5 });
  es().media(5, { key: true, bytes: [0x47, 0, 0] });
  es().media(6);
  assert.deepEqual(named('media'), [['media', 5, true, [0x47, 0, 0]], ['media', 6, false, [0x47, 1, 2]]]);
  assert.equal(source.counters.mediaEvents, 2);
  assert.equal(source.counters.bytes, 6);
  assert.equal(source.state, SourceState.OPEN);
  assert.deepEqual(named('gap'), []);
});

test('a jump in sequence numbers is reported as a gap', () => {
  source.open();
  es().media(10, { key: true });
  es().media(14);
  assert.deepEqual(named('gap'), [['gap', { reason: 'sequence', expected: 11, got: 14 }]]);
  assert.equal(source.counters.lostEvents, 3);
});

test('after a reconnection, events already received are skipped', () => {
  source.open();
  es().open();
  for (const seq of [20, 21, 22, 23]) es().media(seq, { key: seq === 20 });
  es().error(FakeEventSource.CONNECTING); // EventSource retries by itself
  assert.equal(source.state, SourceState.RETRYING);
  es().open();
  assert.equal(source.counters.reconnects, 1);
  for (const seq of [20, 21, 22, 23, 24, 25]) es().media(seq, { key: seq === 20 });
  assert.deepEqual(named('media').map((c) => c[1]), [20, 21, 22, 23, 24, 25]);
  assert.deepEqual(named('gap'), []);
  assert.equal(source.counters.duplicateEvents, 4);
});

test('gap and reset events restart sequence checking', () => {
  source.open();
  es().media(1, { key: true });
  es().named('gap', { reason: 'slow' });
  es().media(50, { key: true });
  es().named('reset', { reason: 'caps' });
  es().media(40, { key: true }); // lower than before: fine after a reset
  assert.deepEqual(named('gap'), [['gap', { reason: 'slow' }]]);
  assert.deepEqual(named('reset'), [['reset', { reason: 'caps' }]]);
  assert.deepEqual(named('media').map((c) => c[1]), [1, 50, 40]);
});

test('a new epoch is flagged, the same epoch is not', () => {
  source.open();
  es().named('stream', { epoch: 1 });
  es().named('stream', { epoch: 1 });
  es().named('stream', { epoch: 2 });
  assert.deepEqual(named('stream').map((c) => c[2]), [false, false, true]);
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test('eos closes the connection and reopens it later', async () => {
  source.open();
  es().open();
  const first = es();
  first.named('eos');
  assert.ok(first.closed);
  assert.equal(source.state, SourceState.ENDED);
  assert.equal(named('eos').length, 1);
  await sleep(30);
  assert.notEqual(es(), first, 'a new connection');
  es().open();
  assert.equal(source.state, SourceState.OPEN);
  assert.equal(source.counters.reconnects, 1);
});

test('a refused request (EventSource gives up) is retried by us', async () => {
  source.open();
  es().error(FakeEventSource.CLOSED);
  assert.equal(source.state, SourceState.FAILED);
  await sleep(30);
  assert.equal(FakeEventSource.instances.length, 2);
  assert.equal(source.state, SourceState.CONNECTING);
});

test('close() stops reopening; open() again is a fresh join, not a reconnect', async () => {
  source.open();
  es().open();
  es().media(7, { key: true });
  es().named('eos');
  source.close();
  await sleep(50);
  assert.equal(FakeEventSource.instances.length, 1);
  source.open();
  es().open();
  es().media(3, { key: true }); // sequence checking starts afresh
  assert.equal(source.counters.reconnects, 0);
  assert.deepEqual(named('media').map((c) => c[1]), [7, 3]);
});

test('malformed events are counted and ignored', () => {
  source.open();
  es().onmessage({ data: 'not json' });
  es().onmessage({ data: '{"seq":1}' });
  assert.equal(source.counters.badEvents, 2);
  assert.deepEqual(named('media'), []);
});

test('decodeBase64 decodes padded Base64', () => {
  assert.deepEqual([...decodeBase64('R0AAEA==')], [0x47, 0x40, 0x00, 0x10]);
  assert.deepEqual([...decodeBase64('')], []);
});
