// The player's controls (buttons, double click, keys) and the text of the
// statistics overlay. The actions themselves are SsePlayer's methods.

import { PATH_LABELS } from './codec-support.js';

/** Wires the buttons and keys (unless `keys` is false) of `player.root` to the player's methods. */
export function bindControls(player, { keys = true } = {}) {
  const { el, root } = player;
  el.pause.addEventListener('click', () => player.togglePause());
  el.mute.addEventListener('click', () => player.toggleMute());
  el.statsButton.addEventListener('click', () => player.toggleStats());
  el.fullscreen.addEventListener('click', () => player.toggleFullscreen());
  root.addEventListener('dblclick', (e) => {
    if (!e.target.closest('.controls')) player.toggleFullscreen();
  });
  if (!keys) return;
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.target.closest?.('input, textarea, select')) return;
    const actions = {
      s: () => player.toggleStats(),
      f: () => player.toggleFullscreen(),
      m: () => player.toggleMute(),
      k: () => player.togglePause(),
      ' ': () => player.togglePause(),
    };
    const action = actions[e.key.toLowerCase()];
    if (!action || (e.key === ' ' && e.target.closest?.('button'))) return;
    e.preventDefault();
    action();
  });
}

/**
 * The statistics overlay, one "name  value" line each.
 * @param {object} s window.ssePlayer.stats
 * @param {{pathWhy:string, video:string|null, warnings:string[]}} extra
 */
export function overlayText(s, { pathWhy, video, warnings }) {
  const ms = (v) => (v === null ? '–' : `${v} ms`);
  const lines = [
    ['path', `${PATH_LABELS[s.path] ?? '–'}${pathWhy ? ` (${pathWhy})` : ''}`],
    ['state', s.state],
    ['codec', s.codec ? `${s.codec}${video ? ` (${video})` : ''}` : '–'],
    ['resolution', s.width ? `${s.width}×${s.height}` : '–'],
    ['fps', s.fps],
    ['bitrate', `${s.bitrateKbps} kbit/s`],
    ['latency', `${ms(s.latencyMs.p50)} p50, ${ms(s.latencyMs.p95)} p95 (server → screen)`],
    ['receipt', `${ms(s.receiptLatencyMs.p50)} p50, ${ms(s.receiptLatencyMs.p95)} p95 (arrival → screen)`],
    ['frames', `${s.framesDecoded} decoded, ${s.framesDrawn} shown, ${s.framesDropped} dropped`],
    ['events', `${s.mediaEvents} received, ${s.eventsSkipped} skipped`],
    ['reconnects', `${s.reconnects} (failovers ${s.failovers}, gaps ${s.gaps}, resets ${s.resets})`],
    ['audio', audioLine(s)],
    ['errors', s.errors ? `${s.errors}: ${s.lastError}` : '0'],
  ];
  if (s.sources.length > 1) {
    lines.push(['source', `${s.sources.indexOf(s.src) + 1} of ${s.sources.length}: ${s.src}`]);
  }
  for (const w of warnings) lines.push(['warning', w]);
  return lines.map(([k, v]) => `${k.padEnd(11)}${v}`).join('\n');
}

function audioLine(s) {
  if (s.audioState === null) return 'none in the stream';
  const parts = [`${s.audioState}${s.audioPath ? ` (${PATH_LABELS[s.audioPath]})` : ''}`];
  if (s.audioFramesDecoded !== null) parts.push(`${s.audioFramesDecoded} frames decoded`, `${s.audioUnderruns} underruns`);
  if (s.avSyncMs) parts.push(`A/V ${s.avSyncMs.p50} ms p50, ${s.avSyncMs.p95} ms p95`);
  if (s.audioMessage && s.audioState !== 'playing') parts.push(s.audioMessage);
  return parts.join(', ');
}
