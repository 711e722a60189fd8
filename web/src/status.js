// The player's state and the words on the page for it, decided from plain
// facts (no DOM, no clock of its own), so that every state has a message and
// the watchdog's rule is unit-tested under Node:
//   - `playing` only while frames are being shown (one drawn within LIVE_MS);
//     the LIVE badge is lit in that state alone;
//   - `stalled`: media keeps arriving after a key chunk, but no frame has been
//     shown for STALL_MS: say how much arrives and what the decoder said.

export const LIVE_MS = 1000; // a frame drawn this recently: the picture is live
export const STALL_MS = 3500; // media but no frame for this long: the watchdog speaks
export const MEDIA_IDLE_MS = 3000; // connected but no media event for this long
const ERROR_RECENT_MS = 30000; // an error this recent is named as the likely cause

/**
 * @typedef {{now:number, unsupported:string|null, paused:boolean,
 *   source:'closed'|'connecting'|'open'|'retrying'|'failed'|'ended'|'missing',
 *   src:string, framesDrawn:number, lastFrameAt:number|null,
 *   joinedAt:number|null, lastMediaAt:number|null, eventsPerSecond:number,
 *   waitingForKey:boolean, eventsSkipped:number, checking:string|null,
 *   pathLabel:string|null, lastError:string|null, lastErrorAt:number|null,
 *   keysWithoutSps?:number, parser?:string, tokenExpired?:boolean}} StatusFacts
 *   joinedAt: when frames became due (the key chunk a path started at);
 *   keysWithoutSps: key frames seen before any SPS; parser: h264parse or h265parse;
 *   tokenExpired: the source got `event: expired` and asks the page for a new token
 */

/**
 * @param {StatusFacts} f
 * @returns {{state:string, message:string, level:''|'warning'|'error'}}
 */
export function playerStatus(f) {
  const say = (state, message, level = '') => ({ state, message, level });
  if (f.unsupported) return say('unsupported', f.unsupported, 'error');
  if (f.paused) return say('paused', 'Paused. Play returns to the live picture.');
  switch (f.source) {
    case 'missing': return say('missing', `The server has no stream ${f.src}. Waiting for it to appear…`, 'warning');
    case 'ended': return say('ended', 'The stream has ended. Waiting for it to start again…');
    case 'failed': return say('failed', `The server refused ${f.src}. Retrying…`, 'warning');
    case 'retrying':
      if (f.tokenExpired) return say('retrying', 'The access token expired. Getting a new one…', 'warning');
      return say('retrying', f.framesDrawn > 0 ? 'Connection lost. Reconnecting…' : `Cannot reach ${f.src}. Retrying…`, 'warning');
    case 'connecting': return say('connecting', 'Connecting…');
    case 'closed': return say('starting', 'Connecting…');
    default: break;
  }
  const { now } = f;
  if (f.lastFrameAt !== null && now - f.lastFrameAt < LIVE_MS) return say('playing', '');
  if (f.lastMediaAt === null) return say('waiting', 'Connected. Waiting for the stream…');
  const idle = now - f.lastMediaAt;
  if (idle >= MEDIA_IDLE_MS) {
    return say('waiting', `Connected, but nothing has arrived for ${seconds(idle)} s. Waiting for the stream…`);
  }
  if (f.waitingForKey) {
    const skipped = f.eventsSkipped > 0 ? ` (${f.eventsSkipped} events skipped so far)` : '';
    return say('waiting', `Waiting for a keyframe to start at${skipped}…`);
  }
  const since = Math.max(f.joinedAt ?? now, f.lastFrameAt ?? -Infinity);
  if (now - since < STALL_MS) {
    if (f.checking) return say('waiting', `Checking whether this browser decodes ${f.checking}…`);
    return say('waiting', 'Waiting for the picture…');
  }
  const rate = `Receiving ${Math.round(f.eventsPerSecond)} events/s`;
  const none = f.lastFrameAt === null || f.lastFrameAt < since ? 'no frame' : 'no new frame';
  const span = seconds(now - since);
  if (!f.pathLabel) {
    let why = f.checking ? `still checking ${f.checking}` : 'no video parameter sets (SPS) found yet';
    if (!f.checking && f.keysWithoutSps > 0) {
      why = `${f.keysWithoutSps} key frames arrived without parameter sets (SPS); the sender should put ` +
        `${f.parser ?? 'h264parse'} config-interval=-1 after the encoder`;
    }
    return say('stalled', `${rate}, but no decoder is running after ${span} s: ${why}.`, 'warning');
  }
  const recent = f.lastError !== null && f.lastErrorAt !== null && now - f.lastErrorAt < ERROR_RECENT_MS;
  const why = recent ? f.lastError.replace(/\.$/, '') : 'no output';
  return say('stalled', `${rate}, but the ${f.pathLabel} decoder produced ${none} for ${span} s: ${why}.`, 'warning');
}

function seconds(ms) {
  return Math.floor(ms / 1000);
}
