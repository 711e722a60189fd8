// One EventSource for many streams: the client of the multiplexed endpoint
// (`GET /streams?paths=/a,/b`, docs/protocol.md). Each event's first data
// line is its stream's path; the rest is what that stream's own path sends.
// `MuxConnection` holds the one EventSource, opens it again (resuming with
// the last mux id) when the set of streams asked for changes, and drops media
// events already received (by `seq`, per stream and epoch: a resume replays
// a little). `TileSource` is one stream of it with the interface the player
// uses from sse-source.js (open, close, state, url, urls, lastEventId,
// counters; handlers onStream, onMedia, onReset, onGap, onEos, onState, and
// onRejoin). `KeyGate` is what lets a tile stop decoding while nobody sees
// it: media withheld (counted), and delivery starts again at a key chunk.
// Main thread of the page; no DOM use but EventSource and timers.

import { SourceState, decodeBase64, withToken } from './sse-source.js';

const REOPEN_DELAY_MS = 3000; // after a refused request
const SET_CHANGE_DELAY_MS = 30; // streams attached or detached together: one new request

/** A state of its own for a stream the server does not have (yet). */
export const MISSING = 'missing';

/**
 * Splits a tagged event's data into its stream path and the JSON text:
 * the path is everything before the first newline. Null when it has no path.
 */
export function parseTagged(data) {
  if (typeof data !== 'string') return null;
  const nl = data.indexOf('\n');
  if (nl <= 0 || data[0] !== '/') return null;
  return { path: data.slice(0, nl), body: data.slice(nl + 1) };
}

/**
 * A mux id (`m1;/cam1=123;/cam2=456`, paths percent-encoded) as a Map of
 * path -> seq; null when it is not one.
 */
export function parseMuxId(id) {
  if (typeof id !== 'string' || !(id === 'm1' || id.startsWith('m1;'))) return null;
  const out = new Map();
  for (const part of id.split(';').slice(1)) {
    const eq = part.lastIndexOf('=');
    if (eq <= 0) return null;
    let path;
    try {
      path = decodeURIComponent(part.slice(0, eq));
    } catch {
      return null;
    }
    const seq = Number(part.slice(eq + 1));
    if (!Number.isSafeInteger(seq) || seq < 0 || path[0] !== '/') return null;
    out.set(path, seq);
  }
  return out;
}

/** The mux id of a Map of path -> seq (the inverse of parseMuxId). */
export function formatMuxId(positions) {
  const enc = (p) => p.replace(/[^\x21-\x7e]|[%;=]/gu, (c) => encodeURIComponent(c));
  let id = 'm1';
  for (const [path, seq] of positions) id += `;${enc(path)}=${seq}`;
  return id;
}

/**
 * The request URL: `paths` comma-separated, and `lastEventId` when resuming
 * (a new EventSource cannot send the Last-Event-ID header).
 */
export function muxRequestUrl(base, paths, lastEventId = '') {
  const u = new URL(base);
  u.searchParams.set('paths', paths.join(','));
  if (lastEventId) u.searchParams.set('lastEventId', lastEventId);
  else u.searchParams.delete('lastEventId');
  return u.href;
}

/**
 * Media of one tile, let through or held back: while `active` is false the
 * media is withheld (a tile out of view, a hidden tab) and counted; once
 * active again it starts at the next key chunk, after telling the player to
 * drop what it holds (`onRejoin`), as at a join.
 */
export class KeyGate {
  constructor() {
    this.active = true;
    this.needKey = true; // nothing delivered yet, or withheld since
    this.delivered = false;
    this.eventsSkipped = 0; // media events not handed to the decoder
    this.framesSkipped = 0; // of them, those that start a video frame (pts)
  }

  /** Stops (false) or resumes (true) delivery; a resume waits for a key chunk. */
  setActive(active) {
    if (this.active && !active) this.needKey = true;
    this.active = active;
  }

  /** The next delivery must start at a key chunk (lost or replaced data). */
  rejoin() {
    this.needKey = true;
  }

  /**
   * Whether `chunk` goes to the player. `onRejoin` is called before the key
   * chunk that a delivery starts again at.
   */
  pass(chunk, onRejoin) {
    if (!this.active || (this.needKey && !chunk.key)) {
      this.eventsSkipped++;
      if (chunk.pts !== null && chunk.pts !== undefined) this.framesSkipped++;
      return false;
    }
    if (this.needKey) {
      this.needKey = false;
      if (this.delivered) onRejoin?.();
    }
    this.delivered = true;
    return true;
  }
}

function newCounters() {
  return {
    opens: 0, reconnects: 0, failovers: 0, mediaEvents: 0, bytes: 0, lostEvents: 0, duplicateEvents: 0,
    badEvents: 0,
  };
}

/** One stream of a MuxConnection, as the player sees a source. */
export class TileSource {
  /**
   * @param {MuxConnection} connection
   * @param {string} path the stream's path on the server
   * @param {object} handlers as SseSource's, plus onRejoin()
   */
  constructor(connection, path, handlers) {
    this.connection = connection;
    this.path = path;
    this.h = handlers;
    this.gate = new KeyGate();
    this.attached = false;
    this.state = SourceState.CLOSED;
    this.counters = newCounters();
  }

  /** The stream's own URL (what a single-stream player would open). */
  get url() {
    return new URL(this.path, this.connection.base).href;
  }

  get urls() {
    return [this.url];
  }

  /** The connection's last mux id. */
  get lastEventId() {
    return this.connection.lastEventId;
  }

  open() {
    this.gate.rejoin();
    if (!this.attached) this.connection.attach(this);
    this.attached = true;
    this.counters.opens++;
    this.connection.updateState(this);
  }

  close() {
    if (this.attached) this.connection.detach(this);
    this.attached = false;
    this.setState(SourceState.CLOSED);
  }

  /** Decode (true) or not (false: media counted and withheld). */
  setActive(active) {
    this.gate.setActive(active);
  }

  setState(state, detail = '') {
    if (state === this.state) return;
    this.state = state;
    this.h.onState?.(state, detail);
  }
}

/** The single-stream source (sse-source.js) with a KeyGate in front of its media. */
export function gatedHandlers(handlers, gate) {
  return {
    ...handlers,
    onMedia: (chunk) => {
      if (gate.pass(chunk, handlers.onRejoin)) handlers.onMedia?.(chunk);
    },
  };
}

export class MuxConnection {
  /**
   * @param {string} muxUrl the multiplexed endpoint, e.g. http://host:port/streams
   * @param {{base?:string, EventSource?:typeof EventSource, reopenDelayMs?:number, getToken?:Function}} options
   *   base: what stream paths are relative to (default: muxUrl's origin);
   *   getToken: the page's function giving a fresh access token (or a
   *   promise of one), asked after `event: expired` (untagged: the whole
   *   connection's token ran out) and after a refused request
   */
  constructor(muxUrl, { base = new URL(muxUrl).origin, EventSource: ES = globalThis.EventSource,
    reopenDelayMs = REOPEN_DELAY_MS, getToken = null } = {}) {
    this.muxUrl = muxUrl;
    this.base = base;
    this.ES = ES;
    this.reopenDelayMs = reopenDelayMs;
    this.es = null;
    this.tiles = new Set();
    this.streams = new Map(); // path -> {lastSeq, epoch, state: null|'open'|'missing'|'ended'}
    this.paths = []; // asked for by the open connection
    this.state = SourceState.CLOSED; // of the connection
    this.detail = '';
    this.suspended = false;
    this.lastEventId = ''; // the last checkpoint id received
    this.changeTimer = 0;
    this.reopenTimer = 0;
    this.getToken = getToken;
    this.counters = { opens: 0, reconnects: 0, requests: 0, events: 0, badEvents: 0, expired: 0, tokenRefreshes: 0 };
  }

  /** A new token into muxUrl, if the page gives one; resolves to whether it did. */
  async #refreshToken() {
    if (!this.getToken) return false;
    let token = null;
    try {
      token = await this.getToken();
    } catch {
      token = null;
    }
    if (typeof token !== 'string' || token === '') return false;
    this.muxUrl = withToken(this.muxUrl, token);
    this.counters.tokenRefreshes++;
    return true;
  }

  /** Reopens after a refusal or an expiry: a new token first when the page gives one, then resuming. */
  #reopen(immediately) {
    clearTimeout(this.reopenTimer);
    const go = () => {
      if (!this.suspended && this.tiles.size > 0) this.#connect(this.wantedPaths(), this.lastEventId);
    };
    this.#refreshToken().then((fresh) => {
      if (this.es || this.suspended) return; // connected or closed meanwhile
      if (fresh && immediately) go();
      else this.reopenTimer = setTimeout(go, this.reopenDelayMs);
    });
  }

  /** The streams asked for now: every attached tile's path, in attach order. */
  wantedPaths() {
    return [...new Set([...this.tiles].map((t) => t.path))];
  }

  attach(tile) {
    this.tiles.add(tile);
    this.#setChanged();
  }

  detach(tile) {
    this.tiles.delete(tile);
    this.#setChanged();
  }

  #setChanged() {
    if (this.suspended) return;
    clearTimeout(this.changeTimer);
    this.changeTimer = setTimeout(() => this.#reconnectIfChanged(), SET_CHANGE_DELAY_MS);
  }

  #reconnectIfChanged() {
    const wanted = this.wantedPaths();
    if (this.es && wanted.join(',') === this.paths.join(',')) return;
    if (wanted.length === 0) {
      this.#drop();
      this.paths = [];
      this.#setState(SourceState.CLOSED);
      return;
    }
    // Streams in both sets resume where they are; the others join at a key.
    const kept = new Map();
    for (const [path, seq] of parseMuxId(this.lastEventId) ?? []) {
      if (this.es && wanted.includes(path) && this.paths.includes(path)) kept.set(path, seq);
    }
    this.#connect(wanted, kept.size > 0 ? formatMuxId(kept) : '');
  }

  /** Closes the connection (a hidden tab); resume() joins every stream afresh at a key chunk. */
  suspend() {
    if (this.suspended) return;
    this.suspended = true;
    clearTimeout(this.changeTimer);
    this.#drop();
    this.paths = [];
    this.lastEventId = '';
    for (const st of this.streams.values()) st.lastSeq = null;
    for (const tile of this.tiles) tile.gate.rejoin();
    this.#setState(SourceState.CLOSED);
  }

  resume() {
    if (!this.suspended) return;
    this.suspended = false;
    this.#reconnectIfChanged();
  }

  close() {
    clearTimeout(this.changeTimer);
    this.#drop();
    this.paths = [];
    this.#setState(SourceState.CLOSED);
  }

  #drop() {
    clearTimeout(this.reopenTimer);
    this.reopenTimer = 0;
    if (!this.es) return;
    this.es.onopen = this.es.onerror = this.es.onmessage = null;
    this.es.close();
    this.es = null;
  }

  #connect(paths, lastEventId) {
    this.#drop();
    this.paths = paths;
    for (const path of paths) if (!this.streams.has(path)) this.streams.set(path, { lastSeq: null, epoch: null, state: null });
    const url = muxRequestUrl(this.muxUrl, paths, lastEventId);
    const es = (this.es = new this.ES(url));
    this.counters.requests++;
    this.#setState(SourceState.CONNECTING);
    es.onopen = () => {
      this.counters.opens++;
      if (this.counters.opens > 1) this.counters.reconnects++;
      this.#setState(SourceState.OPEN);
    };
    es.onerror = () => {
      if (es.readyState === this.ES.CLOSED) {
        // EventSource gave up (an HTTP error): try again, resuming.
        this.#drop();
        this.#setState(SourceState.FAILED, 'the server refused the request');
        this.#reopen(false);
      } else {
        this.#setState(SourceState.RETRYING, this.state === SourceState.OPEN ? 'connection lost' : 'server unreachable');
      }
    };
    es.onmessage = (e) => this.dispatch('message', e.data, e.lastEventId);
    for (const type of ['streams', 'stream', 'reset', 'gap', 'eos', 'expired']) {
      es.addEventListener(type, (e) => this.dispatch(type, e.data, e.lastEventId));
    }
  }

  /**
   * One event of the connection: `type` its name ('message' for media),
   * `data` its data, `lastEventId` the SSE id in force.
   */
  dispatch(type, data, lastEventId = '') {
    this.counters.events++;
    if (lastEventId) this.lastEventId = lastEventId;
    if (type === 'streams') {
      this.#onPrelude(parseJson(data));
      return;
    }
    if (type === 'expired') {
      // The connection's token ran out (not tagged: the whole connection
      // ends): a new token if the page gives one, then on from the last id.
      this.counters.expired++;
      this.#drop();
      this.#setState(SourceState.FAILED, 'the access token expired');
      this.#reopen(true);
      return;
    }
    const tagged = parseTagged(data);
    const msg = tagged && parseJson(tagged.body);
    if (!msg) {
      this.counters.badEvents++;
      return;
    }
    const st = this.#stream(tagged.path);
    const tiles = [...this.tiles].filter((t) => t.path === tagged.path && t.attached);
    switch (type) {
      case 'message': this.#onMedia(st, tiles, msg); break;
      case 'stream': {
        const epochChanged = st.epoch !== null && msg.epoch !== st.epoch;
        st.epoch = msg.epoch ?? null;
        if (epochChanged) st.lastSeq = null;
        this.#setStreamState(tagged.path, st, 'open');
        for (const t of tiles) t.h.onStream?.(msg, epochChanged);
        break;
      }
      case 'reset':
      case 'gap':
        st.lastSeq = null;
        for (const t of tiles) {
          t.gate.rejoin();
          if (type === 'reset') t.h.onReset?.(msg);
          else t.h.onGap?.(msg);
        }
        break;
      case 'eos':
        this.#setStreamState(tagged.path, st, 'ended');
        for (const t of tiles) t.h.onEos?.(msg);
        break;
      default:
        break;
    }
  }

  #stream(path) {
    let st = this.streams.get(path);
    if (!st) this.streams.set(path, (st = { lastSeq: null, epoch: null, state: null }));
    return st;
  }

  #onPrelude(info) {
    if (!info) {
      this.counters.badEvents++;
      return;
    }
    for (const path of info.missing ?? []) {
      const st = this.#stream(path);
      if (st.state !== 'ended') this.#setStreamState(path, st, MISSING); // an ended one stays ended
    }
    for (const path of info.streams ?? []) {
      const st = this.#stream(path);
      if (st.state === MISSING || st.state === null) this.#setStreamState(path, st, 'open');
    }
  }

  #onMedia(st, tiles, msg) {
    const seq = Number(msg.seq);
    if (typeof msg.data !== 'string' || !Number.isSafeInteger(seq)) {
      for (const t of tiles) t.counters.badEvents++;
      return;
    }
    if (st.lastSeq !== null && seq <= st.lastSeq) {
      for (const t of tiles) t.counters.duplicateEvents++; // replayed after a resume
      return;
    }
    const lost = st.lastSeq !== null && seq !== st.lastSeq + 1 ? seq - st.lastSeq - 1 : 0;
    st.lastSeq = seq;
    if (st.state !== 'open') this.#setStreamState(null, st, 'open');
    const recvTime = performance.now();
    let bytes = null;
    for (const t of tiles) {
      if (lost > 0 && !t.gate.needKey) {
        t.counters.lostEvents += lost;
        t.gate.rejoin();
        t.h.onGap?.({ reason: 'sequence', expected: seq - lost, got: seq });
      }
      t.counters.mediaEvents++;
      const chunk = { seq, key: msg.key === true, pts: msg.pts ?? null, ts: msg.ts, bytes, recvTime };
      if (!t.gate.pass(chunk, t.h.onRejoin)) continue;
      chunk.bytes = bytes ??= decodeBase64(msg.data); // decoded once, and only for a tile that decodes
      t.counters.bytes += bytes.length;
      t.h.onMedia?.(chunk);
    }
  }

  #setStreamState(path, st, state) {
    st.state = state;
    for (const t of this.tiles) this.updateState(t);
  }

  /** A tile's state: its stream's own (missing, ended) over the connection's. */
  updateState(tile) {
    if (!tile.attached) return;
    const st = this.streams.get(tile.path);
    const open = this.state === SourceState.OPEN;
    if (open && st?.state === MISSING) tile.setState(MISSING, 'no such stream on the server');
    else if (st?.state === 'ended') tile.setState(SourceState.ENDED);
    else if (this.suspended || this.state === SourceState.CLOSED) tile.setState(SourceState.CONNECTING);
    else tile.setState(this.state, this.detail);
  }

  #setState(state, detail = '') {
    this.state = state;
    this.detail = detail;
    if (state !== SourceState.OPEN) {
      for (const st of this.streams.values()) if (st.state === MISSING) st.state = null;
    }
    for (const t of this.tiles) this.updateState(t);
  }
}

function parseJson(text) {
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' ? v : null;
  } catch {
    return null;
  }
}
