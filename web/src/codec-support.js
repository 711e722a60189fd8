// What the stream's video is, and whether this browser can decode it:
// video info from the SPS (h264.js, h265.js) or the `stream` event, the
// questions to the browser (VideoDecoder.isConfigSupported,
// MediaSource.isTypeSupported, AudioDecoder.isConfigSupported), the choice of
// decode path from the answers, and the words for a stream nothing here can
// decode. Everything but probeCodecs()/pathAvailability() is pure and
// unit-tested under Node; those two take the browser's globals as an argument.

import * as h264 from './h264.js';
import * as h265 from './h265.js';

export const PATH_LABELS = Object.freeze({ webcodecs: 'WebCodecs', mse: 'MSE (mpegts.js)' });
const FAMILY = Object.freeze({ h264: 'H.264', h265: 'H.265' });
// A codec string of the family every decoder of it handles: asking about it
// tells "no H.265 decoder at all" from "not this profile".
export const BASELINE_CODECS = Object.freeze({ h264: 'avc1.42E01E', h265: 'hvc1.1.6.L93.B0' });
export const DEFAULT_AAC = 'mp4a.40.2';

/** The video codecs the player can play, as tsdemux.js names them. */
export const VIDEO_CODECS = Object.freeze(['h264', 'h265']);

/**
 * @typedef {{codec:'h264'|'h265', codecs:string, profile:string, level:string|null,
 *            chromaFormat:string, bitDepth:number, width:number, height:number,
 *            codedWidth?:number, codedHeight?:number, interlaced:boolean,
 *            browserSafe:boolean, from:'sps'|'stream'}} VideoInfo
 */

/** 4:2:0, 8 bits and progressive: what every browser's decoder takes. */
export function isBrowserSafe({ chromaFormat, bitDepth, interlaced }) {
  return chromaFormat === '4:2:0' && bitDepth <= 8 && !interlaced;
}

const H264_CHROMA = ['4:0:0', '4:2:0', '4:2:2', '4:4:4'];

/**
 * Video info from an SPS NAL unit (throws on one that does not parse).
 * @param {'h264'|'h265'} codec
 * @returns {VideoInfo}
 */
export function videoInfoFromSps(codec, spsNal) {
  let info;
  if (codec === 'h265') {
    const s = h265.parseSps(spsNal);
    info = {
      codec,
      codecs: h265.hevcCodecString(s),
      profile: h265.profileName(s),
      level: h265.levelName(s.levelIdc),
      chromaFormat: s.chromaFormat,
      bitDepth: Math.max(s.bitDepthLuma, s.bitDepthChroma),
      interlaced: s.interlaced,
      ...pick(s, ['width', 'height', 'codedWidth', 'codedHeight']),
    };
  } else {
    const s = h264.parseSps(spsNal);
    info = {
      codec: 'h264',
      codecs: h264.avcCodecString(spsNal),
      profile: h264.profileName(s.profileIdc, s.constraintFlags),
      level: h264.levelName(s.levelIdc),
      chromaFormat: H264_CHROMA[s.chromaFormatIdc] ?? `chroma_format_idc ${s.chromaFormatIdc}`,
      bitDepth: Math.max(s.bitDepthLuma, s.bitDepthChroma),
      interlaced: !s.frameMbsOnly,
      ...pick(s, ['width', 'height', 'codedWidth', 'codedHeight']),
    };
  }
  return { ...info, browserSafe: isBrowserSafe(info), from: 'sps' };
}

function pick(o, keys) {
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}

/**
 * Video info from the `stream` event's `video` object (docs/protocol.md), or
 * null when it does not name a codec string.
 * @returns {VideoInfo|null}
 */
export function videoInfoFromStream(video) {
  if (!video || typeof video.codecs !== 'string' || video.codecs === '') return null;
  const codec = video.codec === 'h265' || /^(hvc1|hev1)\./.test(video.codecs) ? 'h265' : 'h264';
  const guess = guessFromCodecString(video.codecs);
  const info = {
    codec,
    codecs: video.codecs,
    profile: typeof video.profile === 'string' ? video.profile : guess.profile,
    level: video.level ?? null,
    chromaFormat: video.chroma_format ?? null,
    bitDepth: Number(video.bit_depth) || null,
    interlaced: video.interlaced === true,
    width: Number(video.width) || 0,
    height: Number(video.height) || 0,
  };
  let browserSafe = typeof video.browser_safe === 'boolean' ? video.browser_safe : guess.browserSafe;
  if (info.chromaFormat && info.bitDepth && typeof video.browser_safe !== 'boolean') browserSafe = isBrowserSafe(info);
  return { ...info, browserSafe, from: 'stream' };
}

// What a codec string alone says: avc1.PPCCLL names the H.264 profile,
// hvc1.P... the H.265 one. Profiles beyond (Constrained) Baseline, Main,
// Extended and High (H.264), or Main (H.265), allow 4:2:2, 4:4:4 or > 8 bits.
function guessFromCodecString(codecs) {
  const avc = /^avc[13]\.([0-9A-Fa-f]{2})([0-9A-Fa-f]{2})[0-9A-Fa-f]{2}$/.exec(codecs);
  if (avc) {
    const idc = parseInt(avc[1], 16);
    return { profile: h264.profileName(idc, parseInt(avc[2], 16)), browserSafe: [66, 77, 88, 100].includes(idc) };
  }
  const hevc = /^(?:hvc1|hev1)\.[ABC]?(\d+)\./.exec(codecs);
  if (hevc) {
    const idc = Number(hevc[1]);
    const profile = idc === 4 ? 'Range Extensions' : h265.profileName({ profileIdc: idc, compatFlags: [] });
    return { profile, browserSafe: idc === 1 };
  }
  return { profile: 'unknown profile', browserSafe: true };
}

/** "H.264 High 4:4:4 Predictive (avc1.F4001F, 4:4:4, 8-bit)" */
export function describeVideo(info) {
  const details = [info.codecs];
  if (info.chromaFormat) details.push(info.chromaFormat);
  if (info.bitDepth) details.push(`${info.bitDepth}-bit`);
  if (info.interlaced) details.push('interlaced');
  return `${FAMILY[info.codec] ?? info.codec} ${info.profile} (${details.join(', ')})`;
}

const I420_FIX = 'put video/x-raw,format=I420 before the encoder';

/** What the sender should change so that browsers decode the stream. */
export function senderAdvice(info, { familySupported = true } = {}) {
  if (info.codec === 'h265' && !familySupported) {
    return 'The sender should send H.264 instead: video/x-raw,format=I420 ! x264enc.';
  }
  if (info.interlaced) {
    return `The sender should deinterlace and ${I420_FIX} (deinterlace ! videoconvert ! video/x-raw,format=I420).`;
  }
  if (!info.browserSafe) {
    return info.codec === 'h265'
      ? `The sender should ${I420_FIX} (H.265 Main), or use x264enc with format=I420.`
      : `The sender should ${I420_FIX}.`;
  }
  if (!familySupported) return 'A current Chrome, Edge, Firefox or Safari can play it.';
  return 'The sender should lower the resolution or frame rate (a lower level), or use H.264 with format=I420.';
}

/**
 * The message for a stream this browser cannot decode, naming the codec
 * string and profile and what the sender should change.
 * @param {VideoInfo} info
 * @param {{familySupported?:boolean, mode?:string}} opts `familySupported`:
 *   the browser decodes the baseline profile of that codec; `mode`: ?mode
 */
export function unsupportedMessage(info, { familySupported = true, mode = 'auto' } = {}) {
  let cannot = 'This browser cannot decode it.';
  if (mode !== 'auto') cannot = `This browser cannot decode it through ${PATH_LABELS[mode]} (?mode=${mode}).`;
  else if (!familySupported) cannot = `This browser has no ${FAMILY[info.codec]} decoder.`;
  return `This stream is ${describeVideo(info)}. ${cannot} ${senderAdvice(info, { familySupported })}`;
}

/**
 * @typedef {{available:boolean, reason?:string, video?:boolean|null,
 *            baseline?:boolean|null, withAudio?:boolean|null}} PathAnswer
 * @typedef {{codecs:string, audioCodecs:string|null, webcodecs:PathAnswer,
 *            mse:PathAnswer, audioDecoder:boolean|null}} Answers
 */

/** Which decode paths this browser has at all, before any codec is known. */
export function pathAvailability(env = globalThis) {
  const webcodecs = typeof env.VideoDecoder === 'function' && typeof env.EncodedVideoChunk === 'function'
    ? { available: true }
    : {
      available: false,
      reason: env.isSecureContext === false
        ? 'WebCodecs needs a secure context (HTTPS or localhost)'
        : 'WebCodecs VideoDecoder is missing',
    };
  const MS = env.ManagedMediaSource ?? env.MediaSource;
  const mse = typeof MS?.isTypeSupported === 'function'
    ? { available: true }
    : { available: false, reason: 'Media Source Extensions are missing' };
  return { webcodecs, mse };
}

/**
 * Asks the browser about the stream's own codec strings.
 * @param {VideoInfo} video
 * @param {string|null} audioCodecs e.g. "mp4a.40.2" when the stream has AAC
 * @returns {Promise<Answers>}
 */
export async function probeCodecs(video, audioCodecs, env = globalThis) {
  const avail = pathAvailability(env);
  const baseline = BASELINE_CODECS[video.codec];
  const size = video.codedWidth ? { codedWidth: video.codedWidth, codedHeight: video.codedHeight } : {};
  const askDecoder = async (codec) => {
    try {
      const config = { codec, optimizeForLatency: true, hardwareAcceleration: 'no-preference', ...size };
      return (await env.VideoDecoder.isConfigSupported(config)).supported === true;
    } catch {
      return false; // a codec string it does not even parse
    }
  };
  const MS = env.ManagedMediaSource ?? env.MediaSource;
  const askMse = (codecs) => {
    try {
      return MS.isTypeSupported(`video/mp4; codecs="${codecs}"`);
    } catch {
      return false;
    }
  };
  const webcodecs = { ...avail.webcodecs, video: null, baseline: null };
  if (webcodecs.available) {
    [webcodecs.video, webcodecs.baseline] = await Promise.all([askDecoder(video.codecs), askDecoder(baseline)]);
  }
  const mse = { ...avail.mse, video: null, baseline: null, withAudio: null };
  if (mse.available) {
    mse.video = askMse(video.codecs);
    mse.baseline = askMse(baseline);
    if (audioCodecs) mse.withAudio = askMse(`${video.codecs},${audioCodecs}`);
  }
  let audioDecoder = null;
  if (audioCodecs && typeof env.AudioDecoder === 'function') {
    try {
      const config = { codec: audioCodecs, sampleRate: 48000, numberOfChannels: 2 };
      audioDecoder = (await env.AudioDecoder.isConfigSupported(config)).supported === true;
    } catch {
      audioDecoder = false;
    }
  }
  return { codecs: video.codecs, audioCodecs, webcodecs, mse, audioDecoder };
}

/**
 * Chooses a decode path from the browser's answers: WebCodecs (lowest
 * latency; with AAC when AudioDecoder says yes to it), else MSE when it plays
 * video and audio together and WebCodecs cannot play the audio, else
 * whichever decodes the video; or what ?mode forces. A path the browser says
 * no to, or one that failed at run time (`failed`), is skipped. `audio`: the
 * path plays the stream's audio; `noAudio`: why not, when the stream has some.
 * @param {{mode:string, video:VideoInfo, hasAudio:boolean, answers:Answers,
 *          failed?:Set<string>}} facts
 * @returns {{id:'webcodecs'|'mse', why:string, audio:boolean, noAudio?:string}|{id:null, message:string}}
 */
export function choosePath({ mode, video, hasAudio, answers, failed = new Set() }) {
  const { webcodecs: wc, mse } = answers;
  const familySupported = wc.baseline === true || mse.baseline === true;
  const said = (a, label) => (a.available ? `${label} cannot decode ${video.codecs}` : a.reason);
  const aac = answers.audioCodecs ?? DEFAULT_AAC;
  const wcAudio = hasAudio && answers.audioDecoder === true;
  const audioDecoderWhy = answers.audioDecoder === false ? `AudioDecoder cannot decode ${aac}` : 'AudioDecoder is missing';
  const mseAudioWhy = () => (failed.has('mse') ? 'the MSE path failed'
    : mse.available && mse.video ? `Media Source Extensions cannot play ${aac}` : said(mse, 'Media Source Extensions'));
  const withNoAudio = (choice, why) => (hasAudio && !choice.audio ? { ...choice, noAudio: why } : choice);
  if (mode === 'webcodecs' || mode === 'mse') {
    const a = answers[mode];
    if (!a.available) return { id: null, message: `?mode=${mode} was asked for, but ${a.reason}.` };
    if (!a.video) return { id: null, message: unsupportedMessage(video, { familySupported: a.baseline === true, mode }) };
    const audio = mode === 'mse' ? hasAudio && mse.withAudio !== false : wcAudio;
    return withNoAudio({ id: mode, why: `forced by ?mode=${mode}`, audio },
      mode === 'mse' ? `Media Source Extensions cannot play ${aac}` : audioDecoderWhy);
  }
  const canWc = wc.available && wc.video === true && !failed.has('webcodecs');
  const canMse = mse.available && mse.video === true && !failed.has('mse');
  if (canWc && (wcAudio || !hasAudio)) {
    return { id: 'webcodecs', why: hasAudio ? `lowest latency, ${aac} through AudioDecoder` : 'lowest latency', audio: wcAudio };
  }
  if (hasAudio && canMse && mse.withAudio === true) {
    const why = canWc ? `the stream has audio, and ${audioDecoderWhy}`
      : failed.has('webcodecs') ? 'the WebCodecs path failed' : said(wc, 'WebCodecs');
    return { id: 'mse', why, audio: true };
  }
  if (canWc) {
    const noAudio = `${audioDecoderWhy}, and ${mseAudioWhy()}`;
    return { id: 'webcodecs', why: `audio not played: ${noAudio}`, audio: false, noAudio };
  }
  if (canMse) {
    const why = failed.has('webcodecs') ? 'the WebCodecs path failed' : said(wc, 'WebCodecs');
    return withNoAudio({ id: 'mse', why, audio: false }, `Media Source Extensions cannot play ${aac}`);
  }
  if (!wc.available && !mse.available) {
    return { id: null, message: `This browser cannot play the stream: ${wc.reason}, and ${mse.reason}. A current Chrome, Edge, Firefox or Safari can.` };
  }
  return { id: null, message: unsupportedMessage(video, { familySupported }) };
}

/** The answers in short, for window.ssePlayer.stats.decoderSupport. */
export function supportSummary(answers) {
  const { webcodecs: wc, mse } = answers;
  return {
    codecs: answers.codecs,
    audioCodecs: answers.audioCodecs,
    webcodecs: wc.available ? wc.video : null,
    mse: mse.available ? mse.video : null,
    mseWithAudio: mse.available ? mse.withAudio : null,
    audioDecoder: answers.audioDecoder,
  };
}

/** The AAC codec string from the first ADTS header of a PES payload, or null. */
export function aacCodecString(payload) {
  for (let i = 0; i + 7 <= payload.length; i++) {
    if (payload[i] !== 0xff || (payload[i + 1] & 0xf6) !== 0xf0) continue;
    const aot = (payload[i + 2] >> 6) + 1;
    return `mp4a.40.${aot}`;
  }
  return null;
}
