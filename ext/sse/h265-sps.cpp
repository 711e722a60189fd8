/* H.265 SPS parsing for ssesink; see video-sps.h. */
#include <algorithm>
#include <cstdio>

#include "video-sps.h"

namespace gstsse {

using namespace sps_detail;

namespace {

struct Ptl {
  unsigned space = 0, tier = 0, profile_idc = 0, level_idc = 0;
  uint32_t compat = 0;
  uint8_t constraint[6] = {};
};

bool parse_ptl(BitReader &br, unsigned max_sub_layers_minus1, Ptl *p) {
  p->space = br.u(2);
  p->tier = br.u(1);
  p->profile_idc = br.u(5);
  p->compat = br.u(32);
  for (auto &c : p->constraint)
    c = static_cast<uint8_t>(br.u(8));
  p->level_idc = br.u(8);
  bool profile_present[8] = {}, level_present[8] = {};
  for (unsigned i = 0; i < max_sub_layers_minus1; i++) {
    profile_present[i] = br.flag();
    level_present[i] = br.flag();
  }
  if (max_sub_layers_minus1 > 0)
    br.skip(2 * (8 - max_sub_layers_minus1));
  for (unsigned i = 0; i < max_sub_layers_minus1; i++) {
    if (profile_present[i])
      br.skip(88);
    if (level_present[i])
      br.skip(8);
  }
  return br.ok();
}

/* Names of the format range extensions profiles (and their relatives) from
 * the constraint flags, or from the SPS when those are all clear. */
std::string h265_rext_name(const Ptl &p, unsigned chroma, unsigned depth) {
  const uint8_t c0 = p.constraint[0], c1 = p.constraint[1];
  const bool max12 = c0 & 0x08, max10 = c0 & 0x04, max8 = c0 & 0x02, max422 = c0 & 0x01;
  const bool max420 = c1 & 0x80, mono = c1 & 0x40, intra = c1 & 0x20, one_picture = c1 & 0x10;
  if (max12 || max10 || max8)
    depth = max8 ? 8 : max10 ? 10 : 12;
  else if (max422 || max420 || mono)
    depth = 16;
  if (mono)
    chroma = 0;
  else if (max420)
    chroma = 1;
  else if (max422)
    chroma = 2;
  else if (max12 || max10 || max8)
    chroma = 3;
  std::string name = chroma == 0 ? "Monochrome" : "Main";
  if (chroma == 2)
    name += " 4:2:2";
  else if (chroma == 3)
    name += " 4:4:4";
  if (depth > 8)
    name += " " + std::to_string(depth);
  if (one_picture)
    name += " Still Picture";
  else if (intra)
    name += " Intra";
  return name;
}

std::string h265_profile_name(const Ptl &p, unsigned chroma, unsigned depth) {
  unsigned idc = p.profile_idc;
  if (idc == 0) /* the lowest compatible profile */
    for (unsigned j = 1; j < 32 && idc == 0; j++)
      if (p.compat & (0x80000000u >> j))
        idc = j;
  switch (idc) {
    case 1: return "Main";
    case 2: return "Main 10";
    case 3: return "Main Still Picture";
    case 4: return h265_rext_name(p, chroma, depth);
    case 5: return "High Throughput " + h265_rext_name(p, chroma, depth);
    case 6: return "Multiview Main";
    case 7: return "Scalable Main";
    case 8: return "3D Main";
    case 9: return "Screen-Extended " + h265_rext_name(p, chroma, depth);
    case 10: return "Scalable " + h265_rext_name(p, chroma, depth);
    case 11: return "High Throughput Screen-Extended " + h265_rext_name(p, chroma, depth);
    default: return "profile " + std::to_string(p.profile_idc);
  }
}

std::string hvc1_string(const Ptl &p) {
  uint32_t reversed = 0;
  for (unsigned j = 0; j < 32; j++)
    if (p.compat & (0x80000000u >> j))
      reversed |= uint32_t{1} << j;
  char buf[64];
  const char *space[] = {"", "A", "B", "C"};
  std::snprintf(buf, sizeof buf, "hvc1.%s%u.%X.%c%u", space[p.space & 3], p.profile_idc, reversed, p.tier ? 'H' : 'L',
                p.level_idc);
  std::string s = buf;
  size_t n = 6;
  while (n > 0 && p.constraint[n - 1] == 0)
    n--;
  for (size_t i = 0; i < n; i++) {
    std::snprintf(buf, sizeof buf, ".%02X", p.constraint[i]); /* two digits, as the player and most muxers write them */
    s += buf;
  }
  return s;
}

void skip_h265_scaling_list_data(BitReader &br) {
  for (unsigned size_id = 0; size_id < 4; size_id++)
    for (unsigned matrix = 0; matrix < 6 && br.ok(); matrix += size_id == 3 ? 3 : 1) {
      if (!br.flag()) { /* scaling_list_pred_mode_flag */
        br.ue();
        continue;
      }
      const unsigned coefs = size_id == 0 ? 16 : 64;
      if (size_id > 1)
        br.se();
      for (unsigned i = 0; i < coefs && br.ok(); i++)
        br.se();
    }
}

/* The short-term reference picture sets of an SPS, only as far as needed
 * to skip them: the number of delta POCs of each decides how many bits the
 * next one that predicts from it takes. */
constexpr unsigned kMaxDeltaPocs = 16;
struct StRps {
  unsigned num_negative = 0, num_positive = 0;
  int32_t s0[kMaxDeltaPocs] = {}, s1[kMaxDeltaPocs] = {};
};

bool parse_st_rps(BitReader &br, unsigned idx, std::vector<StRps> &sets) {
  StRps &rps = sets[idx];
  if (idx != 0 && br.flag()) { /* inter_ref_pic_set_prediction_flag */
    const StRps &ref = sets[idx - 1];
    const bool sign = br.flag();
    const uint32_t abs_minus1 = br.ue();
    if (abs_minus1 >= 32768)
      return false;
    const int32_t delta_rps = (sign ? -1 : 1) * static_cast<int32_t>(abs_minus1 + 1);
    const unsigned n = ref.num_negative + ref.num_positive;
    bool use_delta[2 * kMaxDeltaPocs + 1];
    for (unsigned j = 0; j <= n; j++) {
      const bool used = br.flag();
      use_delta[j] = used || br.flag();
    }
    unsigned i = 0;
    auto add0 = [&](int32_t d) { return i < kMaxDeltaPocs ? (rps.s0[i++] = d, true) : false; };
    for (unsigned j = ref.num_positive; j-- > 0;) {
      const int32_t d = ref.s1[j] + delta_rps;
      if (d < 0 && use_delta[ref.num_negative + j] && !add0(d))
        return false;
    }
    if (delta_rps < 0 && use_delta[n] && !add0(delta_rps))
      return false;
    for (unsigned j = 0; j < ref.num_negative; j++) {
      const int32_t d = ref.s0[j] + delta_rps;
      if (d < 0 && use_delta[j] && !add0(d))
        return false;
    }
    rps.num_negative = i;
    i = 0;
    auto add1 = [&](int32_t d) { return i < kMaxDeltaPocs ? (rps.s1[i++] = d, true) : false; };
    for (unsigned j = ref.num_negative; j-- > 0;) {
      const int32_t d = ref.s0[j] + delta_rps;
      if (d > 0 && use_delta[j] && !add1(d))
        return false;
    }
    if (delta_rps > 0 && use_delta[n] && !add1(delta_rps))
      return false;
    for (unsigned j = 0; j < ref.num_positive; j++) {
      const int32_t d = ref.s1[j] + delta_rps;
      if (d > 0 && use_delta[ref.num_negative + j] && !add1(d))
        return false;
    }
    rps.num_positive = i;
    return br.ok();
  }
  rps.num_negative = br.ue();
  rps.num_positive = br.ue();
  if (rps.num_negative > kMaxDeltaPocs || rps.num_positive > kMaxDeltaPocs)
    return false;
  int32_t poc = 0;
  for (unsigned i = 0; i < rps.num_negative; i++) {
    poc -= static_cast<int32_t>(br.ue() % 32768) + 1;
    rps.s0[i] = poc;
    br.skip(1);
  }
  poc = 0;
  for (unsigned i = 0; i < rps.num_positive; i++) {
    poc += static_cast<int32_t>(br.ue() % 32768) + 1;
    rps.s1[i] = poc;
    br.skip(1);
  }
  return br.ok();
}

/* The rest of an H.265 SPS, from log2_max_pic_order_cnt_lsb_minus4 to the
 * VUI timing info: sets the frame rate and @field_seq when the bits get
 * that far; the SPS is usable without them. */
void parse_h265_tail(BitReader &br, unsigned max_sub_layers_minus1, VideoSps *s, bool *field_seq) {
  const uint32_t log2_poc_lsb = br.ue() + 4;
  if (log2_poc_lsb > 16)
    return;
  const bool ordering_all = br.flag();
  for (unsigned i = ordering_all ? 0 : max_sub_layers_minus1; i <= max_sub_layers_minus1; i++) {
    br.ue();
    br.ue();
    br.ue();
  }
  for (int i = 0; i < 6; i++) /* coding/transform block sizes and depths */
    br.ue();
  if (br.flag() && br.flag()) /* scaling_list_enabled, sps_scaling_list_data_present */
    skip_h265_scaling_list_data(br);
  br.skip(2); /* amp, sample_adaptive_offset */
  if (br.flag()) {
    br.skip(8);
    br.ue();
    br.ue();
    br.skip(1);
  }
  const uint32_t num_rps = br.ue();
  if (!br.ok() || num_rps > 64)
    return;
  std::vector<StRps> sets(num_rps);
  for (unsigned i = 0; i < num_rps; i++)
    if (!parse_st_rps(br, i, sets))
      return;
  if (br.flag()) { /* long_term_ref_pics_present_flag */
    const uint32_t n = br.ue();
    if (n > 32)
      return;
    br.skip(uint64_t{n} * (log2_poc_lsb + 1));
  }
  br.skip(2); /* sps_temporal_mvp, strong_intra_smoothing */
  if (!br.flag() || !br.ok())
    return; /* no VUI */
  if (br.flag() && br.u(8) == 255)
    br.skip(32);
  if (br.flag())
    br.skip(1);
  if (br.flag()) {
    br.skip(4);
    if (br.flag())
      br.skip(24);
  }
  if (br.flag()) {
    br.ue();
    br.ue();
  }
  br.skip(1); /* neutral_chroma_indication_flag */
  const bool fs = br.flag();
  br.skip(1); /* frame_field_info_present_flag */
  if (br.flag()) {
    br.ue();
    br.ue();
    br.ue();
    br.ue();
  }
  if (!br.ok())
    return;
  *field_seq = fs;
  if (br.flag()) {
    const uint32_t units = br.u(32), scale = br.u(32);
    if (br.ok() && units && scale) {
      s->fps_n = scale;
      s->fps_d = units;
      reduce(&s->fps_n, &s->fps_d);
    }
  }
}

}  // namespace

bool parse_h265_sps(const uint8_t *nal, size_t size, VideoSps *out) {
  if (size < 4 || ((nal[0] >> 1) & 0x3f) != 33)
    return false;
  const std::vector<uint8_t> rbsp = nal_to_rbsp(nal + 2, size - 2);
  BitReader br(rbsp.data(), rbsp.size());
  VideoSps s;
  br.skip(4); /* sps_video_parameter_set_id */
  const unsigned max_sub_layers_minus1 = br.u(3);
  br.skip(1);
  if (max_sub_layers_minus1 > 6)
    return false;
  Ptl ptl;
  if (!parse_ptl(br, max_sub_layers_minus1, &ptl))
    return false;
  if (br.ue() > 15)
    return false;
  s.chroma_format_idc = br.ue();
  if (s.chroma_format_idc > 3)
    return false;
  bool separate_planes = false;
  if (s.chroma_format_idc == 3)
    separate_planes = br.flag();
  const uint64_t w = br.ue(), h = br.ue();
  uint64_t cl = 0, cr = 0, ct = 0, cb = 0;
  if (br.flag()) {
    cl = br.ue();
    cr = br.ue();
    ct = br.ue();
    cb = br.ue();
  }
  const uint32_t luma = br.ue(), chroma = br.ue();
  if (!br.ok() || luma > 8 || chroma > 8)
    return false;
  s.bit_depth_luma = 8 + luma;
  s.bit_depth_chroma = 8 + chroma;
  const unsigned cat = separate_planes ? 0 : s.chroma_format_idc;
  const uint64_t sub_w = cat == 1 || cat == 2 ? 2 : 1, sub_h = cat == 1 ? 2 : 1;
  if (!crop(w, cl, cr, sub_w, &s.width) || !crop(h, ct, cb, sub_h, &s.height))
    return false;

  bool field_seq = false;
  parse_h265_tail(br, max_sub_layers_minus1, &s, &field_seq);
  const bool progressive_src = ptl.constraint[0] & 0x80, interlaced_src = ptl.constraint[0] & 0x40;
  s.interlaced = field_seq || (interlaced_src && !progressive_src);

  s.profile = h265_profile_name(ptl, s.chroma_format_idc, std::max(s.bit_depth_luma, s.bit_depth_chroma));
  s.level = level_string(ptl.level_idc, 30, 3);
  s.codecs = hvc1_string(ptl);
  *out = std::move(s);
  return true;
}

}  // namespace gstsse
