// The ssesink wire protocol on top of EventSource: parses the named events
// (stream, reset, gap, eos) and the unnamed media events, decodes their
// Base64 payload, notices lost events from the sequence numbers, and keeps
// reconnecting: EventSource retries network errors by itself (sending
// Last-Event-ID), and this class reopens it after the cases where it gives up
// (an HTTP error status, or the end of the stream).

const REOPEN_DELAY_MS = 3000; // after eos or a refused request

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
 * @typedef {{seq:number, key:boolean, pts:number|null, ts:number,
 *            bytes:Uint8Array, recvTime:number}} MediaChunk
 *   recvTime is performance.now() when the event arrived.
 */

export class SseSource {
  /**
   * @param {string} url
   * @param {{onStream?:Function, onMedia?:(c:MediaChunk)=>void, onReset?:Function,
   *          onGap?:Function, onEos?:Function, onState?:(s:string, detail?:string)=>void}} handlers
   * @param {{reopenDelayMs?:number}} options
   */
  constructor(url, handlers, { reopenDelayMs = REOPEN_DELAY_MS } = {}) {
    this.url = url;
    this.h = handlers;
    this.reopenDelayMs = reopenDelayMs;
    this.es = null;
    this.state = SourceState.CLOSED;
    this.reopenTimer = 0;
    this.lastSeq = null;
    this.epoch = null;
    this.counters = {
      opens: 0, reconnects: 0, mediaEvents: 0, bytes: 0, lostEvents: 0, duplicateEvents: 0, badEvents: 0,
    };
  }

  /** Connects (again); a fresh connection joins at the latest keyframe. */
  open() {
    this.close();
    this.#connect(false);
  }

  #connect(isRetry) {
    this.#setState(SourceState.CONNECTING);
    let retry = isRetry;
    const es = (this.es = new EventSource(this.url));
    es.onopen = () => {
      this.counters.opens++;
      if (retry) this.counters.reconnects++;
      retry = true; // EventSource's own reconnections count as well
      this.#setState(SourceState.OPEN);
    };
    es.onerror = () => this.#onError(es);
    es.onmessage = (e) => this.#onMedia(e);
    es.addEventListener('stream', (e) => this.#onStream(e));
    es.addEventListener('reset', (e) => {
      this.lastSeq = null;
      this.h.onReset?.(parseJson(e.data) ?? {});
    });
    es.addEventListener('gap', (e) => {
      this.lastSeq = null;
      this.h.onGap?.(parseJson(e.data) ?? {});
    });
    es.addEventListener('eos', () => {
      this.#drop();
      this.#setState(SourceState.ENDED);
      this.h.onEos?.();
      this.#reopenLater();
    });
  }

  /** Stops receiving; a later open() joins the live edge afresh. */
  close() {
    this.#drop();
    this.lastSeq = null;
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

  #reopenLater() {
    clearTimeout(this.reopenTimer);
    this.reopenTimer = setTimeout(() => this.#connect(true), this.reopenDelayMs);
  }

  #onError(es) {
    if (es.readyState === EventSource.CLOSED) {
      // EventSource gave up (HTTP error, wrong content type): retry ourselves.
      this.#drop();
      this.#setState(SourceState.FAILED, 'the server refused the stream request');
      this.#reopenLater();
    } else {
      this.#setState(SourceState.RETRYING,
        this.state === SourceState.OPEN ? 'connection lost' : 'server unreachable');
    }
  }

  #onStream(e) {
    const info = parseJson(e.data) ?? {};
    const epochChanged = this.epoch !== null && info.epoch !== this.epoch;
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
