// The ssesink wire protocol on top of EventSource: parses the named events
// (stream, reset, gap, eos) and the unnamed media events, decodes their
// Base64 payload, notices lost events from the sequence numbers, and keeps
// reconnecting: EventSource retries network errors by itself (sending
// Last-Event-ID), and this class reopens it after the cases where it gives up
// (an HTTP error status, or the end of the stream).
//
// With several URLs (nodes of a cluster that share one stream and one id
// space, e.g. nchan nodes sharing Redis) a failed connection is not retried
// on the same URL: the next one is opened at once, with the last SSE id
// received as the `lastEventId` query parameter (a new EventSource cannot
// send Last-Event-ID), so the stream continues where it stopped.
//
// Ids are opaque strings (nchan's look like `1795674821:22`); sequence
// checking uses the `seq` field of the JSON, not the id.
//
// Signed expiring tokens (ssesink jwt-key): with a `getToken` function (the
// embedding page's), a token is asked for before the first connection when
// the URL has none, after `event: expired` (then the stream resumes at once
// from the last id, with the new token), and after a refused request (401:
// expired or missing; 403), before the retry. The token goes in the URL's
// `token` query parameter, which ssesink reads (EventSource cannot set
// headers).

const REOPEN_DELAY_MS = 3000; // after eos or a refused request; after every URL failed in a row

/** The detail of the `retrying` state after `event: expired`, while a new token is asked for. */
export const TOKEN_EXPIRED = 'the access token expired; getting a new one';

export const SourceState = Object.freeze({
  CONNECTING: 'connecting',
  OPEN: 'open',
  RETRYING: 'retrying', // lost the connection, EventSource is retrying
  ENDED: 'ended', // the server sent eos; waiting for the stream to come back
  FAILED: 'failed', // the server refused the request; retrying slowly
  CLOSED: 'closed', // closed by us
});

export const decodeBase64 = typeof Uint8Array.fromBase64 === 'function'
  ? (text) => Uint8Array.fromBase64(text)
  : (text) => {
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  };

/** Wall clock in microseconds, the unit of the `ts` field. */
export const nowMicros = () => (performance.timeOrigin + performance.now()) * 1000;

/**
 * The URL that resumes the stream after `lastEventId` on any node sharing
 * its ids: `lastEventId` set as a query parameter (ssesink and nchan both read
 * it). Without an id, `url` as it is: a fresh join at the latest keyframe.
 */
export function resumeUrl(url, lastEventId) {
  if (!lastEventId) return url;
  const u = new URL(url);
  u.searchParams.set('lastEventId', lastEventId);
  return u.href;
}

/** `url` with its `token` query parameter set to `token`. */
export function withToken(url, token) {
  const u = new URL(url);
  u.searchParams.set('token', token);
  return u.href;
}

/**
 * Which URL to try after the one at `index` failed: the next in the list,
 * round robin, and whether to wait before opening it (`wait`: every URL has
 * failed since the last connection that opened). `failedInARow` counts
 * failed attempts since then, including this one.
 */
export function nextUrlIndex(index, count, failedInARow) {
  return { index: (index + 1) % count, wait: failedInARow >= count };
}

/**
 * @typedef {{seq:number, key:boolean, pts:number|null, ts:number,
 *            bytes:Uint8Array, recvTime:number}} MediaChunk
 *   recvTime is performance.now() when the event arrived.
 */

export class SseSource {
  /**
   * @param {string|string[]} urls one stream URL, or several serving the same
   *   stream with the same ids (failover in this order, round robin)
   * @param {{onStream?:Function, onMedia?:(c:MediaChunk)=>void, onReset?:Function,
   *          onGap?:Function, onEos?:Function, onState?:(s:string, detail?:string)=>void}} handlers
   * @param {{reopenDelayMs?:number, getToken?:()=>(string|Promise<string>)}} options
   *   `getToken`: returns a fresh access token (see the top of this file)
   */
  constructor(urls, handlers, { reopenDelayMs = REOPEN_DELAY_MS, getToken = null } = {}) {
    this.urls = Array.isArray(urls) ? [...urls] : [urls];
    if (this.urls.length === 0) throw new Error('SseSource needs a URL');
    this.index = 0; // into urls: the one in use
    this.h = handlers;
    this.reopenDelayMs = reopenDelayMs;
    this.getToken = typeof getToken === 'function' ? getToken : null;
    this.generation = 0; // bumped by open() and close(): a token asked for before is stale
    this.es = null;
    this.state = SourceState.CLOSED;
    this.reopenTimer = 0;
    this.lastSeq = null;
    this.epoch = null;
    this.lastEventId = ''; // last SSE id received on this stream (any URL)
    this.endedEventId = null; // lastEventId when eos arrived
    this.failedInARow = 0; // failovers since a connection last opened
    this.counters = {
      opens: 0, reconnects: 0, failovers: 0, mediaEvents: 0, bytes: 0, lostEvents: 0, duplicateEvents: 0,
      badEvents: 0, expired: 0, tokenRefreshes: 0,
    };
  }

  /** The URL in use (or to be used next), without any lastEventId added. */
  get url() {
    return this.urls[this.index];
  }

  /** Connects (again); a fresh connection joins at the latest keyframe. */
  open() {
    this.close();
    if (this.getToken && !new URL(this.url).searchParams.has('token')) {
      this.#setState(SourceState.CONNECTING, 'getting an access token');
      this.#refreshToken().then((ok) => ok !== null && this.#connect(false));
      return;
    }
    this.#connect(false);
  }

  /**
   * Asks getToken for a new token and puts it in every URL. Resolves to
   * true (a new token), false (none: the URLs are kept), or null when
   * open() or close() came meanwhile (the caller stops).
   */
  async #refreshToken() {
    const generation = this.generation;
    let token = null;
    try {
      token = await this.getToken();
    } catch (e) {
      if (generation === this.generation) this.#setState(SourceState.FAILED, `getToken failed: ${e?.message ?? e}`);
    }
    if (generation !== this.generation) return null;
    if (typeof token !== 'string' || token === '') return false;
    this.urls = this.urls.map((u) => withToken(u, token));
    this.counters.tokenRefreshes++;
    return true;
  }

  /** event: expired: the token ran out; a new one, then on from the last id. */
  #onExpired() {
    this.counters.expired++;
    this.#drop();
    if (!this.getToken) {
      this.#setState(SourceState.FAILED, 'the access token expired');
      this.#reopenLater();
      return;
    }
    this.#setState(SourceState.RETRYING, TOKEN_EXPIRED);
    this.#refreshToken().then((ok) => {
      if (ok === null) return;
      if (ok) this.#connect(true, resumeUrl(this.url, this.lastEventId));
      else this.#reopenLater();
    });
  }

  #connect(isRetry, url = this.url) {
    this.#setState(SourceState.CONNECTING);
    let retry = isRetry;
    const es = (this.es = new EventSource(url));
    es.onopen = () => {
      this.counters.opens++;
      if (retry) this.counters.reconnects++;
      retry = true; // EventSource's own reconnections count as well
      this.failedInARow = 0;
      this.#setState(SourceState.OPEN);
    };
    es.onerror = () => this.#onError(es);
    es.onmessage = (e) => {
      this.#noteId(e);
      this.#onMedia(e);
    };
    es.addEventListener('stream', (e) => {
      this.#noteId(e);
      this.#onStream(e);
    });
    es.addEventListener('reset', (e) => {
      this.#noteId(e);
      this.lastSeq = null;
      this.h.onReset?.(parseJson(e.data) ?? {});
    });
    es.addEventListener('gap', (e) => {
      this.#noteId(e);
      this.lastSeq = null;
      this.h.onGap?.(parseJson(e.data) ?? {});
    });
    es.addEventListener('eos', (e) => this.#onEos(e));
    es.addEventListener('expired', () => this.#onExpired());
  }

  /** Remembers the stream position, for a failover to resume from. */
  #noteId(e) {
    if (e.lastEventId) this.lastEventId = e.lastEventId;
    if (this.state === SourceState.ENDED && e.type !== 'eos') this.#setState(SourceState.OPEN);
  }

  #onEos(e) {
    // A relay that replays its recent messages to a new subscriber (nchan)
    // sends the eos we have already handled again after we reopen: the same
    // id means the stream has not come back yet, so stay and wait for it.
    if (e.lastEventId && e.lastEventId === this.endedEventId) {
      if (this.state !== SourceState.ENDED) this.#setState(SourceState.ENDED);
      return;
    }
    this.#noteId(e);
    this.endedEventId = e.lastEventId || null;
    this.#drop();
    this.#setState(SourceState.ENDED);
    this.h.onEos?.();
    this.#reopenLater();
  }

  /** Stops receiving; a later open() joins the live edge afresh. */
  close() {
    this.generation++;
    this.#drop();
    this.lastSeq = null;
    this.lastEventId = '';
    this.failedInARow = 0;
    if (this.state !== SourceState.CLOSED) this.#setState(SourceState.CLOSED);
  }

  #drop() {
    clearTimeout(this.reopenTimer);
    this.reopenTimer = 0;
    if (this.es) {
      this.es.onopen = this.es.onerror = this.es.onmessage = null;
      this.es.close();
      this.es = null;
    }
  }

  #reopenLater(url = this.url) {
    clearTimeout(this.reopenTimer);
    this.reopenTimer = setTimeout(() => this.#connect(true, url), this.reopenDelayMs);
  }

  #onError(es) {
    if (this.urls.length > 1) {
      this.#failover();
      return;
    }
    if (es.readyState === EventSource.CLOSED) {
      // EventSource gave up (HTTP error, wrong content type): retry ourselves,
      // with a new token when the page gives them (the refusal may be a 401).
      this.#drop();
      this.#setState(SourceState.FAILED, 'the server refused the stream request');
      if (!this.getToken) {
        this.#reopenLater();
        return;
      }
      this.#refreshToken().then((ok) => ok !== null && this.#reopenLater());
    } else {
      this.#setState(SourceState.RETRYING,
        this.state === SourceState.OPEN ? 'connection lost' : 'server unreachable');
    }
  }

  /**
   * The connection failed (lost while open, could not connect, or refused):
   * go on with the next URL from where we are. Once every URL has failed in
   * a row, wait reopenDelayMs before each further attempt.
   */
  #failover() {
    const lost = this.state === SourceState.OPEN;
    this.#drop();
    this.failedInARow++;
    const next = nextUrlIndex(this.index, this.urls.length, this.failedInARow);
    this.index = next.index;
    this.counters.failovers++;
    const url = resumeUrl(this.url, this.lastEventId);
    this.#setState(SourceState.RETRYING, lost ? 'connection lost' : 'server unreachable');
    if (next.wait) this.#reopenLater(url);
    else this.#connect(true, url);
  }

  #onStream(e) {
    const info = parseJson(e.data) ?? {};
    // Through a relay the first `stream` event may be missing (it is not in
    // the messages replayed to a new subscriber): then a `stream` event whose
    // epoch is above every id received starts a new run all the same.
    const epochChanged = this.epoch !== null
      ? info.epoch !== this.epoch
      : this.lastSeq !== null && Number(info.epoch) > this.lastSeq;
    this.epoch = info.epoch ?? null;
    if (epochChanged) this.lastSeq = null;
    this.h.onStream?.(info, epochChanged);
  }

  #onMedia(e) {
    const recvTime = performance.now();
    const msg = parseJson(e.data);
    if (!msg || typeof msg.data !== 'string') {
      this.counters.badEvents++;
      return;
    }
    const seq = Number(msg.seq ?? e.lastEventId);
    if (!Number.isSafeInteger(seq)) {
      this.counters.badEvents++;
      return;
    }
    if (this.lastSeq !== null && seq <= this.lastSeq) {
      // After a reconnection the server starts again at its latest keyframe,
      // which we may already have: skip what we have, continue after it.
      this.counters.duplicateEvents++;
      return;
    }
    if (this.lastSeq !== null && seq !== this.lastSeq + 1) {
      // Resumed somewhere else than where we left (or events were dropped):
      // whatever was half-received cannot be completed.
      this.counters.lostEvents += Math.max(0, seq - this.lastSeq - 1);
      this.h.onGap?.({ reason: 'sequence', expected: this.lastSeq + 1, got: seq });
    }
    this.lastSeq = seq;
    const bytes = decodeBase64(msg.data);
    this.counters.mediaEvents++;
    this.counters.bytes += bytes.length;
    this.h.onMedia?.({ seq, key: msg.key === true, pts: msg.pts ?? null, ts: msg.ts, bytes, recvTime });
  }

  #setState(state, detail = '') {
    this.state = state;
    this.detail = detail; // why, in words: the last state change's
    this.h.onState?.(state, detail);
  }
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
