// Entry point of index.html: reads the options and starts the player.
// The player is reachable as window.ssePlayer (stats, pause(), resume(), ...).

import { playerOptions } from './config.js';
import { SsePlayer } from './player.js';

const options = playerOptions({
  search: location.search,
  baseUrl: document.baseURI,
  metaSrc: document.querySelector('meta[name="sse-src"]')?.content ?? null,
});
// An embedding page that mints short-lived tokens sets window.sseGetToken
// (a function returning, or resolving to, a fresh token) before this runs.
const getToken = typeof window.sseGetToken === 'function' ? window.sseGetToken : null;
const player = new SsePlayer(document.getElementById('player'), { ...options, getToken });
player.warnings.push(...options.warnings);
window.ssePlayer = player;
player.start();
