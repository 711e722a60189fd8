import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  videoInfoFromSps, videoInfoFromStream, describeVideo, unsupportedMessage, choosePath, probeCodecs,
  pathAvailability, aacCodecString, isBrowserSafe, supportSummary,
} from '../src/codec-support.js';
import { inspectAccessUnit as h264Au } from '../src/h264.js';
import { inspectAccessUnit as h265Au } from '../src/h265.js';
import { TsDemuxer } from '../src/tsdemux.js';
import { fixture } from './fixtures.mjs';

function videoInfo(name) {
  let first = null;
  let codec = null;
  new TsDemuxer({
    onPes: (p) => {
      if (first === null && (p.codec === 'h264' || p.codec === 'h265')) {
        first = p.data;
        codec = p.codec;
      }
    },
  }).push(fixture(name));
  const au = codec === 'h265' ? h265Au(first) : h264Au(first);
  return videoInfoFromSps(codec, au.sps);
}

/** Answers as probeCodecs gives them: `wc`/`mse` whether each decodes the stream's codec. */
function answers({
  wc = true, mse = true, wcBase = true, mseBase = true, withAudio = null, codecs = 'avc1.64001F', audioDecoder = null,
} = {}) {
  return {
    codecs,
    audioCodecs: withAudio === null ? null : 'mp4a.40.2',
    webcodecs: wc === null ? { available: false, reason: 'WebCodecs VideoDecoder is missing' }
      : { available: true, video: wc, baseline: wcBase },
    mse: mse === null ? { available: false, reason: 'Media Source Extensions are missing' }
      : { available: true, video: mse, baseline: mseBase, withAudio },
    audioDecoder,
  };
}

test('video info of H.264 High 4:4:4 Predictive, High 4:2:0 and H.265 streams', () => {
  const v444 = videoInfo('h264_444');
  assert.equal(v444.codec, 'h264');
  assert.match(v444.codecs, /^avc1\.F400/);
  assert.equal(v444.profile, 'High 4:4:4 Predictive');
  assert.deepEqual([v444.chromaFormat, v444.bitDepth, v444.interlaced, v444.browserSafe], ['4:4:4', 8, false, false]);
  assert.equal(describeVideo(v444), `H.264 High 4:4:4 Predictive (${v444.codecs}, 4:4:4, 8-bit)`);

  const high = videoInfo('av');
  assert.deepEqual([high.profile, high.chromaFormat, high.bitDepth, high.browserSafe], ['High', '4:2:0', 8, true]);
  assert.deepEqual([high.width, high.height], [320, 240]);

  const v422 = videoInfo('h264_422_10');
  assert.deepEqual([v422.profile, v422.chromaFormat, v422.bitDepth, v422.browserSafe], ['High 4:2:2', '4:2:2', 10, false]);

  const main = videoInfo('h265');
  assert.deepEqual([main.codec, main.profile, main.browserSafe], ['h265', 'Main', true]);
  assert.match(main.codecs, /^hvc1\.1\.6\.L/);
  const main10 = videoInfo('h265_10');
  assert.deepEqual([main10.profile, main10.bitDepth, main10.browserSafe], ['Main 10', 10, false]);
  const rext = videoInfo('h265_444');
  assert.equal(describeVideo(rext), `H.265 Main 4:4:4 (${rext.codecs}, 4:4:4, 8-bit)`);
});

test('video info from the stream event (docs/protocol.md), and what it lacks', () => {
  const v = videoInfoFromStream({
    codec: 'h264', codecs: 'avc1.F4001F', profile: 'High 4:4:4 Predictive', level: '3.1',
    chroma_format: '4:4:4', bit_depth: 8, width: 640, height: 360, interlaced: false, browser_safe: false,
  });
  assert.deepEqual([v.codec, v.codecs, v.chromaFormat, v.browserSafe, v.from], ['h264', 'avc1.F4001F', '4:4:4', false, 'stream']);
  assert.equal(describeVideo(v), 'H.264 High 4:4:4 Predictive (avc1.F4001F, 4:4:4, 8-bit)');
  assert.equal(videoInfoFromStream({ codecs: 'hvc1.1.6.L93.B0' }).codec, 'h265');
  assert.equal(videoInfoFromStream({ codecs: 'hvc1.1.6.L93.B0' }).browserSafe, true);
  assert.equal(videoInfoFromStream(undefined), null);
  assert.equal(videoInfoFromStream({ codec: 'h264' }), null);
  assert.equal(isBrowserSafe({ chromaFormat: '4:2:0', bitDepth: 8, interlaced: true }), false);
});

test('the unsupported message names codec string and profile, and the fix', () => {
  const v = videoInfoFromStream({ codecs: 'avc1.F4001F', profile: 'High 4:4:4 Predictive', chroma_format: '4:4:4', bit_depth: 8 });
  assert.equal(unsupportedMessage(v),
    'This stream is H.264 High 4:4:4 Predictive (avc1.F4001F, 4:4:4, 8-bit). This browser cannot decode it. ' +
    'The sender should put video/x-raw,format=I420 before the encoder.');
  const hevc = videoInfo('h265');
  assert.equal(unsupportedMessage(hevc, { familySupported: false }),
    `This stream is H.265 Main (${hevc.codecs}, 4:2:0, 8-bit). This browser has no H.265 decoder. ` +
    'The sender should send H.264 instead: video/x-raw,format=I420 ! x264enc.');
  const rext = videoInfo('h265_444');
  assert.match(unsupportedMessage(rext), /This browser cannot decode it\. .*format=I420 before the encoder \(H\.265 Main\), or use x264enc/);
  const interlaced = { ...videoInfo('av'), interlaced: true, browserSafe: false };
  assert.match(unsupportedMessage(interlaced), /4:2:0, 8-bit, interlaced\).*deinterlace/);
  assert.match(unsupportedMessage(v, { mode: 'mse' }), /cannot decode it through MSE \(mpegts\.js\) \(\?mode=mse\)/);
});

test('path choice: WebCodecs (with AAC where AudioDecoder takes it), skipping a path the browser says no to', () => {
  const video = videoInfo('av');
  const pick = (a, extra = {}) => choosePath({ mode: 'auto', video, hasAudio: false, answers: a, ...extra });
  assert.deepEqual(pick(answers()), { id: 'webcodecs', why: 'lowest latency', audio: false });
  assert.equal(pick(answers({ wc: false })).id, 'mse');
  assert.equal(pick(answers({ wc: false })).why, `WebCodecs cannot decode ${video.codecs}`);
  assert.equal(pick(answers({ wc: null })).why, 'WebCodecs VideoDecoder is missing');
  assert.equal(pick(answers({ mse: false })).id, 'webcodecs');
  // Audio: WebCodecs plays it when AudioDecoder says yes to the AAC string.
  const wcAv = answers({ withAudio: true, audioDecoder: true });
  assert.deepEqual(pick(wcAv, { hasAudio: true }), { id: 'webcodecs', why: 'lowest latency, mp4a.40.2 through AudioDecoder', audio: true });
  // Else MSE, when it takes video and audio together.
  const av = answers({ withAudio: true });
  assert.deepEqual(pick(av, { hasAudio: true }), { id: 'mse', why: 'the stream has audio, and AudioDecoder is missing', audio: true });
  assert.equal(pick(answers({ withAudio: true, audioDecoder: false }), { hasAudio: true }).why,
    'the stream has audio, and AudioDecoder cannot decode mp4a.40.2');
  assert.deepEqual(pick(answers({ wc: false, withAudio: true, audioDecoder: true }), { hasAudio: true }),
    { id: 'mse', why: `WebCodecs cannot decode ${video.codecs}`, audio: true });
  // Neither plays the audio: WebCodecs without sound, saying why.
  const noAac = answers({ withAudio: false, audioDecoder: false });
  assert.deepEqual(pick(noAac, { hasAudio: true }), {
    id: 'webcodecs', audio: false,
    why: 'audio not played: AudioDecoder cannot decode mp4a.40.2, and Media Source Extensions cannot play mp4a.40.2',
    noAudio: 'AudioDecoder cannot decode mp4a.40.2, and Media Source Extensions cannot play mp4a.40.2',
  });
  assert.deepEqual(pick(answers({ wc: false, withAudio: false }), { hasAudio: true }),
    { id: 'mse', why: `WebCodecs cannot decode ${video.codecs}`, audio: false, noAudio: 'Media Source Extensions cannot play mp4a.40.2' });
  // A path that failed at run time is skipped.
  assert.equal(pick(av, { hasAudio: true, failed: new Set(['mse']) }).id, 'webcodecs');
  assert.match(pick(av, { hasAudio: true, failed: new Set(['mse']) }).noAudio, /AudioDecoder is missing, and the MSE path failed/);
  assert.deepEqual(pick(wcAv, { hasAudio: true, failed: new Set(['webcodecs']) }),
    { id: 'mse', why: 'the WebCodecs path failed', audio: true });
  assert.equal(pick(answers(), { failed: new Set(['webcodecs']) }).why, 'the WebCodecs path failed');
});

test('path choice when nothing decodes the stream, as Firefox answers for High 4:4:4', () => {
  const v = videoInfoFromStream({ codecs: 'avc1.F4001F', profile: 'High 4:4:4 Predictive', chroma_format: '4:4:4', bit_depth: 8 });
  const none = choosePath({ mode: 'auto', video: v, hasAudio: false, answers: answers({ wc: false, mse: false, codecs: v.codecs }) });
  assert.equal(none.id, null);
  assert.equal(none.message, unsupportedMessage(v));
  // H.265 where neither path has a decoder at all (Chromium 156 here).
  const hevc = videoInfo('h265');
  const noHevc = answers({ wc: false, mse: false, wcBase: false, mseBase: false, codecs: hevc.codecs });
  assert.match(choosePath({ mode: 'auto', video: hevc, hasAudio: false, answers: noHevc }).message, /has no H\.265 decoder/);
  // H.265 where only MSE decodes it (Firefox 153 says yes to hvc1 there).
  const mseOnly = answers({ wc: false, mse: true, wcBase: false, codecs: hevc.codecs });
  assert.equal(choosePath({ mode: 'auto', video: hevc, hasAudio: false, answers: mseOnly }).id, 'mse');
  // Neither API at all.
  const bare = choosePath({ mode: 'auto', video: v, hasAudio: false, answers: answers({ wc: null, mse: null }) });
  assert.match(bare.message, /cannot play the stream: WebCodecs VideoDecoder is missing, and Media Source Extensions are missing/);
});

test('?mode forces a path, and says why when it cannot', () => {
  const video = videoInfo('av');
  const forced = (mode, a) => choosePath({ mode, video, hasAudio: true, answers: a });
  assert.deepEqual(forced('mse', answers({ withAudio: true })), { id: 'mse', why: 'forced by ?mode=mse', audio: true });
  assert.deepEqual(forced('webcodecs', answers({ withAudio: true })),
    { id: 'webcodecs', why: 'forced by ?mode=webcodecs', audio: false, noAudio: 'AudioDecoder is missing' });
  assert.deepEqual(forced('webcodecs', answers({ audioDecoder: true })), { id: 'webcodecs', why: 'forced by ?mode=webcodecs', audio: true });
  assert.equal(forced('webcodecs', answers({ wc: null })).message, '?mode=webcodecs was asked for, but WebCodecs VideoDecoder is missing.');
  assert.match(forced('webcodecs', answers({ wc: false })).message, /through WebCodecs \(\?mode=webcodecs\)/);
});

test('probeCodecs asks about the stream\'s own codec strings', async () => {
  const asked = [];
  const env = {
    VideoDecoder: class {
      static async isConfigSupported(config) {
        asked.push(['vd', config]);
        if (config.codec === 'bad') throw new TypeError('invalid codec');
        return { supported: !config.codec.startsWith('avc1.F4') };
      }
    },
    EncodedVideoChunk: class {},
    MediaSource: { isTypeSupported: (type) => (asked.push(['ms', type]), !type.includes('F4')) },
    AudioDecoder: class { static async isConfigSupported() { return { supported: true }; } },
  };
  const v = videoInfoFromStream({ codecs: 'avc1.F4001F', width: 640, height: 360 });
  const a = await probeCodecs(v, 'mp4a.40.2', env);
  assert.deepEqual([a.webcodecs.video, a.webcodecs.baseline, a.mse.video, a.mse.baseline, a.mse.withAudio, a.audioDecoder],
    [false, true, false, true, false, true]);
  const vd = asked.find(([kind, c]) => kind === 'vd' && c.codec === 'avc1.F4001F')[1];
  assert.deepEqual(vd, { codec: 'avc1.F4001F', optimizeForLatency: true, hardwareAcceleration: 'no-preference' });
  assert.ok(asked.some(([kind, t]) => kind === 'ms' && t === 'video/mp4; codecs="avc1.F4001F,mp4a.40.2"'));
  assert.equal((await probeCodecs({ ...v, codecs: 'bad' }, null, env)).webcodecs.video, false);
  assert.deepEqual(supportSummary(a), {
    codecs: 'avc1.F4001F', audioCodecs: 'mp4a.40.2', webcodecs: false, mse: false, mseWithAudio: false, audioDecoder: true,
  });
  const none = await probeCodecs(v, null, { isSecureContext: false });
  assert.equal(none.webcodecs.reason, 'WebCodecs needs a secure context (HTTPS or localhost)');
  assert.equal(none.mse.available, false);
  assert.deepEqual(pathAvailability({ ManagedMediaSource: { isTypeSupported: () => true } }).mse, { available: true });
});

test('AAC codec string from the ADTS header', () => {
  let aac = null;
  new TsDemuxer({ onPes: (p) => { if (p.codec === 'aac') aac ??= p.data; } }).push(fixture('av'));
  assert.equal(aacCodecString(aac), 'mp4a.40.2');
  // profile bits 01 -> AAC LC (object type 2); 00 -> Main (1).
  assert.equal(aacCodecString(new Uint8Array([0xff, 0xf1, 0x10, 0x80, 0, 0x1f, 0xfc])), 'mp4a.40.1');
  assert.equal(aacCodecString(new Uint8Array([1, 2, 3])), null);
});

test('a stream event with only a codec string: the profile comes from it', () => {
  const v = videoInfoFromStream({ codecs: 'avc1.F4001E' });
  assert.deepEqual([v.profile, v.browserSafe, v.chromaFormat], ['High 4:4:4 Predictive', false, null]);
  assert.equal(describeVideo(v), 'H.264 High 4:4:4 Predictive (avc1.F4001E)');
  assert.equal(videoInfoFromStream({ codecs: 'avc1.42E01E' }).profile, 'Constrained Baseline');
  assert.equal(videoInfoFromStream({ codecs: 'avc1.64001F' }).browserSafe, true);
  assert.deepEqual(Object.values((({ profile, browserSafe }) => ({ profile, browserSafe }))(videoInfoFromStream({ codecs: 'hvc1.2.4.L93.B0' }))), ['Main 10', false]);
  assert.equal(videoInfoFromStream({ codecs: 'hvc1.1.6.L93.B0' }).profile, 'Main');
  assert.equal(videoInfoFromStream({ codecs: 'hvc1.4.10.L93.B0' }).profile, 'Range Extensions');
  // The element's fields win over the guess.
  assert.equal(videoInfoFromStream({ codecs: 'avc1.64001F', chroma_format: '4:2:0', bit_depth: 8, browser_safe: false }).browserSafe, false);
});
