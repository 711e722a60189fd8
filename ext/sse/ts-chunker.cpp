/* MPEG-TS chunking for ssesink; the rules are in ts-chunker.h. */
#include "ts-chunker.h"

#include <algorithm>
#include <cstring>

#include "ts-psi.h"

namespace gstsse {
namespace {

constexpr uint8_t kSync = 0x47;
constexpr size_t kMaxPsiPackets = 8; /* a 1024-byte section fits in 6 */

inline uint16_t packet_pid(const uint8_t *p) {
  return static_cast<uint16_t>(((p[1] & 0x1f) << 8) | p[2]);
}

/* Offset of the payload in a packet, or kTsPacketSize when there is none. */
inline size_t payload_offset(const uint8_t *p, bool *rai) {
  const unsigned afc = (p[3] >> 4) & 3;
  size_t off = 4;
  *rai = false;
  if (afc & 2) {
    const size_t af_len = p[4];
    if (af_len > 0 && af_len <= 183)
      *rai = (p[5] & 0x40) != 0;
    off = 5 + af_len;
  }
  if (!(afc & 1) || off >= kTsPacketSize)
    return kTsPacketSize;
  return off;
}

}  // namespace

TsChunker::TsChunker(size_t max_chunk_bytes) : max_chunk_bytes_(std::max(max_chunk_bytes, 4 * kTsPacketSize)) {}

void TsChunker::reset() {
  const size_t max = max_chunk_bytes_;
  *this = TsChunker(max);
}

void TsChunker::push(const uint8_t *data, size_t size, std::vector<TsChunk> &out, KeyHint hint) {
  const uint8_t *buf = data;
  size_t len = size;
  const bool use_carry = !carry_.empty();
  if (use_carry) {
    carry_.insert(carry_.end(), data, data + size);
    buf = carry_.data();
    len = carry_.size();
  }

  size_t pos = 0;
  for (;;) {
    if (synced_) {
      if (len - pos < kTsPacketSize)
        break;
      /* Confirm with the next packet's sync byte when it is already here:
       * junk that happens to start with 0x47 must not eat a real packet. */
      const bool next_ok = len - pos < 2 * kTsPacketSize || buf[pos + kTsPacketSize] == kSync;
      if (buf[pos] == kSync && next_ok) {
        handle_packet(buf + pos, out, hint);
        pos += kTsPacketSize;
        continue;
      }
      synced_ = false;
      stats_.resyncs++;
    }
    /* Sync is two sync bytes one packet apart. */
    size_t p = pos;
    bool found = false;
    for (; p + kTsPacketSize < len; p++) {
      if (buf[p] == kSync && buf[p + kTsPacketSize] == kSync) {
        found = true;
        break;
      }
    }
    stats_.skipped_bytes += p - pos;
    pos = p;
    if (!found)
      break;
    synced_ = true;
  }

  if (use_carry) {
    carry_.erase(carry_.begin(), carry_.begin() + static_cast<std::ptrdiff_t>(pos));
  } else if (pos < len) {
    carry_.assign(buf + pos, buf + len);
  }
}

void TsChunker::flush(std::vector<TsChunk> &out) {
  emit(out);
  frame_open_ = false;
}

void TsChunker::append_packet(const uint8_t *p) {
  pending_.data.insert(pending_.data.end(), p, p + kTsPacketSize);
}

void TsChunker::handle_packet(const uint8_t *p, std::vector<TsChunk> &out, KeyHint hint) {
  stats_.packets++;
  const uint16_t pid = packet_pid(p);
  const bool pusi = (p[1] & 0x40) != 0;
  bool rai = false;
  const size_t off = payload_offset(p, &rai);
  const bool has_payload = off < kTsPacketSize;

  if (pid == 0 || pid == pmt_pid_) {
    if (has_payload)
      handle_psi(pid, p, pusi, off);
    append_packet(p);
  } else if (pid == primary_pid_ && has_payload) {
    if (pusi) {
      /* The next PES ends the previous frame, bounded or not. */
      if (frame_open_)
        emit(out);
      append_packet(p);
      start_pes(p + off, kTsPacketSize - off, rai, hint);
    } else {
      append_packet(p);
      if (frame_open_) {
        if (!scan_done_)
          scan_es(p + off, kTsPacketSize - off);
        if (frame_bounded_)
          pes_remaining_ -= static_cast<int64_t>(kTsPacketSize - off);
      }
    }
    if (frame_open_ && frame_bounded_ && pes_remaining_ <= 0) {
      emit(out);
      frame_open_ = false;
    }
  } else {
    append_packet(p);
  }

  if (pending_.data.size() >= max_chunk_bytes_)
    emit(out);
}

void TsChunker::handle_psi(uint16_t pid, const uint8_t *p, bool pusi, size_t off) {
  const int i = pid == 0 ? 0 : 1;
  auto &packets = psi_collect_[i];
  auto &section = psi_section_[i];
  if (pusi) {
    const size_t start = off + 1 + p[off];
    packets.clear();
    section.clear();
    if (start >= kTsPacketSize)
      return;
    packets.assign(p, p + kTsPacketSize);
    section.assign(p + start, p + kTsPacketSize);
  } else {
    if (packets.empty())
      return;
    if (packets.size() >= kMaxPsiPackets * kTsPacketSize) {
      packets.clear();
      section.clear();
      return;
    }
    packets.insert(packets.end(), p, p + kTsPacketSize);
    section.insert(section.end(), p + off, p + kTsPacketSize);
  }
  if (section.size() < 3)
    return;
  const size_t total = 3 + (((section[1] & 0x0f) << 8) | section[2]);
  if (section.size() < total)
    return;
  section.resize(total);
  if (i == 0 && section[0] == 0x00) {
    pat_packets_ = packets;
    parse_pat(section);
  } else if (i == 1 && section[0] == 0x02) {
    pmt_packets_ = packets;
    parse_pmt(section);
  }
  packets.clear();
  section.clear();
}

void TsChunker::parse_pat(const std::vector<uint8_t> &s) {
  const uint16_t pid = pat_first_pmt_pid(s);
  if (pid != kNoPid && pid != pmt_pid_) {
    pmt_pid_ = pid;
    pmt_packets_.clear();
    psi_collect_[1].clear();
    psi_section_[1].clear();
  }
}

void TsChunker::parse_pmt(const std::vector<uint8_t> &s) {
  if (s.size() < 16)
    return;
  uint16_t first_pid = 0xffff, video_pid = 0xffff;
  Codec video_codec = Codec::kNone;
  for_each_pmt_stream(s, [&](uint8_t type, uint16_t pid, const uint8_t *, size_t) {
    if (first_pid == 0xffff)
      first_pid = pid;
    if (video_pid == 0xffff) {
      switch (type) {
        case 0x1b:
          video_codec = Codec::kH264;
          video_pid = pid;
          break;
        case 0x24:
          video_codec = Codec::kHevc;
          video_pid = pid;
          break;
        case 0x01:
        case 0x02:
        case 0x10:
          video_codec = Codec::kOtherVideo;
          video_pid = pid;
          break;
        default: break;
      }
    }
  });
  const uint16_t primary = video_pid != 0xffff ? video_pid : first_pid;
  const Codec codec = video_pid != 0xffff ? video_codec : Codec::kNonVideo;
  if (primary != primary_pid_ || codec != codec_) {
    primary_pid_ = primary;
    codec_ = codec;
    primary_is_video_ = video_pid != 0xffff;
    frame_open_ = false;
    frame_start_in_pending_ = false;
  }
}

void TsChunker::start_pes(const uint8_t *payload, size_t len, bool rai, KeyHint hint) {
  frame_open_ = true;
  frame_start_in_pending_ = true;
  frame_key_ = rai || hint == KeyHint::kKey || codec_ == Codec::kNonVideo;
  scan_done_ = codec_ != Codec::kH264 && codec_ != Codec::kHevc;
  scan_window_ = 0xffffffff;
  frame_bounded_ = false;
  pending_.pts_ns = -1;

  if (len < 9 || payload[0] != 0 || payload[1] != 0 || payload[2] != 1)
    return;
  const size_t pes_len = (payload[4] << 8) | payload[5];
  frame_bounded_ = pes_len != 0;
  pes_remaining_ = static_cast<int64_t>(pes_len) - static_cast<int64_t>(len - 6);
  const uint8_t flags = payload[7];
  const size_t hdr_len = payload[8];
  if ((flags & 0x80) && len >= 14) {
    const uint64_t pts = (uint64_t{payload[9] & 0x0eu} << 29) | (uint64_t{payload[10]} << 22) |
                         (uint64_t{payload[11] & 0xfeu} << 14) | (uint64_t{payload[12]} << 7) |
                         (uint64_t{payload[13]} >> 1);
    /* 90 kHz to nanoseconds without overflow for any 33-bit value. */
    pending_.pts_ns = static_cast<int64_t>(pts / 9 * 100000 + pts % 9 * 100000 / 9);
  }
  const size_t es = 9 + hdr_len;
  if (!scan_done_ && es < len)
    scan_es(payload + es, len - es);
}

void TsChunker::scan_es(const uint8_t *data, size_t len) {
  /* Finds the first VCL NAL unit of the access unit: its type says whether
   * the frame is a random access point. */
  uint32_t w = scan_window_;
  for (size_t i = 0; i < len; i++) {
    const uint8_t b = data[i];
    if ((w & 0xffffff) == 0x000001) {
      if (codec_ == Codec::kH264) {
        const unsigned type = b & 0x1f;
        if (type >= 1 && type <= 5) {
          frame_key_ = frame_key_ || type == 5;
          scan_done_ = true;
          return;
        }
      } else {
        const unsigned type = (b >> 1) & 0x3f;
        if (type < 32) {
          frame_key_ = frame_key_ || (type >= 16 && type <= 23);
          scan_done_ = true;
          return;
        }
      }
    }
    w = (w << 8) | b;
  }
  scan_window_ = w;
}

void TsChunker::emit(std::vector<TsChunk> &out) {
  if (pending_.data.empty())
    return;
  TsChunk chunk = std::move(pending_);
  pending_ = TsChunk{};
  pending_.data.reserve(std::min<size_t>(chunk.data.size() * 2, max_chunk_bytes_));

  const bool have_psi = !pat_packets_.empty() && !pmt_packets_.empty();
  chunk.key = frame_start_in_pending_ && frame_key_ && have_psi;
  if (!frame_start_in_pending_)
    chunk.pts_ns = -1;
  frame_start_in_pending_ = false;

  if (chunk.key && packet_pid(chunk.data.data()) != 0) {
    std::vector<uint8_t> psi;
    psi.reserve(pat_packets_.size() + pmt_packets_.size());
    psi.insert(psi.end(), pat_packets_.begin(), pat_packets_.end());
    psi.insert(psi.end(), pmt_packets_.begin(), pmt_packets_.end());
    chunk.data.insert(chunk.data.begin(), psi.begin(), psi.end());
  }

  /* Renumber PSI continuity counters so inserted copies stay continuous. */
  for (size_t off = 0; off + kTsPacketSize <= chunk.data.size(); off += kTsPacketSize) {
    uint8_t *p = chunk.data.data() + off;
    const uint16_t pid = packet_pid(p);
    if (pid != 0 && pid != pmt_pid_)
      continue;
    if (!(p[3] & 0x10))
      continue; /* no payload: CC does not advance */
    uint8_t &cc = psi_cc_[pid == 0 ? 0 : 1];
    p[3] = static_cast<uint8_t>((p[3] & 0xf0) | (cc & 0x0f));
    cc = static_cast<uint8_t>((cc + 1) & 0x0f);
  }

  stats_.chunks++;
  if (chunk.key)
    stats_.key_chunks++;
  out.push_back(std::move(chunk));
}

}  // namespace gstsse
