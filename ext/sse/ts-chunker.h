/* Cuts an MPEG-TS byte stream into chunks of whole 188-byte packets, about one
 * per video frame, and marks the chunks a decoder can start from.
 *
 * Plain C++: no GLib, no GObject. Runs on the streaming thread only.
 *
 * Rules (docs/design.md explains why):
 *  - Input of any alignment is accepted; sync is found (two 0x47 bytes 188
 *    apart) and re-found after damage, dropping the bytes in between.
 *  - PAT and PMT are parsed to find the video PID (H.264, HEVC, MPEG-1/2/4
 *    video), or, with no video, the first elementary stream ("primary" PID).
 *  - A chunk ends when its primary-PID PES is complete: at once when the PES
 *    header gives a length, otherwise when the next PES starts or when the
 *    caller calls flush() (ssesink does so after a short idle timeout).
 *  - A chunk is key when its frame is a random access point: the adaptation
 *    field's random_access_indicator, an H.264 IDR / HEVC IRAP NAL unit, or a
 *    key hint from the caller (GstBuffer flags). A key chunk always starts
 *    with PAT and PMT: the latest ones are inserted when the stream does not
 *    already carry them there, and the continuity counters of the PSI PIDs
 *    are renumbered so the inserted copies never break continuity.
 *  - No chunk is key before PAT and PMT have been seen. */
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gstsse {

constexpr size_t kTsPacketSize = 188;

struct TsChunk {
  std::vector<uint8_t> data; /* whole packets */
  bool key = false;
  int64_t pts_ns = -1; /* PTS of the frame that starts in the chunk; -1: none */
};

enum class KeyHint { kUnknown, kKey, kDelta };

struct TsChunkerStats {
  uint64_t packets = 0;
  uint64_t resyncs = 0;       /* times sync was lost and found again */
  uint64_t skipped_bytes = 0; /* bytes dropped while out of sync */
  uint64_t chunks = 0;
  uint64_t key_chunks = 0;
};

class TsChunker {
 public:
  /* A chunk is also cut when it grows past @max_chunk_bytes, so a huge or
   * never-ending PES cannot hold data back without bound. */
  TsChunker() : TsChunker(512 * 1024) {}
  explicit TsChunker(size_t max_chunk_bytes);

  /* Feeds bytes; completed chunks are appended to @out. @hint applies to a
   * primary-PID PES that starts within these bytes. */
  void push(const uint8_t *data, size_t size, std::vector<TsChunk> &out, KeyHint hint = KeyHint::kUnknown);

  /* Ends the pending chunk, if any (idle timeout, EOS). */
  void flush(std::vector<TsChunk> &out);

  bool has_pending() const { return !pending_.data.empty(); }
  void reset();

  const TsChunkerStats &stats() const { return stats_; }
  uint16_t primary_pid() const { return primary_pid_; }
  bool primary_is_video() const { return primary_is_video_; }

 private:
  enum class Codec { kNone, kH264, kHevc, kOtherVideo, kNonVideo };

  void handle_packet(const uint8_t *p, std::vector<TsChunk> &out, KeyHint hint);
  void handle_psi(uint16_t pid, const uint8_t *p, bool pusi, size_t off);
  void parse_pat(const std::vector<uint8_t> &section);
  void parse_pmt(const std::vector<uint8_t> &section);
  void start_pes(const uint8_t *payload, size_t len, bool rai, KeyHint hint);
  void scan_es(const uint8_t *data, size_t len);
  void emit(std::vector<TsChunk> &out);
  void append_packet(const uint8_t *p);

  size_t max_chunk_bytes_;
  std::vector<uint8_t> carry_; /* bytes not yet forming a whole packet */
  bool synced_ = false;

  /* PSI state */
  uint16_t pmt_pid_ = 0xffff;
  uint16_t primary_pid_ = 0xffff;
  bool primary_is_video_ = false;
  Codec codec_ = Codec::kNone;
  std::vector<uint8_t> pat_packets_, pmt_packets_; /* latest complete tables */
  std::vector<uint8_t> psi_collect_[2];            /* packets being collected */
  std::vector<uint8_t> psi_section_[2];            /* section bytes being collected */
  uint8_t psi_cc_[2] = {0, 0};                     /* renumbered CC, PAT and PMT */

  /* The pending chunk and the frame in it */
  TsChunk pending_;
  bool frame_open_ = false;             /* a primary PES is in progress */
  bool frame_start_in_pending_ = false; /* ...and it started in pending_ */
  bool frame_key_ = false;
  bool frame_bounded_ = false;
  int64_t pes_remaining_ = 0; /* bytes of the bounded PES still to come */
  bool scan_done_ = false;    /* first VCL NAL unit seen */
  uint32_t scan_window_ = 0xffffffff;

  TsChunkerStats stats_;
};

}  // namespace gstsse
