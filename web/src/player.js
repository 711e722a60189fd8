// The player: connects the SSE source to a decode path, picks the path from
// what the browser says it can decode (codec-support.js), and runs the
// controls, the status messages (status.js) and the statistics overlay.

import { SseSource, SourceState, TOKEN_EXPIRED } from './sse-source.js';
import { PlayerStats } from './stats.js';
import { WebCodecsPath } from './webcodecs-path.js';
import { MsePath } from './mse-path.js';
import { StreamInspector } from './stream-inspector.js';
import {
  DEFAULT_AAC, PATH_LABELS, VIDEO_CODECS, choosePath, describeVideo, pathAvailability, probeCodecs,
  supportSummary, videoInfoFromStream,
} from './codec-support.js';
import { playerStatus } from './status.js';
import { bindControls, overlayText } from './controls.js';
import { Poster } from './poster.js';

const MAX_PENDING_CHUNKS = 300; // held while a path is starting
const UI_INTERVAL_MS = 250;
// "video,audio" codec strings -> probeCodecs promise: the browser's answers
// do not change while the page lives (WebKitGTK takes ~0.4 s to give them).
const CODEC_ANSWERS = new Map();

export class SsePlayer {
  /**
   * @param {HTMLElement} root the element holding the player markup (index.html)
   * @param {{src:string, sources?:string[], mode:string, showStats?:boolean,
   *          createSource?:Function, keys?:boolean, getToken?:Function}} options
   *   `sources`: several URLs of the same stream, for failover (default [src]);
   *   `createSource(sources, handlers)`: another source with SseSource's
   *   interface (the wall's tiles: mux-source.js); `keys`: bind the keyboard;
   *   `getToken()`: the page's function returning (or resolving to) a fresh
   *   access token, used on reconnect after `event: expired` or a refusal
   *   (sse-source.js)
   */
  constructor(root, { src, sources = [src], mode, showStats = false, createSource = null, keys = true,
    getToken = null }) {
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
      audioNote: root.querySelector('.audio-note'),
      statsButton: root.querySelector('[data-action=stats]'),
      fullscreen: root.querySelector('[data-action=fullscreen]'),
    };
    this.statsData = new PlayerStats();
    this.path = null;
    this.pathId = null;
    this.pathWhy = '';
    this.pathAudio = false; // the path plays the stream's audio
    this.pathStarting = null; // promise while a path starts
    this.program = null;
    this.video = null; // VideoInfo in use: from the SPS, or the stream event until then
    this.audioCodecs = null; // from the stream event or the first ADTS header
    this.checking = null; // the codec string being asked about
    this.checkRound = 0; // answers of an older round are stale
    this.answers = CODEC_ANSWERS; // shared by the players of a page (a wall's tiles ask once)
    this.currentAnswers = null; // the answers for this.video
    this.pending = [];
    this.waitingForKey = true;
    this.seenKey = false;
    this.joinedAt = null; // when frames became due (key chunk joined at, path started)
    this.lastMediaAt = null;
    this.paused = false;
    this.failedPaths = new Set();
    this.unsupported = null; // {message, cause}: nothing here decodes what the stream carries
    this.fatal = null; // message when this browser has no decode path at all
    this.warnings = [];
    this.uiTimer = 0;
    this.inspector = new StreamInspector({
      onProgram: (program) => this.#onProgram(program),
      onVideoInfo: (info) => this.#onVideoInfo(info),
      onAudioCodecs: (codecs) => (this.audioCodecs ??= codecs),
      onError: (message) => this.statsData.error(message),
    });
    const handlers = {
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
      onRejoin: () => this.#resync(false), // the source withheld media: start again at its key chunk
    };
    this.source = createSource ? createSource(sources, handlers) : new SseSource(sources, handlers, { getToken });
    this.statsData.source = this.source.counters;
    this.el.overlay.hidden = !showStats;
    bindControls(this, { keys });
  }

  /** Statistics as a plain object (see README for the fields). */
  get stats() {
    const s = this.statsData.snapshot();
    s.state = this.#status().state;
    s.src = this.src;
    s.sources = [...this.source.urls];
    s.lastEventId = this.source.lastEventId;
    s.poster = this.poster?.state ?? null; // the snapshot shown while joining (poster.js)
    s.posterMs = this.poster?.shownAt == null ? null : Math.round(this.poster.shownAt);
    return s;
  }

  /** The stream URL in use (with several, the current one). */
  get src() {
    return this.source.url;
  }

  async start() {
    const { webcodecs, mse } = pathAvailability(window);
    if (!webcodecs.available && !mse.available) {
      this.#fail(`This browser cannot play the stream: ${webcodecs.reason}, and ${mse.reason}. ` +
        'A current Chrome, Edge, Firefox or Safari can.');
      return;
    }
    const forced = { webcodecs, mse }[this.mode];
    if (forced && !forced.available) {
      this.#fail(`?mode=${this.mode} was asked for, but ${forced.reason}.`);
      return;
    }
    this.source.open();
    this.poster = new Poster(this.root, this.src);
    this.uiTimer = setInterval(() => this.#render(), UI_INTERVAL_MS);
    this.#render();
  }

  /** Stops for good: connection, decoder, timers (a wall tile replaced by another). */
  destroy() {
    clearInterval(this.uiTimer);
    this.fatal ??= 'destroyed';
    this.source.close();
    this.#destroyPath();
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

  /** Sound on or off; the first unmute must come from a user gesture (it starts the audio output). */
  toggleMute() {
    if (!this.pathAudio) return;
    if (this.pathId === 'webcodecs') {
      this.path.toggleMute();
    } else {
      // From the player's own state, not video.muted read back (WebKitGTK
      // can read it as false while the player has it muted).
      const video = this.el.video;
      const unmute = this.statsData.audioState !== 'playing';
      video.muted = !unmute;
      if (unmute) video.play().catch(() => {});
      this.statsData.audioState = unmute ? 'playing' : 'muted';
    }
    this.#render();
  }

  // --- stream events -------------------------------------------------------

  #onStream(info, epochChanged) {
    const warning = `server speaks protocol ${info.protocol}, this player knows 1`;
    if (info.protocol !== undefined && info.protocol !== 1 && !this.warnings.includes(warning)) {
      this.warnings.push(warning);
    }
    if (epochChanged) this.#resync(true); // the server restarted
    // The element names the codecs (docs/protocol.md); nchan and older
    // servers do not, and then the SPS of the first key frame tells.
    const listed = typeof info.codecs === 'string' ? info.codecs.split(',').map((c) => c.trim()) : [];
    const audio = info.audio?.codecs ?? listed.find((c) => c.startsWith('mp4a.'));
    if (audio) this.audioCodecs = audio;
    const video = videoInfoFromStream(info.video ?? { codecs: listed.find((c) => /^(avc[13]|hvc1|hev1)\./.test(c)) });
    if (video) this.#onVideoInfo(video);
  }

  #onMedia(chunk) {
    const stats = this.statsData;
    stats.chunkReceived(chunk.bytes.length, chunk.recvTime);
    this.lastMediaAt = chunk.recvTime;
    if (chunk.key) this.seenKey = true;
    if (this.seenKey) stats.eventsAfterFirstKey++;
    if (this.fatal || this.paused) return;
    if (this.waitingForKey) {
      if (!chunk.key) {
        stats.eventsSkipped++;
        return;
      }
      this.waitingForKey = false;
      this.joinedAt = chunk.recvTime;
    }
    this.inspector.push(chunk.bytes); // may report the program and the video's SPS
    if (this.path && !this.pathStarting && !this.checking) {
      this.path.feed(chunk);
      return;
    }
    // No path yet, none can decode the stream, or the browser is being asked
    // about a new codec: hold the chunks (since a key chunk, within bounds).
    this.pending.push(chunk);
    if (this.pending.length > MAX_PENDING_CHUNKS) this.#resync(false);
    this.#maybeStart();
  }

  #onProgram(program) {
    this.program = program;
    const codecs = program.streams.map((s) => s.codec);
    if (!codecs.some((c) => VIDEO_CODECS.includes(c))) {
      this.#setUnsupported(`The stream carries ${codecs.join(', ') || 'no streams'}; this player needs H.264 or H.265 video.`, 'program');
      return;
    }
    if (this.unsupported?.cause === 'program') this.unsupported = null;
    this.#maybeStart();
  }

  /** New video info (first seen, or the codec string changed): check again. */
  #onVideoInfo(info) {
    const changed = this.video?.codecs !== info.codecs;
    if (!changed && info.from !== 'sps') return; // the SPS is the more precise source
    this.video = info;
    this.statsData.videoInfo = { ...info };
    this.#updateCodec();
    // Re-check a new codec; and while unsupported, an SPS with the same codec
    // string still improves the message (profile, chroma, bit depth).
    if (this.unsupported?.cause === 'codec' || (changed && (this.path || this.checking))) this.#check();
    else this.#maybeStart();
  }

  #updateCodec() {
    const audio = this.#hasAudio() ? (this.audioCodecs ?? DEFAULT_AAC) : null;
    this.statsData.codec = [this.video?.codecs, audio].filter(Boolean).join(',') || null;
  }

  #hasAudio() {
    return this.program?.streams.some((s) => s.codec === 'aac') ?? false;
  }

  /** Starts a path once the program and the video's codec are known. */
  #maybeStart() {
    if (this.path || this.checking || this.unsupported || this.fatal) return;
    if (!this.program || !this.video) return;
    this.#check();
  }

  /** Asks the browser about the stream's codecs, then keeps, starts or switches the path. */
  async #check() {
    const video = this.video;
    const hasAudio = this.#hasAudio();
    const audio = hasAudio ? (this.audioCodecs ?? DEFAULT_AAC) : null;
    const round = ++this.checkRound;
    const key = `${video.codecs},${audio}`;
    this.checking = video.codecs;
    this.#updateCodec();
    if (!this.answers.has(key)) this.answers.set(key, probeCodecs(video, audio, window));
    const answers = await this.answers.get(key);
    if (round !== this.checkRound || this.fatal) return; // asked again meanwhile
    this.checking = null;
    this.currentAnswers = answers;
    this.statsData.decoderSupport = supportSummary(answers);
    if (this.path && answers[this.pathId].video) { // it decodes the new codec too
      if (!this.pathStarting) this.#feedPending(this.path);
      return;
    }
    const choice = choosePath({ mode: this.mode, video, hasAudio, answers, failed: this.failedPaths });
    if (!choice.id) {
      this.#setUnsupported(choice.message, 'codec');
      return;
    }
    this.unsupported = null;
    // The new path starts at the key chunk that brought the new codec's SPS
    // (the latest one held), or else at the next one.
    const last = this.pending.findLastIndex((c) => c.key);
    if (last >= 0) this.pending = this.pending.slice(last);
    else this.#resync(false);
    this.#startPath(choice);
  }

  async #startPath({ id, why, audio, noAudio }) {
    this.path?.destroy();
    const stats = this.statsData;
    const common = {
      stats,
      onFatal: (reason) => this.#pathFailed(id, reason),
      waitForKeyframe: () => this.#resync(false),
    };
    if (audio) {
      const muted = id === 'webcodecs' || this.el.video.muted || this.el.video.hasAttribute('muted');
      stats.setAudio({ path: id, state: muted ? 'muted' : 'playing', message: muted ? 'Muted: click Unmute for sound.' : '' });
    } else if (noAudio) { // choosePath says why when the stream has audio (the program may be read again now)
      stats.setAudio({ state: 'unavailable', message: `No sound: ${noAudio}.` });
    } else {
      stats.setAudio();
    }
    this.path = id === 'webcodecs'
      ? new WebCodecsPath({ canvas: this.el.canvas, audio, onAudioChange: () => this.#render(), ...common })
      : new MsePath({ video: this.el.video, hasAudio: audio, url: this.src, ...common });
    this.pathId = id;
    this.pathWhy = why;
    this.pathAudio = audio;
    stats.path = id;
    this.el.canvas.hidden = id !== 'webcodecs';
    this.el.video.hidden = id !== 'mse';
    const path = this.path;
    this.pathStarting = path.start();
    await this.pathStarting;
    if (path !== this.path) return; // replaced meanwhile
    this.pathStarting = null;
    this.joinedAt = performance.now();
    if (!this.checking) this.#feedPending(path);
    this.#render();
  }

  #feedPending(path) {
    const pending = this.pending;
    this.pending = [];
    for (const chunk of pending) path.feed(chunk);
  }

  /** A path found it cannot play the stream: try another one, once. */
  #pathFailed(id, reason) {
    if (this.pathId !== id) return;
    this.failedPaths.add(id);
    this.statsData.error(`${PATH_LABELS[id]}: ${reason}`);
    this.#destroyPath();
    const answers = this.currentAnswers;
    const choice = this.mode === 'auto' && answers && this.video
      ? choosePath({ mode: 'auto', video: this.video, hasAudio: this.#hasAudio(), answers, failed: this.failedPaths })
      : { id: null };
    if (!choice.id) {
      const what = this.video ? `This stream is ${describeVideo(this.video)}. ` : '';
      this.#setUnsupported(`${what}This browser cannot play it: ${reason}.`, 'path');
      return;
    }
    this.#resync(true);
    this.#startPath({ ...choice, why: reason });
  }

  /** Drops what is in flight and waits for the next keyframe. */
  #resync(newStream) {
    this.waitingForKey = true;
    this.joinedAt = null;
    this.pending = [];
    if (newStream) {
      this.inspector.reset(); // the PAT/PMT may differ now
      this.program = null;
    } else {
      this.inspector.dropPartial();
    }
    this.path?.resync(newStream);
  }

  #destroyPath() {
    this.path?.destroy();
    this.path = null;
    this.pathId = null;
    this.pathStarting = null;
    this.statsData.path = null;
  }

  /** Nothing here decodes what the stream carries: say so, and keep listening for a change. */
  #setUnsupported(message, cause) {
    if (this.unsupported?.message !== message) this.statsData.error(message);
    this.unsupported = { message, cause };
    this.#destroyPath();
    this.pending = [];
    this.#render();
  }

  /** This browser cannot play at all: say so and disconnect. */
  #fail(message) {
    this.fatal = message;
    this.statsData.error(message);
    this.source.close();
    this.#destroyPath();
    this.#render();
  }

  // --- UI ------------------------------------------------------------------

  #status() {
    const stats = this.statsData;
    return playerStatus({
      now: performance.now(),
      unsupported: this.fatal ?? this.unsupported?.message ?? null,
      paused: this.paused,
      source: this.source.state,
      tokenExpired: this.source.detail === TOKEN_EXPIRED,
      src: this.src,
      framesDrawn: stats.framesDrawn,
      lastFrameAt: stats.lastDrawTime,
      joinedAt: this.joinedAt,
      lastMediaAt: this.lastMediaAt,
      eventsPerSecond: stats.eventsPerSecond(),
      waitingForKey: this.waitingForKey,
      eventsSkipped: stats.eventsSkipped,
      checking: this.checking,
      pathLabel: this.path ? PATH_LABELS[this.pathId] : null,
      lastError: stats.lastError,
      lastErrorAt: stats.lastErrorTime,
      keysWithoutSps: this.inspector.keysWithoutSps,
      parser: this.inspector.video?.codec === 'h265' ? 'h265parse' : 'h264parse',
    });
  }

  #render() {
    const { state, message, level } = this.#status();
    const { el } = this;
    el.message.textContent = message;
    el.message.hidden = message === '';
    el.message.classList.toggle('error', level === 'error');
    el.message.classList.toggle('warning', level === 'warning');
    this.root.dataset.state = state;
    const screen = { webcodecs: el.canvas, mse: el.video }[this.pathId] ?? null;
    this.poster?.update(this.statsData.framesDrawn, screen);
    el.pause.textContent = this.paused ? 'Play' : 'Pause';
    el.pause.setAttribute('aria-label', this.paused ? 'Play (live)' : 'Pause');
    el.pathBadge.textContent = this.pathId ? PATH_LABELS[this.pathId] : '';
    el.pathBadge.title = this.pathWhy;
    const audio = this.statsData.audioState;
    el.mute.hidden = !(this.path && this.pathAudio && audio !== 'unavailable');
    el.mute.textContent = audio === 'playing' ? 'Mute' : 'Unmute';
    el.mute.title = this.statsData.audioMessage || (audio === 'playing' ? 'Mute (M)' : 'Unmute (M)');
    const note = this.path && audio === 'unavailable' ? this.statsData.audioMessage : '';
    el.audioNote.textContent = note;
    el.audioNote.hidden = !note;
    el.statsButton.setAttribute('aria-pressed', String(!el.overlay.hidden));
    if (!el.overlay.hidden) {
      el.overlay.textContent = overlayText(this.stats, {
        pathWhy: this.pathWhy,
        video: this.video ? describeVideo(this.video) : null,
        warnings: this.warnings,
      });
    }
  }
}
