// Entry point of index.html: reads the options and starts the player.
// The player is reachable as window.ssePlayer (stats, pause(), resume(), ...).

import { playerOptions } from './config.js';
import { SsePlayer } from './player.js';

const options = playerOptions({
  search: location.search,
  baseUrl: document.baseURI,
  metaSrc: document.querySelector('meta[name="sse-src"]')?.content ?? null,
});
const player = new SsePlayer(document.getElementById('player'), options);
player.warnings.push(...options.warnings);
window.ssePlayer = player;
player.start();
