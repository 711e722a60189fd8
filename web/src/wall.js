// Entry point of wall.html: a grid of tiles, each a player (player.js) fed
// by one shared connection to the multiplexed endpoint (mux-source.js), or,
// on a server without one, by an EventSource of its own.
//   - click a tile: it fills the window and switches to its main stream
//     (`P/hd`, wall-layout.js), showing the small picture until the large
//     one's first frame is drawn; Close or Esc switches back the same way;
//   - a tile out of view (IntersectionObserver), or behind an enlarged one,
//     does not decode (media withheld and counted; it starts again at a key);
//   - a hidden tab does not decode, and closes the connection after a grace
//     time; shown again, every stream joins afresh at a key chunk.
// window.sseWall.players: each tile's stats (window.ssePlayer.stats' fields
// plus stream, framesSkipped, ...: web/README.md). Main thread of the page.

import { SsePlayer } from './player.js';
import { SseSource } from './sse-source.js';
import { MuxConnection, TileSource, KeyGate, gatedHandlers } from './mux-source.js';
import { wallOptions, pairStreams, gridFor } from './wall-layout.js';

const TICK_MS = 100; // how often a switch looks for the new stream's first frame
const BROWSER_CONNECTIONS = 6; // per origin over HTTP/1.1, in every engine here
const TERMINAL = ['unsupported', 'missing', 'ended', 'failed', 'retrying', 'stalled'];

const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content ?? null;

class Tile {
  constructor(wall, pair) {
    this.wall = wall;
    this.pair = pair;
    this.el = document.getElementById('tile-template').content.firstElementChild.cloneNode(true);
    this.el.dataset.stream = pair.path;
    this.el.querySelector('.label').textContent = pair.path;
    this.note = this.el.querySelector('.switch-note');
    this.closeButton = this.el.querySelector('.close');
    this.enlarged = false;
    this.inView = true; // until the IntersectionObserver says otherwise
    this.current = this.#layer(pair.path);
    this.incoming = null; // {player, layer, path} being switched to
    this.switchStart = null;
    this.lastSwitch = null; // {from, to, oldEvents, newEvents} of the last switch done
    this.el.addEventListener('click', (e) => {
      if (e.target.closest('.controls')) return;
      if (e.target.closest('.close')) wall.shrink();
      else if (!this.enlarged) wall.enlarge(this);
    });
    this.el.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !this.enlarged) wall.enlarge(this);
    });
  }

  /** A player for `path` in a layer of its own. */
  #layer(path) {
    const { wall } = this;
    const layer = document.getElementById('player-template').content.firstElementChild.cloneNode(true);
    this.el.prepend(layer);
    const createSource = (urls, handlers) => {
      if (wall.mux) return new TileSource(wall.mux, path, handlers);
      const gate = new KeyGate();
      const source = new SseSource(urls, gatedHandlers(handlers, gate), { getToken: wall.getToken });
      source.gate = gate;
      source.setActive = (active) => gate.setActive(active);
      return source;
    };
    const src = new URL(path, wall.options.base);
    if (wall.options.token !== null) src.searchParams.set('token', wall.options.token);
    const player = new SsePlayer(layer, {
      src: src.href, mode: wall.options.mode, showStats: wall.options.showStats,
      createSource, keys: false,
    });
    player.warnings.push(...wall.options.warnings);
    const entry = { player, layer, path };
    this.#apply(entry);
    player.start();
    return entry;
  }

  /** Switches to `path` (no-op if shown or already coming). */
  switchTo(path) {
    if (this.incoming?.path === path) return;
    this.#dropIncoming();
    if (path === this.current.path) return;
    this.switchStart = { from: this.current.path, events: this.current.player.source.counters.mediaEvents };
    this.incoming = this.#layer(path);
    // After the layer shown: on top, transparent until its first frame.
    this.el.insertBefore(this.incoming.layer, this.current.layer.nextSibling);
    this.incoming.layer.classList.add('incoming');
    this.#updateNote();
  }

  #dropIncoming() {
    if (!this.incoming) return;
    this.incoming.player.destroy();
    this.incoming.layer.remove();
    this.incoming = null;
    this.#updateNote();
  }

  /** Called every TICK_MS: the incoming stream takes over once it drew a frame. */
  tick() {
    if (!this.incoming) return;
    if (this.incoming.player.statsData.framesDrawn > 0) {
      const old = this.current;
      // How long the switch took, in the old stream's events (one a frame),
      // and how many of the new one's came before its first frame.
      this.lastSwitch = {
        from: old.path, to: this.incoming.path,
        oldEvents: old.player.source.counters.mediaEvents - this.switchStart.events,
        newEvents: this.incoming.player.source.counters.mediaEvents,
        newSkipped: this.incoming.player.source.gate.eventsSkipped, // 0: it started at the first key chunk it got
      };
      this.current = this.incoming;
      this.incoming = null;
      this.current.layer.classList.remove('incoming');
      this.el.querySelector('.label').textContent = this.current.path;
      old.player.destroy();
      old.layer.remove();
    }
    this.#updateNote();
  }

  #updateNote() {
    const inc = this.incoming;
    let text = '';
    if (inc) {
      const { state } = inc.player.stats;
      const message = inc.layer.querySelector('.message').textContent;
      text = TERMINAL.includes(state) ? `${inc.path}: ${message}` : `Switching to ${inc.path}…`;
    }
    this.note.textContent = text;
    this.note.hidden = text === '';
  }

  /** Whether this tile's decoders run: seen, and not behind an enlarged tile. */
  get decoding() {
    const w = this.wall;
    return w.pageVisible && (this.enlarged || (!w.enlargedTile && this.inView));
  }

  apply() {
    this.#apply(this.current);
    if (this.incoming) this.#apply(this.incoming);
  }

  #apply(entry) {
    entry.player.source.setActive(this.decoding);
  }

  setEnlarged(on) {
    this.enlarged = on;
    this.el.classList.toggle('enlarged', on);
    this.closeButton.hidden = !on;
    this.switchTo(on && this.pair.main ? this.pair.main : this.pair.path);
  }

  /** The tile's statistics (window.sseWall.players). */
  stats() {
    const { player, path } = this.current;
    const gate = player.source.gate;
    return {
      ...player.stats,
      stream: path,
      tile: this.pair.path,
      main: this.pair.main,
      enlarged: this.enlarged,
      inView: this.inView,
      decoding: this.decoding,
      framesSkipped: gate.framesSkipped,
      eventsWithheld: gate.eventsSkipped,
      switchingTo: this.incoming?.path ?? null,
      lastSwitch: this.lastSwitch,
      message: this.current.layer.querySelector('.message').textContent,
    };
  }

  suspend() {
    if (this.wall.mux) return; // the connection is suspended as a whole
    for (const e of [this.current, this.incoming]) if (e) e.player.source.close();
  }

  resumeLive() {
    if (this.wall.mux) return;
    for (const e of [this.current, this.incoming]) {
      if (!e) continue;
      e.player.source.gate.rejoin();
      e.player.source.open();
    }
  }
}

class Wall {
  constructor(root, options) {
    this.root = root;
    this.options = options;
    this.message = document.querySelector('.wall-message');
    this.pageVisible = !document.hidden;
    this.enlargedTile = null;
    this.hideTimer = 0;
    this.suspended = false;
    // An embedding page that mints short-lived tokens sets window.sseGetToken (as for the player).
    this.getToken = typeof window.sseGetToken === 'function' ? window.sseGetToken : null;
    this.mux = options.muxUrl ? new MuxConnection(options.muxUrl, { base: options.base, getToken: this.getToken }) : null;
    this.tiles = pairStreams(options.streams).map((pair) => new Tile(this, pair));
    for (const t of this.tiles) root.append(t.el);
    this.#say();
    this.#layout();
    addEventListener('resize', () => this.#layout());
    document.addEventListener('visibilitychange', () => this.#onVisibility());
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.shrink();
    });
    if ('IntersectionObserver' in window) {
      const io = new IntersectionObserver((entries) => {
        for (const entry of entries) {
          const tile = this.tiles.find((t) => t.el === entry.target);
          if (!tile) continue;
          tile.inView = entry.isIntersecting;
          tile.apply();
        }
      });
      for (const t of this.tiles) io.observe(t.el);
    }
    setInterval(() => {
      for (const t of this.tiles) t.tick();
    }, TICK_MS);
  }

  #say() {
    const { streams, muxUrl, warnings } = this.options;
    const lines = [...warnings];
    if (streams.length === 0) {
      lines.push(meta('sse-streams') !== null ? 'This server has no streams yet. Reload when it has.'
        : 'No streams to show: give them as ?streams=/cam1,/cam2.');
    } else if (!muxUrl && this.tiles.length >= BROWSER_CONNECTIONS) {
      const why = this.options.muxOff ? '?mux=0 asks for no multiplexed endpoint' : 'This server has no multiplexed endpoint (mux-path)';
      lines.push(`${why}, so each tile opens its own connection; ` +
        `browsers allow ${BROWSER_CONNECTIONS} per server, and the tiles beyond that wait.`);
    }
    this.message.textContent = lines.join(' ');
    this.message.hidden = lines.length === 0;
  }

  #layout() {
    // wall.css: 2 px padding around the grid, 4 px gaps.
    const g = gridFor(this.tiles.length, document.documentElement.clientWidth - 4,
      innerHeight - 4 - (this.message.hidden ? 0 : this.message.offsetHeight), { minWidth: this.options.tileMin, gap: 4 });
    this.root.style.gridTemplateColumns = `repeat(${g.cols}, ${g.tileWidth}px)`;
    this.root.style.gridAutoRows = `${g.tileHeight}px`;
  }

  enlarge(tile) {
    if (this.enlargedTile === tile) return;
    if (this.enlargedTile) this.enlargedTile.setEnlarged(false);
    this.enlargedTile = tile;
    tile.setEnlarged(true);
    this.#applyAll();
  }

  shrink() {
    const tile = this.enlargedTile;
    if (!tile) return;
    this.enlargedTile = null;
    tile.setEnlarged(false);
    this.#applyAll();
  }

  #applyAll() {
    for (const t of this.tiles) t.apply();
  }

  #onVisibility() {
    this.pageVisible = !document.hidden;
    clearTimeout(this.hideTimer);
    if (!this.pageVisible) {
      this.hideTimer = setTimeout(() => this.#suspend(), this.options.graceMs);
    } else if (this.suspended) {
      this.suspended = false;
      this.mux?.resume();
      for (const t of this.tiles) t.resumeLive();
    }
    this.#applyAll();
  }

  #suspend() {
    this.suspended = true;
    this.mux?.suspend();
    for (const t of this.tiles) t.suspend();
  }

  /** For scripts and tests: see web/README.md. */
  api() {
    const wall = this;
    return {
      get players() {
        return wall.tiles.map((t) => t.stats());
      },
      get connection() {
        const m = wall.mux;
        return {
          mux: Boolean(m), url: m?.muxUrl ?? null, state: m?.state ?? null, paths: m ? [...m.paths] : [],
          lastEventId: m?.lastEventId ?? '', suspended: wall.suspended, counters: m ? { ...m.counters } : null,
        };
      },
      enlarge: (path) => {
        const tile = wall.tiles.find((t) => t.pair.path === path || t.pair.main === path);
        if (tile) wall.enlarge(tile);
        return Boolean(tile);
      },
      shrink: () => wall.shrink(),
      options: wall.options,
    };
  }
}

const options = wallOptions({
  search: location.search, baseUrl: document.baseURI, metaStreams: meta('sse-streams'), metaMux: meta('sse-mux'),
});
window.sseWall = new Wall(document.getElementById('wall'), options).api();
