// The player: connects the SSE source to a decode path, picks the path,
// and runs the controls, the status messages and the statistics overlay.

import { SseSource, SourceState } from './sse-source.js';
import { TsDemuxer } from './tsdemux.js';
import { PlayerStats } from './stats.js';
import { WebCodecsPath } from './webcodecs-path.js';
import { MsePath } from './mse-path.js';

const PATH_LABELS = { webcodecs: 'WebCodecs', mse: 'MSE (mpegts.js)' };
const STALL_MS = 2000; // no frame for this long while connected: say so
const MAX_PENDING_CHUNKS = 300; // held while a path is starting
const UI_INTERVAL_MS = 250;

export class SsePlayer {
  /**
   * @param {HTMLElement} root the element holding the player markup (index.html)
   * @param {{src:string, sources?:string[], mode:string, showStats?:boolean}} options
   *   `sources`: several URLs of the same stream, for failover (default [src])
   */
  constructor(root, { src, sources = [src], mode, showStats = false }) {
    this.root = root;
    this.mode = mode;
    this.el = {
      canvas: root.querySelector('canvas'),
      video: root.querySelector('video'),
      message: root.querySelector('.message'),
      overlay: root.querySelector('.overlay'),
      pathBadge: root.querySelector('.path'),
      pause: root.querySelector('[data-action=pause]'),
      mute: root.querySelector('[data-action=mute]'),
      statsButton: root.querySelector('[data-action=stats]'),
      fullscreen: root.querySelector('[data-action=fullscreen]'),
    };
    this.statsData = new PlayerStats();
    this.support = null; // {webcodecs, mse} probe results
    this.path = null;
    this.pathId = null;
    this.pathWhy = '';
    this.pathStarting = null; // promise while a path starts
    this.program = null;
    this.probeDemuxer = null;
    this.pending = [];
    this.waitingForKey = true;
    this.seenKey = false;
    this.paused = false;
    this.failedPaths = new Set();
    this.fatal = null; // message when nothing can play the stream
    this.warnings = [];
    this.uiTimer = 0;
    this.source = new SseSource(sources, {
      onStream: (info, epochChanged) => this.#onStream(info, epochChanged),
      onMedia: (chunk) => this.#onMedia(chunk),
      onReset: () => {
        this.statsData.resets++;
        this.#resync(true);
      },
      onGap: () => {
        this.statsData.gaps++;
        this.#resync(false);
      },
      onEos: () => this.path?.endOfStream(),
      onState: () => this.#render(),
    });
    this.statsData.source = this.source.counters;
    this.el.overlay.hidden = !showStats;
    this.#bindControls();
  }

  /** Statistics as a plain object (see README for the fields). */
  get stats() {
    const s = this.statsData.snapshot();
    s.state = this.#state();
    s.src = this.src;
    s.sources = [...this.source.urls];
    s.lastEventId = this.source.lastEventId;
    return s;
  }

  /** The stream URL in use (with several, the current one). */
  get src() {
    return this.source.url;
  }

  async start() {
    const [webcodecs, mse] = await Promise.all([WebCodecsPath.probe(), MsePath.probe()]);
    this.support = { webcodecs, mse };
    if (!webcodecs.ok && !mse.ok) {
      this.#fail(`This browser cannot play the stream: ${webcodecs.reason}, and ${mse.reason}. ` +
        'A current Chrome, Edge, Firefox or Safari can.');
      return;
    }
    this.source.open();
    this.uiTimer = setInterval(() => this.#render(), UI_INTERVAL_MS);
    this.#render();
  }

  pause() {
    if (this.paused || this.fatal) return;
    this.paused = true;
    this.source.close(); // no point receiving what we will not show
    this.el.video.pause();
    this.#render();
  }

  /** Resumes at the live edge: a new connection joins at the latest keyframe. */
  resume() {
    if (!this.paused) return;
    this.paused = false;
    this.#resync(true);
    this.source.open();
    this.#render();
  }

  togglePause() {
    if (this.paused) this.resume();
    else this.pause();
  }

  toggleStats() {
    this.el.overlay.hidden = !this.el.overlay.hidden;
    this.#render();
  }

  toggleFullscreen() {
    if (document.fullscreenElement) document.exitFullscreen();
    else this.root.requestFullscreen?.().catch(() => {});
  }

  toggleMute() {
    const video = this.el.video;
    video.muted = !video.muted;
    if (!video.muted) video.play().catch(() => {});
    this.#render();
  }

  // --- stream events -------------------------------------------------------

  #onStream(info, epochChanged) {
    const warning = `server speaks protocol ${info.protocol}, this player knows 1`;
    if (info.protocol !== undefined && info.protocol !== 1 && !this.warnings.includes(warning)) {
      this.warnings.push(warning);
    }
    if (epochChanged) this.#resync(true); // the server restarted
  }

  #onMedia(chunk) {
    const stats = this.statsData;
    stats.chunkReceived(chunk.bytes.length, chunk.recvTime);
    if (chunk.key) this.seenKey = true;
    if (this.seenKey) stats.eventsAfterFirstKey++;
    if (this.fatal || this.paused) return;
    if (this.waitingForKey) {
      if (!chunk.key) {
        stats.eventsSkipped++;
        return;
      }
      this.waitingForKey = false;
    }
    if (this.path && !this.pathStarting) {
      this.path.feed(chunk);
      return;
    }
    this.pending.push(chunk);
    if (this.pending.length > MAX_PENDING_CHUNKS) this.#resync(false);
    if (!this.path) this.#probe(chunk);
  }

  /** Reads PAT/PMT from the first chunks to learn what the stream carries. */
  #probe(chunk) {
    this.probeDemuxer ??= new TsDemuxer({ onProgram: (program) => (this.program = program) });
    this.probeDemuxer.push(chunk.bytes);
    if (!this.program) return;
    this.probeDemuxer = null;
    const choice = this.#choosePath(this.program);
    if (choice) this.#startPath(choice.id, choice.why);
  }

  #choosePath(program) {
    const codecs = program.streams.map((s) => s.codec);
    if (!codecs.includes('h264')) {
      this.#fail(`The stream carries ${codecs.join(', ') || 'no streams'}; this player needs H.264 video.`);
      return null;
    }
    const { webcodecs, mse } = this.support;
    const hasAudio = codecs.includes('aac');
    if (this.mode !== 'auto') {
      const probe = this.support[this.mode];
      if (!probe.ok) {
        this.#fail(`?mode=${this.mode} was asked for, but ${probe.reason}.`);
        return null;
      }
      return { id: this.mode, why: `forced by ?mode=${this.mode}` };
    }
    if (hasAudio && mse.ok) return { id: 'mse', why: 'the stream has audio' };
    if (webcodecs.ok) return { id: 'webcodecs', why: hasAudio ? `audio not played: ${mse.reason}` : 'lowest latency' };
    return { id: 'mse', why: webcodecs.reason };
  }

  async #startPath(id, why) {
    this.path?.destroy();
    const stats = this.statsData;
    const common = {
      stats,
      onFatal: (reason) => this.#pathFailed(id, reason),
      waitForKeyframe: () => this.#resync(false),
    };
    const hasAudio = this.program.streams.some((s) => s.codec === 'aac');
    this.path = id === 'webcodecs'
      ? new WebCodecsPath({ canvas: this.el.canvas, ...common })
      : new MsePath({ video: this.el.video, hasAudio, url: this.src, ...common });
    this.pathId = id;
    this.pathWhy = why;
    stats.path = id;
    this.el.canvas.hidden = id !== 'webcodecs';
    this.el.video.hidden = id !== 'mse';
    const path = this.path;
    this.pathStarting = path.start();
    await this.pathStarting;
    if (path !== this.path) return; // replaced meanwhile
    this.pathStarting = null;
    const pending = this.pending;
    this.pending = [];
    for (const chunk of pending) path.feed(chunk);
    this.#render();
  }

  /** A path found it cannot play the stream: try the other one, once. */
  #pathFailed(id, reason) {
    if (this.pathId !== id) return;
    this.failedPaths.add(id);
    const other = id === 'webcodecs' ? 'mse' : 'webcodecs';
    if (this.mode === 'auto' && this.support[other].ok && !this.failedPaths.has(other)) {
      this.statsData.error(`${PATH_LABELS[id]}: ${reason}`);
      this.#resync(true);
      this.#startPath(other, reason);
      return;
    }
    this.#fail(`Cannot play the stream: ${reason}.`);
  }

  /** Drops what is in flight and waits for the next keyframe. */
  #resync(newStream) {
    this.waitingForKey = true;
    this.pending = [];
    if (newStream && !this.path) {
      this.probeDemuxer = null; // the PAT/PMT may differ now
      this.program = null;
    }
    this.path?.resync(newStream);
  }

  #fail(message) {
    this.fatal = message;
    this.statsData.error(message);
    this.source.close();
    this.path?.destroy();
    this.path = null;
    this.#render();
  }

  // --- UI ------------------------------------------------------------------

  #state() {
    if (this.fatal) return 'unsupported';
    if (this.paused) return 'paused';
    switch (this.source.state) {
      case SourceState.ENDED: return 'ended';
      case SourceState.FAILED: return 'failed';
      case SourceState.RETRYING: return 'retrying';
      case SourceState.CONNECTING: return 'connecting';
      case SourceState.CLOSED: return 'starting';
      default: break;
    }
    const last = this.statsData.drawTimes.times.at(-1);
    return last !== undefined && performance.now() - last < STALL_MS ? 'playing' : 'waiting';
  }

  #message(state) {
    const detail = this.source.state === SourceState.RETRYING && this.statsData.framesDrawn > 0
      ? 'Connection lost. Reconnecting…'
      : `Cannot reach ${this.src}. Retrying…`;
    switch (state) {
      case 'unsupported': return this.fatal;
      case 'paused': return 'Paused. Play returns to the live picture.';
      case 'ended': return 'The stream has ended. Waiting for it to start again…';
      case 'failed': return `The server refused ${this.src}. Retrying…`;
      case 'retrying': return detail;
      case 'connecting':
      case 'starting': return 'Connecting…';
      case 'waiting': return this.path ? 'Waiting for the picture…' : 'Waiting for the stream…';
      default: return '';
    }
  }

  #render() {
    const state = this.#state();
    const { el } = this;
    const message = this.#message(state);
    el.message.textContent = message;
    el.message.hidden = message === '';
    el.message.classList.toggle('error', state === 'unsupported');
    this.root.dataset.state = state;
    el.pause.textContent = this.paused ? 'Play' : 'Pause';
    el.pause.setAttribute('aria-label', this.paused ? 'Play (live)' : 'Pause');
    el.pathBadge.textContent = this.pathId ? PATH_LABELS[this.pathId] : '';
    el.pathBadge.title = this.pathWhy;
    const audible = this.pathId === 'mse' && this.program?.streams.some((s) => s.codec === 'aac');
    el.mute.hidden = !audible;
    el.mute.textContent = el.video.muted ? 'Unmute' : 'Mute';
    el.statsButton.setAttribute('aria-pressed', String(!el.overlay.hidden));
    if (!el.overlay.hidden) el.overlay.textContent = this.#overlayText();
  }

  #overlayText() {
    const s = this.stats;
    const ms = (v) => (v === null ? '–' : `${v} ms`);
    const lines = [
      ['path', `${PATH_LABELS[s.path] ?? '–'}${this.pathWhy ? ` (${this.pathWhy})` : ''}`],
      ['state', s.state],
      ['codec', s.codec ?? '–'],
      ['resolution', s.width ? `${s.width}×${s.height}` : '–'],
      ['fps', s.fps],
      ['bitrate', `${s.bitrateKbps} kbit/s`],
      ['latency', `${ms(s.latencyMs.p50)} p50, ${ms(s.latencyMs.p95)} p95 (server → screen)`],
      ['receipt', `${ms(s.receiptLatencyMs.p50)} p50, ${ms(s.receiptLatencyMs.p95)} p95 (arrival → screen)`],
      ['frames', `${s.framesDecoded} decoded, ${s.framesDrawn} shown, ${s.framesDropped} dropped`],
      ['events', `${s.mediaEvents} received, ${s.eventsSkipped} skipped`],
      ['reconnects', `${s.reconnects} (failovers ${s.failovers}, gaps ${s.gaps}, resets ${s.resets})`],
      ['errors', s.errors ? `${s.errors}: ${s.lastError}` : '0'],
    ];
    if (s.sources.length > 1) {
      lines.push(['source', `${s.sources.indexOf(s.src) + 1} of ${s.sources.length}: ${s.src}`]);
    }
    for (const w of this.warnings) lines.push(['warning', w]);
    return lines.map(([k, v]) => `${k.padEnd(11)}${v}`).join('\n');
  }

  #bindControls() {
    const { el } = this;
    el.pause.addEventListener('click', () => this.togglePause());
    el.mute.addEventListener('click', () => this.toggleMute());
    el.statsButton.addEventListener('click', () => this.toggleStats());
    el.fullscreen.addEventListener('click', () => this.toggleFullscreen());
    this.root.addEventListener('dblclick', (e) => {
      if (!e.target.closest('.controls')) this.toggleFullscreen();
    });
    document.addEventListener('keydown', (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey || e.target.closest?.('input, textarea, select')) return;
      const actions = {
        s: () => this.toggleStats(),
        f: () => this.toggleFullscreen(),
        m: () => this.toggleMute(),
        k: () => this.togglePause(),
        ' ': () => this.togglePause(),
      };
      const action = actions[e.key.toLowerCase()];
      if (!action || (e.key === ' ' && e.target.closest?.('button'))) return;
      e.preventDefault();
      action();
    });
  }
}
