import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  SseSource, SourceState, TOKEN_EXPIRED, decodeBase64, resumeUrl, nextUrlIndex, withToken,
} from '../src/sse-source.js';

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
    this.lastEventId = ''; // as EventSource: kept from the last event that had an id
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

  named(type, data = {}, id = null) {
    if (id !== null) this.lastEventId = id;
    this.listeners.get(type)?.({ type, data: JSON.stringify(data), lastEventId: this.lastEventId });
  }

  /** A media event; its SSE id is `id`, or the seq as ssesink sends it. */
  media(seq, { key = false, bytes = [0x47, 1, 2], id = String(seq) } = {}) {
    const data = Buffer.from(bytes).toString('base64');
    this.lastEventId = id;
    this.onmessage?.({
      type: 'message', data: JSON.stringify({ seq, key, pts: null, ts: 1, data }), lastEventId: id,
    });
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

// --- relays (nchan) and failover across several URLs ------------------------

const nchanId = (n) => `1795674821:${n}`;

test('relay ids that are not numbers: sequence checking uses the seq field', () => {
  source.open();
  es().open();
  es().media(100, { key: false, id: nchanId(7) }); // a replay starting mid-GOP
  es().media(101, { key: true, id: nchanId(8) });
  es().media(103, { id: nchanId(9) });
  assert.deepEqual(named('media').map((c) => c[1]), [100, 101, 103]);
  assert.equal(source.counters.lostEvents, 1);
  assert.equal(source.lastEventId, nchanId(9));
  assert.equal(source.counters.badEvents, 0);
});

test('a stream event after a join without one (relay replay) still marks a new run', () => {
  source.open();
  es().open();
  es().media(500, { key: true, id: nchanId(1) });
  es().named('stream', { epoch: 400 }, nchanId(2)); // replayed late, same run: no change
  assert.deepEqual(named('stream').map((c) => c[2]), [false]);
  source.close();
  source.open();
  es().open();
  es().media(500, { key: true, id: nchanId(1) });
  es().named('stream', { epoch: 9000 }, nchanId(2)); // the pipeline restarted
  es().media(9000, { key: true, id: nchanId(3) });
  assert.deepEqual(named('stream').map((c) => c[2]), [false, true]);
  assert.equal(source.counters.lostEvents, 0, 'no gap across runs');
});

test('an eos replayed by the relay after reopening is not a second end', async () => {
  source.open();
  es().open();
  es().media(1, { key: true, id: nchanId(1) });
  es().named('eos', {}, nchanId(2));
  assert.equal(source.state, SourceState.ENDED);
  await sleep(30);
  const second = es();
  second.open();
  second.media(1, { key: true, id: nchanId(1) }); // the relay's buffer again
  second.named('eos', {}, nchanId(2));
  assert.equal(source.state, SourceState.ENDED);
  assert.equal(named('eos').length, 1);
  assert.ok(!second.closed, 'stays connected, waiting for the stream');
  second.named('stream', { epoch: 50 }, nchanId(3));
  assert.equal(source.state, SourceState.OPEN);
  second.media(50, { key: true, id: nchanId(4) });
  assert.deepEqual(named('media').map((c) => c[1]), [1, 50]);
  await sleep(30);
  assert.equal(FakeEventSource.instances.length, 2, 'not reopened again');
});

test('resumeUrl adds the last id as lastEventId, keeping the other parameters', () => {
  assert.equal(resumeUrl('http://n2:8081/sub/live', ''), 'http://n2:8081/sub/live');
  assert.equal(resumeUrl('http://n2:8081/sub/live', null), 'http://n2:8081/sub/live');
  assert.equal(resumeUrl('http://n2:8081/sub/live?token=t', nchanId(22)),
    'http://n2:8081/sub/live?token=t&lastEventId=1795674821%3A22');
  assert.equal(resumeUrl('http://n2/stream?lastEventId=1&x=y', '2'), 'http://n2/stream?lastEventId=2&x=y');
});

test('nextUrlIndex goes round robin and waits once every URL failed in a row', () => {
  assert.deepEqual(nextUrlIndex(0, 2, 1), { index: 1, wait: false });
  assert.deepEqual(nextUrlIndex(1, 2, 2), { index: 0, wait: true });
  assert.deepEqual(nextUrlIndex(0, 3, 1), { index: 1, wait: false });
  assert.deepEqual(nextUrlIndex(1, 3, 2), { index: 2, wait: false });
  assert.deepEqual(nextUrlIndex(2, 3, 3), { index: 0, wait: true });
});

function multiSource(urls, options = { reopenDelayMs: 20 }) {
  source.close();
  source = new SseSource(urls, {
    onMedia: (chunk) => calls.push(['media', chunk.seq, chunk.key, [...chunk.bytes]]),
    onGap: (...args) => calls.push(['gap', ...args]),
    onEos: () => calls.push(['eos']),
    onState: (...args) => calls.push(['state', ...args]),
  }, options);
  return source;
}

test('one URL: a lost connection is left to EventSource, on the same URL', () => {
  source.open();
  es().open();
  es().media(1, { key: true });
  es().error(FakeEventSource.CONNECTING);
  assert.equal(FakeEventSource.instances.length, 1);
  assert.equal(source.counters.failovers, 0);
  assert.equal(source.state, SourceState.RETRYING);
});

test('several URLs: a lost connection continues on the next URL after the last id', () => {
  multiSource(['http://n1/sub/live', 'http://n2/sub/live']);
  source.open();
  assert.equal(es().url, 'http://n1/sub/live', 'a fresh join on the first URL');
  es().open();
  for (let i = 0; i < 3; i++) es().media(10 + i, { key: i === 0, id: nchanId(i) });
  const first = es();
  first.error(FakeEventSource.CONNECTING); // node stopped: EventSource would retry it
  assert.ok(first.closed, 'not retried on the dead node');
  assert.equal(FakeEventSource.instances.length, 2);
  assert.equal(es().url, 'http://n2/sub/live?lastEventId=1795674821%3A2');
  assert.equal(source.url, 'http://n2/sub/live');
  es().open();
  es().media(13, { id: nchanId(3) });
  es().media(14, { id: nchanId(4) });
  assert.deepEqual(named('media').map((c) => c[1]), [10, 11, 12, 13, 14]);
  assert.equal(source.counters.lostEvents, 0);
  assert.equal(source.counters.failovers, 1);
  assert.equal(source.counters.reconnects, 1);
  assert.deepEqual(named('gap'), []);
});

test('several URLs: one that cannot be reached is skipped at once; all down, then slower', async () => {
  multiSource(['http://n1/s', 'http://n2/s', 'http://n3/s']);
  source.open();
  es().open();
  es().media(1, { key: true, id: 'a' });
  es().error(FakeEventSource.CONNECTING); // n1 lost
  es().error(FakeEventSource.CONNECTING); // n2 unreachable
  assert.equal(es().url, 'http://n3/s?lastEventId=a');
  es().error(FakeEventSource.CLOSED); // n3 refuses (HTTP error)
  assert.equal(FakeEventSource.instances.length, 3, 'every URL failed: wait before the next round');
  assert.equal(source.state, SourceState.RETRYING);
  await sleep(40);
  assert.equal(FakeEventSource.instances.length, 4);
  assert.equal(es().url, 'http://n1/s?lastEventId=a');
  es().open(); // n1 is back
  es().media(2, { id: 'b' });
  assert.equal(source.counters.failovers, 3);
  assert.equal(source.counters.lostEvents, 0);
  es().error(FakeEventSource.CONNECTING); // lost again: immediate failover, the count starts afresh
  assert.equal(FakeEventSource.instances.length, 5);
  assert.equal(es().url, 'http://n2/s?lastEventId=b');
});

test('several URLs: before any event a failover is a fresh join; pause and play start afresh', () => {
  multiSource(['http://n1/s', 'http://n2/s']);
  source.open();
  es().error(FakeEventSource.CONNECTING);
  assert.equal(es().url, 'http://n2/s');
  es().open();
  es().media(5, { key: true, id: 'x' });
  source.close();
  source.open(); // at the live edge of the URL in use, not resuming
  assert.equal(es().url, 'http://n2/s');
});

/** A source whose page gives the tokens in `tokens`, in turn. */
function tokenSource(url, tokens) {
  const asked = [];
  const s = new SseSource(url, { onMedia: () => {}, onState: () => {} }, {
    reopenDelayMs: 10,
    getToken: async () => {
      asked.push(tokens[asked.length]);
      return tokens[asked.length - 1];
    },
  });
  return { s, asked };
}

const settle = () => new Promise((r) => setTimeout(r, 0));
const until = async (pred) => {
  for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(pred());
};

test('withToken sets the token query parameter, keeping the others', () => {
  assert.equal(withToken('http://x/stream?a=1&token=old', 'n.e.w'), 'http://x/stream?a=1&token=n.e.w');
  assert.equal(withToken('http://x/stream', 'a b'), 'http://x/stream?token=a+b');
});

test('getToken: asked before the first connection when the URL has no token', async () => {
  const { s, asked } = tokenSource('http://x/stream', ['t1']);
  s.open();
  assert.equal(s.state, SourceState.CONNECTING);
  await until(() => FakeEventSource.instances.length === 1);
  assert.equal(es().url, 'http://x/stream?token=t1');
  assert.deepEqual(asked, ['t1']);
  s.close();
  /* A URL with a token is used as it is. */
  const withOne = tokenSource('http://x/stream?token=t0', ['t1']);
  withOne.s.open();
  assert.equal(es().url, 'http://x/stream?token=t0');
  assert.deepEqual(withOne.asked, []);
  withOne.s.close();
});

test('event: expired: a new token, then on at once from the last id', async () => {
  const { s, asked } = tokenSource('http://x/stream?token=t0', ['t1']);
  s.open();
  es().open();
  es().media(7, { key: true });
  es().named('expired', { reason: 'token expired' });
  assert.equal(s.state, SourceState.RETRYING);
  assert.equal(s.detail, TOKEN_EXPIRED);
  await until(() => FakeEventSource.instances.length === 2);
  assert.equal(es().url, 'http://x/stream?token=t1&lastEventId=7');
  assert.deepEqual(asked, ['t1']);
  assert.equal(s.counters.expired, 1);
  assert.equal(s.counters.tokenRefreshes, 1);
  s.close();
});

test('a refused request (401) asks for a new token before its retry; close() drops a late token', async () => {
  const { s, asked } = tokenSource('http://x/stream?token=old', ['t1', 't2']);
  s.open();
  es().error(FakeEventSource.CLOSED);
  assert.equal(s.state, SourceState.FAILED);
  await until(() => FakeEventSource.instances.length === 2);
  assert.equal(es().url, 'http://x/stream?token=t1');
  es().error(FakeEventSource.CLOSED);
  s.close(); /* while t2 is being asked for */
  await settle();
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(FakeEventSource.instances.length, 2, 'no connection after close()');
  assert.deepEqual(asked, ['t1', 't2']);
});

test('without getToken, event: expired is a refusal: retried after the delay', async () => {
  source.open();
  es().open();
  es().named('expired', { reason: 'token expired' });
  assert.equal(source.state, SourceState.FAILED);
  await until(() => FakeEventSource.instances.length === 2);
});
