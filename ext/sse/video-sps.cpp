/* The bit reader, the RBSP unescaping and the H.264 SPS parser of ssesink;
 * see video-sps.h. (H.265: h265-sps.cpp.) */
#include "video-sps.h"

#include <algorithm>
#include <cstdio>

namespace gstsse {

uint32_t BitReader::u(unsigned bits) {
  uint32_t v = 0;
  for (unsigned i = 0; i < bits; i++) {
    unsigned bit = 0;
    if (pos_ < uint64_t{size_} * 8)
      bit = (data_[pos_ >> 3] >> (7 - (pos_ & 7))) & 1;
    else
      ok_ = false;
    pos_++;
    v = (v << 1) | bit;
  }
  return v;
}

uint32_t BitReader::ue() {
  unsigned zeros = 0;
  while (u(1) == 0) {
    if (!ok_ || ++zeros > 31) {
      ok_ = false;
      return 0;
    }
  }
  if (zeros == 0)
    return 0;
  return ((uint32_t{1} << zeros) - 1) + u(zeros);
}

int32_t BitReader::se() {
  const uint32_t k = ue();
  /* 1, 2, 3, 4... -> 1, -1, 2, -2... */
  const auto mag = static_cast<int32_t>((k >> 1) + (k & 1));
  return (k & 1) ? mag : -mag;
}

void BitReader::skip(uint64_t bits) {
  pos_ += bits;
  if (pos_ > uint64_t{size_} * 8)
    ok_ = false;
}

std::vector<uint8_t> nal_to_rbsp(const uint8_t *nal, size_t size) {
  std::vector<uint8_t> out;
  out.reserve(size);
  unsigned zeros = 0;
  for (size_t i = 0; i < size; i++) {
    const uint8_t b = nal[i];
    if (zeros >= 2 && b == 0x03) {
      zeros = 0;
      continue;
    }
    zeros = b == 0 ? zeros + 1 : 0;
    out.push_back(b);
  }
  return out;
}

namespace sps_detail {

/* "3.1" from 31 (H.264) or 93 (H.265, @per_level 30); "3" for 30/90. */
std::string level_string(unsigned idc, unsigned per_level, unsigned per_minor) {
  const unsigned major = idc / per_level;
  const unsigned minor = (idc % per_level) / per_minor;
  return minor ? std::to_string(major) + "." + std::to_string(minor) : std::to_string(major);
}

/* Crop @size by @a + @b units of @unit; false when the window is empty. */
bool crop(uint64_t size, uint64_t a, uint64_t b, uint64_t unit, unsigned *out) {
  const uint64_t cut = (a + b) * unit;
  if (cut >= size || size > 65535)
    return false;
  *out = static_cast<unsigned>(size - cut);
  return true;
}

void reduce(uint32_t *n, uint32_t *d) {
  uint32_t a = *n, b = *d;
  while (b) {
    const uint32_t t = a % b;
    a = b;
    b = t;
  }
  if (a > 1) {
    *n /= a;
    *d /= a;
  }
}

}  // namespace sps_detail

namespace {

using namespace sps_detail;

void skip_h264_scaling_list(BitReader &br, unsigned size) {
  int last = 8, next = 8;
  for (unsigned j = 0; j < size && br.ok(); j++) {
    if (next != 0) {
      const int32_t delta = br.se();
      next = ((last + delta) % 256 + 256) % 256;
    }
    last = next == 0 ? last : next;
  }
}

bool h264_has_chroma_info(unsigned profile_idc) {
  switch (profile_idc) {
    case 100:
    case 110:
    case 122:
    case 244:
    case 44:
    case 83:
    case 86:
    case 118:
    case 128:
    case 138:
    case 139:
    case 134:
    case 135: return true;
    default: return false;
  }
}

}  // namespace

std::string h264_profile_name(unsigned profile_idc, unsigned constraint_flags) {
  const bool set1 = constraint_flags & 0x40, set3 = constraint_flags & 0x10;
  const bool set4 = constraint_flags & 0x08, set5 = constraint_flags & 0x04;
  switch (profile_idc) {
    case 66: return set1 ? "Constrained Baseline" : "Baseline";
    case 77: return "Main";
    case 88: return "Extended";
    case 100:
      if (set4 && set5)
        return "Constrained High";
      return set4 ? "Progressive High" : "High";
    case 110: return set3 ? "High 10 Intra" : "High 10";
    case 122: return set3 ? "High 4:2:2 Intra" : "High 4:2:2";
    case 244: return set3 ? "High 4:4:4 Intra" : "High 4:4:4 Predictive";
    case 44: return "CAVLC 4:4:4 Intra";
    case 83: return "Scalable Baseline";
    case 86: return "Scalable High";
    case 118: return "Multiview High";
    case 128: return "Stereo High";
    case 134: return "MFC High";
    case 135: return "MFC Depth High";
    case 138: return "Multiview Depth High";
    case 139: return "Enhanced Multiview Depth High";
    default: return "profile " + std::to_string(profile_idc);
  }
}

bool parse_h264_sps(const uint8_t *nal, size_t size, VideoSps *out) {
  if (size < 4 || (nal[0] & 0x1f) != 7)
    return false;
  const std::vector<uint8_t> rbsp = nal_to_rbsp(nal + 1, size - 1);
  BitReader br(rbsp.data(), rbsp.size());
  VideoSps s;
  const unsigned profile_idc = br.u(8);
  const unsigned constraints = br.u(8);
  const unsigned level_idc = br.u(8);
  if (br.ue() > 31)
    return false;
  bool separate_planes = false;
  if (h264_has_chroma_info(profile_idc)) {
    s.chroma_format_idc = br.ue();
    if (s.chroma_format_idc > 3)
      return false;
    if (s.chroma_format_idc == 3)
      separate_planes = br.flag();
    const uint32_t luma = br.ue(), chroma = br.ue();
    if (luma > 6 || chroma > 6)
      return false;
    s.bit_depth_luma = 8 + luma;
    s.bit_depth_chroma = 8 + chroma;
    br.skip(1); /* qpprime_y_zero_transform_bypass_flag */
    if (br.flag()) {
      const unsigned lists = s.chroma_format_idc != 3 ? 8 : 12;
      for (unsigned i = 0; i < lists && br.ok(); i++)
        if (br.flag())
          skip_h264_scaling_list(br, i < 6 ? 16 : 64);
    }
  }
  if (br.ue() > 12) /* log2_max_frame_num_minus4 */
    return false;
  const uint32_t poc_type = br.ue();
  if (poc_type == 0) {
    if (br.ue() > 12)
      return false;
  } else if (poc_type == 1) {
    br.skip(1);
    br.se();
    br.se();
    const uint32_t cycle = br.ue();
    if (cycle > 255)
      return false;
    for (uint32_t i = 0; i < cycle && br.ok(); i++)
      br.se();
  } else if (poc_type != 2) {
    return false;
  }
  br.ue(); /* max_num_ref_frames */
  br.skip(1);
  const uint64_t mbs_w = uint64_t{br.ue()} + 1, map_units_h = uint64_t{br.ue()} + 1;
  const bool frame_mbs_only = br.flag();
  if (!frame_mbs_only)
    br.skip(1); /* mb_adaptive_frame_field_flag */
  br.skip(1);   /* direct_8x8_inference_flag */
  uint64_t crop_l = 0, crop_r = 0, crop_t = 0, crop_b = 0;
  if (br.flag()) {
    crop_l = br.ue();
    crop_r = br.ue();
    crop_t = br.ue();
    crop_b = br.ue();
  }
  if (!br.ok())
    return false;
  const unsigned chroma_array_type = separate_planes ? 0 : s.chroma_format_idc;
  const uint64_t fields = frame_mbs_only ? 1 : 2;
  const uint64_t unit_x = chroma_array_type == 0 || chroma_array_type == 3 ? 1 : 2;
  const uint64_t unit_y = (chroma_array_type == 1 ? 2 : 1) * fields;
  if (!crop(mbs_w * 16, crop_l, crop_r, unit_x, &s.width) ||
      !crop(map_units_h * 16 * fields, crop_t, crop_b, unit_y, &s.height))
    return false;
  s.interlaced = !frame_mbs_only;

  /* VUI, up to the timing info; the SPS is usable without it. */
  if (br.flag()) {
    if (br.flag() && br.u(8) == 255) /* aspect_ratio_idc: Extended_SAR */
      br.skip(32);
    if (br.flag()) /* overscan_info_present_flag */
      br.skip(1);
    if (br.flag()) { /* video_signal_type_present_flag */
      br.skip(4);
      if (br.flag())
        br.skip(24);
    }
    if (br.flag()) { /* chroma_loc_info_present_flag */
      br.ue();
      br.ue();
    }
    if (br.flag()) {
      const uint32_t units = br.u(32), scale = br.u(32);
      if (br.ok() && units && scale && units < 0x80000000u) {
        s.fps_n = scale;
        s.fps_d = 2 * units;
        reduce(&s.fps_n, &s.fps_d);
      }
    }
  }

  s.profile = h264_profile_name(profile_idc, constraints);
  const bool level_1b = level_idc == 9 || (level_idc == 11 && (constraints & 0x10) &&
                                           (profile_idc == 66 || profile_idc == 77 || profile_idc == 88));
  s.level = level_1b ? "1b" : level_string(level_idc, 10, 1);
  char codecs[16];
  std::snprintf(codecs, sizeof codecs, "avc1.%02X%02X%02X", profile_idc, constraints, level_idc);
  s.codecs = codecs;
  *out = std::move(s);
  return true;
}

}  // namespace gstsse
