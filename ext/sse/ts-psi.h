/* Reading the two MPEG-TS tables ssesink needs, PAT and PMT, from a whole
 * section (table header to CRC, as collected from the packets). Shared by
 * TsChunker (which PID carries the frames) and StreamProbe (what the
 * streams are). Plain C++, header only; sections are untrusted: nothing is
 * read out of bounds, and a short section yields nothing.
 *
 * Not checked here: the CRC, and section_syntax_indicator, as before. */
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gstsse {

constexpr uint16_t kNoPid = 0xffff;

/* The PMT PID of the PAT's first program (program 0 is the network PID);
 * kNoPid when there is none. 8-byte header, 4-byte entries, 4-byte CRC. */
inline uint16_t pat_first_pmt_pid(const std::vector<uint8_t> &s) {
  if (s.size() < 12)
    return kNoPid;
  for (size_t i = 8; i + 4 <= s.size() - 4; i += 4) {
    const unsigned program = (s[i] << 8) | s[i + 1];
    if (program != 0)
      return static_cast<uint16_t>(((s[i + 2] & 0x1f) << 8) | s[i + 3]);
  }
  return kNoPid;
}

/* Calls @fn(stream_type, pid, descriptors, descriptors_length) for each
 * elementary stream of the PMT section @s, in order; the descriptors are
 * cut at the CRC when their length says more. */
template <typename Fn>
void for_each_pmt_stream(const std::vector<uint8_t> &s, Fn &&fn) {
  if (s.size() < 16)
    return;
  const size_t end = s.size() - 4; /* CRC */
  size_t i = 12 + (((s[10] & 0x0f) << 8) | s[11]);
  while (i + 5 <= end) {
    const uint8_t type = s[i];
    const auto pid = static_cast<uint16_t>(((s[i + 1] & 0x1f) << 8) | s[i + 2]);
    const size_t info_len = ((s[i + 3] & 0x0f) << 8) | s[i + 4];
    const size_t desc_len = i + 5 + info_len <= end ? info_len : end - (i + 5);
    fn(type, pid, s.data() + i + 5, desc_len);
    i += 5 + info_len;
  }
}

}  // namespace gstsse
