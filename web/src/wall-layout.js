// The wall page's options and layout, as pure functions (no DOM):
//   which streams (the server's list, or ?streams=), how they pair into
//   sub (tile) and main (enlarged) streams, and the grid for a window size.
//
// Pairs: a stream at `P/hd` is the main (large) stream of the one at `P`
// when both exist: the tile plays `P`, enlarged it plays `P/hd`. A `/hd`
// stream without its `P` is a tile of its own.

export const MAIN_SUFFIX = '/hd';
export const DEFAULT_GRACE_MS = 5000; // a hidden tab keeps its connection this long
export const DEFAULT_TILE_MIN = 160; // px: narrower than this, the wall scrolls
export const ASPECT = 16 / 9;

/**
 * @param {{search:string, baseUrl:string, metaStreams?:string|null, metaMux?:string|null}} page
 *   metaStreams: the server's stream paths, comma-separated (<meta name="sse-streams">),
 *   shown in natural order;
 *   metaMux: its multiplexed endpoint's path, empty when it has none (<meta name="sse-mux">)
 * @returns {{streams:string[], base:string, muxUrl:string|null, token:string|null, mode:string, graceMs:number,
 *   tileMin:number, showStats:boolean, warnings:string[]}}
 */
export function wallOptions({ search, baseUrl, metaStreams = null, metaMux = null }) {
  const params = new URLSearchParams(search);
  const warnings = [];
  const base = new URL(params.get('base') || '/', baseUrl).href;
  const list = (text) => text.split(',').map((s) => s.trim()).filter(Boolean)
    .map((s) => (s.startsWith('/') ? s : `/${s}`));
  const asked = params.getAll('streams').flatMap(list);
  // The server's list in natural order (/cam2 before /cam10); ?streams= as given.
  const natural = (a, b) => a.localeCompare(b, 'en', { numeric: true });
  const streams = [...new Set(asked.length > 0 ? asked : list(metaStreams ?? '').sort(natural))];
  // ?mux=0 (or a server without the endpoint): one EventSource per stream.
  const muxParam = params.get('mux');
  let muxUrl = null;
  const muxOff = muxParam !== null && ['0', 'off', 'false', ''].includes(muxParam);
  if (muxParam !== null) {
    if (!muxOff) muxUrl = new URL(muxParam, base).href;
  } else if (metaMux !== null) {
    if (metaMux !== '') muxUrl = new URL(metaMux, base).href;
  } else {
    muxUrl = new URL('streams', base).href;
  }
  // ?token= goes on to the multiplexed endpoint (and each stream: EventSource cannot set headers).
  const token = params.get('token');
  if (token !== null && muxUrl) {
    const u = new URL(muxUrl);
    if (!u.searchParams.has('token')) u.searchParams.set('token', token);
    muxUrl = u.href;
  }
  const number = (name, fallback, min) => {
    const v = params.get(name);
    if (v === null) return fallback;
    const n = Number(v);
    if (Number.isFinite(n) && n >= min) return n;
    warnings.push(`?${name}=${v} is not a number ≥ ${min}; using ${fallback}`);
    return fallback;
  };
  const stats = params.get('stats');
  return {
    streams,
    base,
    muxUrl,
    muxOff, // ?mux=0 asked for one EventSource per tile
    token,
    mode: (params.get('mode') || 'auto').toLowerCase(),
    graceMs: number('grace', DEFAULT_GRACE_MS, 0),
    tileMin: number('tileMin', DEFAULT_TILE_MIN, 40),
    showStats: stats !== null && stats !== '0' && stats !== 'false',
    warnings,
  };
}

/**
 * The tiles for a list of stream paths: [{path, main}], in list order; `main`
 * is the path of its large stream or null. A main stream listed on its own
 * beside its sub stream is not a tile.
 */
export function pairStreams(paths, suffix = MAIN_SUFFIX) {
  const set = new Set(paths);
  const tiles = [];
  for (const path of paths) {
    if (path.endsWith(suffix) && set.has(path.slice(0, -suffix.length))) continue;
    tiles.push({ path, main: set.has(path + suffix) ? path + suffix : null });
  }
  return tiles;
}

/**
 * Columns and tile size for `count` tiles of `aspect` in a `width` x
 * `height` area, `gap` px between them: the largest tiles that all fit; when even those are
 * narrower than `minWidth`, as many columns of `minWidth` as fit, and the
 * page scrolls.
 */
export function gridFor(count, width, height, { aspect = ASPECT, minWidth = DEFAULT_TILE_MIN, gap = 0 } = {}) {
  if (count <= 0 || width <= 0 || height <= 0) return { cols: 1, rows: 0, tileWidth: 0, tileHeight: 0, scrolls: false };
  const across = (cols) => (width - (cols - 1) * gap) / cols; // tile width with `cols` columns and gaps between
  let best = { cols: 1, tileWidth: 0 };
  for (let cols = 1; cols <= count; cols++) {
    const rows = Math.ceil(count / cols);
    const w = Math.min(across(cols), ((height - (rows - 1) * gap) / rows) * aspect);
    if (w > best.tileWidth) best = { cols, tileWidth: w };
  }
  let { cols, tileWidth } = best;
  let scrolls = false;
  if (tileWidth < minWidth) {
    cols = Math.max(1, Math.min(count, Math.floor((width + gap) / (minWidth + gap))));
    tileWidth = across(cols);
    const rows = Math.ceil(count / cols);
    scrolls = rows * (tileWidth / aspect) + (rows - 1) * gap > height;
  }
  tileWidth = Math.floor(tileWidth);
  return { cols, rows: Math.ceil(count / cols), tileWidth, tileHeight: Math.floor(tileWidth / aspect), scrolls };
}
