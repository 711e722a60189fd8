/* Parsers of the H.264 and H.265 sequence parameter sets, for what ssesink
 * tells clients about the video it sends (stream-info.h): profile, level,
 * chroma format, bit depth, picture size, frame rate, interlacing, and the
 * RFC 6381 codec string (avc1.PPCCLL, hvc1.…).
 *
 * Plain C++: no GLib, no GObject. Input is untrusted: every read is bounds
 * checked, and a parser returns false instead of guessing when the bytes do
 * not make a parameter set. Syntax: ITU-T H.264 7.3.2.1.1 and E.1.1, ITU-T
 * H.265 7.3.2.2, 7.3.3, 7.3.7 and E.2.1; codec strings: RFC 6381 3.3 and
 * ISO/IEC 14496-15 Annex E. H.264 and the bit reader are in video-sps.cpp,
 * H.265 in h265-sps.cpp. */
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gstsse {

/* Reads bits MSB first from an RBSP. Reading past the end yields zeros and
 * clears ok(); callers check ok() once after a group of reads. */
class BitReader {
 public:
  BitReader(const uint8_t *data, size_t size) : data_(data), size_(size) {}
  uint32_t u(unsigned bits); /* bits <= 32 */
  bool flag() { return u(1) != 0; }
  uint32_t ue(); /* unsigned exp-Golomb */
  int32_t se();  /* signed exp-Golomb */
  void skip(uint64_t bits);
  bool ok() const { return ok_; }

 private:
  const uint8_t *data_;
  size_t size_;
  uint64_t pos_ = 0; /* in bits */
  bool ok_ = true;
};

/* The RBSP of a NAL unit: @size bytes from @nal with the emulation
 * prevention bytes (the 0x03 of 0x000003) removed. */
std::vector<uint8_t> nal_to_rbsp(const uint8_t *nal, size_t size);

/* What both codecs' SPS tell. */
struct VideoSps {
  std::string profile;            /* e.g. "High 4:4:4 Predictive", "Main 10" */
  std::string level;              /* e.g. "3.1", "1b" */
  std::string codecs;             /* RFC 6381 */
  unsigned chroma_format_idc = 1; /* 0: 4:0:0, 1: 4:2:0, 2: 4:2:2, 3: 4:4:4 */
  unsigned bit_depth_luma = 8, bit_depth_chroma = 8;
  unsigned width = 0, height = 0; /* after cropping (conformance window) */
  bool interlaced = false;        /* field or MBAFF/PAFF coding possible */
  uint32_t fps_n = 0, fps_d = 0;  /* 0/0: the SPS has no timing info */
};

/* @nal: one whole NAL unit, header included, start code excluded, still
 * escaped. */
bool parse_h264_sps(const uint8_t *nal, size_t size, VideoSps *out);
bool parse_h265_sps(const uint8_t *nal, size_t size, VideoSps *out);

/* Shared by the two parsers (video-sps.cpp, h265-sps.cpp). */
namespace sps_detail {
/* "3.1" from 31 (H.264: @per_level 10, @per_minor 1) or 93 (H.265: 30,
 * 3); "3" for 30 / 90. */
std::string level_string(unsigned idc, unsigned per_level, unsigned per_minor);
/* @size cropped by @a + @b units of @unit; false when nothing is left or
 * the size is absurd. */
bool crop(uint64_t size, uint64_t a, uint64_t b, uint64_t unit, unsigned *out);
/* Reduces the fraction @n / @d. */
void reduce(uint32_t *n, uint32_t *d);
}  // namespace sps_detail

/* Profile names, exposed for tests. @constraint_flags: the byte holding
 * constraint_set0_flag (MSB) to constraint_set5_flag. */
std::string h264_profile_name(unsigned profile_idc, unsigned constraint_flags);

}  // namespace gstsse
