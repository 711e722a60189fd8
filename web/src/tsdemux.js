// MPEG-TS demuxer for the player: 188-byte packets in, whole PES packets out.
//
// Bytes may arrive in arbitrary pieces (one SSE event carries whole packets,
// but a PES spans events), so partial packets are carried over and PES
// payloads are assembled per PID. A PES is handed out as soon as it is known
// to be complete, in this order of preference:
//   1. PES_packet_length is non-zero and that many bytes have arrived;
//   2. the TS packet carried adaptation-field stuffing, which ISO/IEC 13818-1
//      only allows when there is not enough PES data left to fill the packet,
//      i.e. on the last packet of a PES;
//   3. the next PES on the same PID starts (payload_unit_start_indicator);
//   4. flush() is called (end of stream).
// No DOM or browser API is used, so this runs under Node's test runner too.

export const TS_PACKET_SIZE = 188;
const SYNC_BYTE = 0x47;

export const StreamType = Object.freeze({
  MPEG1_VIDEO: 0x01,
  MPEG2_VIDEO: 0x02,
  MPEG1_AUDIO: 0x03,
  MPEG2_AUDIO: 0x04,
  AAC_ADTS: 0x0f,
  AAC_LATM: 0x11,
  H264: 0x1b,
  H265: 0x24,
  AC3: 0x81,
});

const CODEC_NAMES = new Map([
  [StreamType.MPEG1_VIDEO, 'mpeg1video'],
  [StreamType.MPEG2_VIDEO, 'mpeg2video'],
  [StreamType.MPEG1_AUDIO, 'mp2'],
  [StreamType.MPEG2_AUDIO, 'mp2'],
  [StreamType.AAC_ADTS, 'aac'],
  [StreamType.AAC_LATM, 'aac-latm'],
  [StreamType.H264, 'h264'],
  [StreamType.H265, 'h265'],
  [StreamType.AC3, 'ac3'],
]);

/** Short codec name for a PMT stream_type, or 'unknown'. */
export function codecName(streamType) {
  return CODEC_NAMES.get(streamType) ?? 'unknown';
}

// CRC-32/MPEG-2 (poly 0x04C11DB7, no reflection), used by PSI sections.
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    table[i] = c >>> 0;
  }
  return table;
})();

export function crc32Mpeg(bytes) {
  let crc = 0xffffffff;
  for (const b of bytes) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b) & 0xff]) >>> 0;
  return crc;
}

/** Reads a 33-bit PTS/DTS (5 bytes with marker bits) as a number of 90 kHz ticks. */
function readTimestamp(b, i) {
  // The top 3 bits would overflow 32-bit bitwise ops, so multiply instead.
  return ((b[i] >> 1) & 0x07) * 0x40000000 +
    ((b[i + 1] << 22) | ((b[i + 2] >> 1) << 15) | (b[i + 3] << 7) | (b[i + 4] >> 1));
}

function concatChunks(chunks, total) {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

/**
 * Parses a PES packet (header included). Returns null when it is not one.
 * @returns {{streamId:number, pts:number|null, dts:number|null, payload:Uint8Array}|null}
 */
export function parsePes(pes) {
  if (pes.length < 9 || pes[0] !== 0 || pes[1] !== 0 || pes[2] !== 1) return null;
  const streamId = pes[3];
  // Streams without the optional header (padding, private_stream_2, ...).
  if (streamId === 0xbc || streamId === 0xbe || streamId === 0xbf ||
      streamId === 0xf0 || streamId === 0xf1 || streamId === 0xff ||
      streamId === 0xf2 || streamId === 0xf8) {
    return { streamId, pts: null, dts: null, payload: pes.subarray(6) };
  }
  const flags = pes[7];
  const headerEnd = 9 + pes[8];
  if (headerEnd > pes.length) return null;
  let pts = null;
  let dts = null;
  if (flags & 0x80 && pes.length >= 14) pts = readTimestamp(pes, 9);
  if ((flags & 0xc0) === 0xc0 && pes.length >= 19) dts = readTimestamp(pes, 14);
  return { streamId, pts, dts: dts ?? pts, payload: pes.subarray(headerEnd) };
}

/** Collects one PSI section that may span several TS packets. */
class SectionAssembler {
  constructor() {
    this.reset();
  }

  reset() {
    this.parts = [];
    this.size = 0;
    this.need = 0;
  }

  /** Returns the list of complete sections found in this packet payload. */
  push(payload, unitStart) {
    const sections = [];
    let data = payload;
    if (unitStart) {
      const pointer = data[0];
      const tail = data.subarray(1, 1 + pointer);
      if (this.need > 0) this.#append(tail, sections);
      this.reset();
      data = data.subarray(1 + pointer);
    } else if (this.need === 0) {
      return sections; // continuation of a section whose start we never saw
    }
    while (data.length > 0) {
      if (this.need === 0) {
        if (data[0] === 0xff) break; // stuffing after the last section
        if (data.length < 3) break;
        this.need = 3 + (((data[1] & 0x0f) << 8) | data[2]);
      }
      data = this.#append(data, sections);
    }
    return sections;
  }

  #append(data, sections) {
    const take = Math.min(this.need - this.size, data.length);
    this.parts.push(data.subarray(0, take));
    this.size += take;
    if (this.size === this.need) {
      sections.push(concatChunks(this.parts, this.size).slice());
      this.reset();
    }
    return data.subarray(take);
  }
}

/**
 * @typedef {{pid:number, streamType:number, codec:string}} ElementaryStream
 * @typedef {{programNumber:number, pmtPid:number, pcrPid:number,
 *            streams:ElementaryStream[]}} Program
 * @typedef {{pid:number, streamType:number, codec:string, streamId:number,
 *            pts:number|null, dts:number|null, data:Uint8Array,
 *            randomAccess:boolean, endedBy:'length'|'stuffing'|'next'|'flush'}} PesPacket
 */

export class TsDemuxer {
  /**
   * @param {{onProgram?:(p:Program)=>void, onPes?:(p:PesPacket)=>void,
   *          onDiscontinuity?:(pid:number)=>void}} handlers
   */
  constructor({ onProgram = () => {}, onPes = () => {}, onDiscontinuity = () => {} } = {}) {
    this.onProgram = onProgram;
    this.onPes = onPes;
    this.onDiscontinuity = onDiscontinuity;
    this.counters = { packets: 0, syncLosses: 0, ccErrors: 0, crcErrors: 0, pes: 0 };
    this.reset();
  }

  /** Forgets everything, PAT and PMT included (a new stream follows). */
  reset() {
    this.carry = new Uint8Array(0);
    /** @type {Program|null} */
    this.program = null;
    this.pmtPid = -1;
    this.pmtVersion = -1;
    this.psi = new Map(); // pid -> SectionAssembler
    this.streams = new Map(); // pid -> ElementaryStream
    this.dropPartial();
  }

  /** Drops partially received packets and PES (after data was lost); keeps PAT/PMT. */
  dropPartial() {
    this.carry = new Uint8Array(0);
    this.pes = new Map(); // pid -> {parts, size, expected, randomAccess}
    this.cc = new Map(); // pid -> last continuity_counter
    for (const assembler of this.psi?.values() ?? []) assembler.reset();
  }

  /** Feeds bytes; they need not start or end on a packet boundary. */
  push(bytes) {
    let buf = bytes;
    if (this.carry.length > 0) {
      buf = new Uint8Array(this.carry.length + bytes.length);
      buf.set(this.carry);
      buf.set(bytes, this.carry.length);
    }
    let i = 0;
    while (i + TS_PACKET_SIZE <= buf.length) {
      if (buf[i] !== SYNC_BYTE) {
        this.counters.syncLosses++;
        i = this.#findSync(buf, i + 1);
        continue;
      }
      this.#packet(buf.subarray(i, i + TS_PACKET_SIZE));
      i += TS_PACKET_SIZE;
    }
    // Keep the tail; copy it because the caller may reuse its buffer.
    this.carry = buf.slice(i);
  }

  /** Emits every PES still being assembled (end of stream). */
  flush() {
    for (const pid of [...this.pes.keys()]) this.#finishPes(pid, 'flush');
  }

  // A sync byte counts when the packet after it starts with one too, or when
  // there is not enough data left to check.
  #findSync(buf, from) {
    for (let j = from; j < buf.length; j++) {
      if (buf[j] !== SYNC_BYTE) continue;
      const next = j + TS_PACKET_SIZE;
      if (next >= buf.length || buf[next] === SYNC_BYTE) return j;
    }
    return buf.length;
  }

  #packet(p) {
    this.counters.packets++;
    if (p[1] & 0x80) return; // transport_error_indicator
    const unitStart = (p[1] & 0x40) !== 0;
    const pid = ((p[1] & 0x1f) << 8) | p[2];
    const afc = (p[3] >> 4) & 0x03;
    const cc = p[3] & 0x0f;
    if (pid === 0x1fff) return; // null packet

    let offset = 4;
    let randomAccess = false;
    let discontinuityFlag = false;
    let stuffed = false;
    if (afc & 0x02) {
      const afLength = p[4];
      offset = 5 + afLength;
      if (afLength > 0) {
        const flags = p[5];
        discontinuityFlag = (flags & 0x80) !== 0;
        randomAccess = (flags & 0x40) !== 0;
        stuffed = afLength > adaptationFieldUsedBytes(p, afLength);
      }
      if (offset > TS_PACKET_SIZE) return; // malformed
    }
    const hasPayload = (afc & 0x01) !== 0;

    if (hasPayload) {
      const last = this.cc.get(pid);
      if (last !== undefined && !discontinuityFlag && cc !== ((last + 1) & 0x0f)) {
        if (cc === last) return; // duplicate packet, allowed once
        this.counters.ccErrors++;
        this.pes.delete(pid);
        this.psi.get(pid)?.reset();
        this.onDiscontinuity(pid);
      }
      this.cc.set(pid, cc);
    }
    if (!hasPayload || offset >= TS_PACKET_SIZE) return;
    const payload = p.subarray(offset);

    if (pid === 0 || pid === this.pmtPid) {
      this.#psiPacket(pid, payload, unitStart);
    } else if (this.streams.has(pid)) {
      this.#pesPacket(pid, payload, unitStart, randomAccess, stuffed);
    }
  }

  #psiPacket(pid, payload, unitStart) {
    let assembler = this.psi.get(pid);
    if (!assembler) this.psi.set(pid, (assembler = new SectionAssembler()));
    for (const section of assembler.push(payload, unitStart)) {
      if (crc32Mpeg(section) !== 0) {
        this.counters.crcErrors++;
        continue;
      }
      if (pid === 0 && section[0] === 0x00) this.#pat(section);
      else if (pid === this.pmtPid && section[0] === 0x02) this.#pmt(section);
    }
  }

  #pat(s) {
    const end = 3 + (((s[1] & 0x0f) << 8) | s[2]) - 4; // minus CRC
    for (let i = 8; i + 4 <= end; i += 4) {
      const programNumber = (s[i] << 8) | s[i + 1];
      const pid = ((s[i + 2] & 0x1f) << 8) | s[i + 3];
      if (programNumber === 0) continue; // network PID
      if (pid !== this.pmtPid) {
        this.pmtPid = pid;
        this.pmtVersion = -1;
        this.psi.delete(pid);
      }
      return; // one program is all a player needs
    }
  }

  #pmt(s) {
    const version = (s[5] >> 1) & 0x1f;
    if (version === this.pmtVersion) return;
    const end = 3 + (((s[1] & 0x0f) << 8) | s[2]) - 4;
    const programNumber = (s[3] << 8) | s[4];
    const pcrPid = ((s[8] & 0x1f) << 8) | s[9];
    const infoLength = ((s[10] & 0x0f) << 8) | s[11];
    const streams = [];
    for (let i = 12 + infoLength; i + 5 <= end;) {
      const streamType = s[i];
      const pid = ((s[i + 1] & 0x1f) << 8) | s[i + 2];
      const esInfoLength = ((s[i + 3] & 0x0f) << 8) | s[i + 4];
      streams.push({ pid, streamType, codec: codecName(streamType) });
      i += 5 + esInfoLength;
    }
    this.pmtVersion = version;
    this.streams = new Map(streams.map((st) => [st.pid, st]));
    for (const pid of [...this.pes.keys()]) if (!this.streams.has(pid)) this.pes.delete(pid);
    this.program = { programNumber, pmtPid: this.pmtPid, pcrPid, streams };
    this.onProgram(this.program);
  }

  #pesPacket(pid, payload, unitStart, randomAccess, stuffed) {
    if (unitStart) {
      if (this.pes.has(pid)) this.#finishPes(pid, 'next');
      this.pes.set(pid, { parts: [], size: 0, expected: 0, randomAccess });
    }
    const pes = this.pes.get(pid);
    if (!pes) return; // joined in the middle of a PES: wait for the next start
    pes.parts.push(payload.slice());
    pes.size += payload.length;
    if (pes.expected === 0 && pes.size >= 6) {
      const head = pes.parts[0].length >= 6 ? pes.parts[0] : concatChunks(pes.parts, pes.size);
      const length = (head[4] << 8) | head[5];
      pes.expected = length > 0 ? 6 + length : -1; // -1: unbounded
    }
    if (pes.expected > 0 && pes.size >= pes.expected) this.#finishPes(pid, 'length');
    else if (stuffed) this.#finishPes(pid, 'stuffing');
  }

  #finishPes(pid, endedBy) {
    const pes = this.pes.get(pid);
    this.pes.delete(pid);
    if (!pes || pes.size === 0) return;
    let bytes = concatChunks(pes.parts, pes.size);
    if (pes.expected > 0) bytes = bytes.subarray(0, pes.expected);
    const parsed = parsePes(bytes);
    if (!parsed) return;
    const stream = this.streams.get(pid);
    this.counters.pes++;
    this.onPes({
      pid,
      streamType: stream.streamType,
      codec: stream.codec,
      streamId: parsed.streamId,
      pts: parsed.pts,
      dts: parsed.dts,
      data: parsed.payload,
      randomAccess: pes.randomAccess,
      endedBy,
    });
  }
}

/** Bytes of an adaptation field (after its length byte) taken by flags and optional fields. */
function adaptationFieldUsedBytes(p, afLength) {
  const flags = p[5];
  let used = 1;
  if (flags & 0x10) used += 6; // PCR
  if (flags & 0x08) used += 6; // OPCR
  if (flags & 0x04) used += 1; // splice_countdown
  if (flags & 0x02 && 5 + used < TS_PACKET_SIZE) used += 1 + p[5 + used]; // private data
  if (flags & 0x01 && 5 + used < TS_PACKET_SIZE) used += 1 + p[5 + used]; // extension
  return Math.min(used, afLength);
}
