/* The stream description of ssesink and the TS probe that finds it; see
 * stream-info.h. */
#include "stream-info.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <utility>

#include "event-encoder.h"
#include "ts-psi.h"

namespace gstsse {
namespace {

constexpr size_t kPacket = 188;
constexpr size_t kMaxSection = 1024;  /* PAT and PMT sections are at most this long */
constexpr size_t kMaxVideoEs = 16384; /* bytes of a key frame searched for VPS/SPS/PPS */

inline uint16_t pid_of(const uint8_t *p) {
  return static_cast<uint16_t>(((p[1] & 0x1f) << 8) | p[2]);
}

const char *video_codec_for(uint8_t type) {
  switch (type) {
    case 0x1b: return "h264";
    case 0x24: return "h265";
    case 0x01: return "mpeg1";
    case 0x02: return "mpeg2";
    case 0x10: return "mpeg4";
    default: return nullptr;
  }
}

/* The audio codec of a PMT entry; @desc: its descriptors. */
const char *audio_codec_for(uint8_t type, const uint8_t *desc, size_t len) {
  switch (type) {
    case 0x0f: return "aac";
    case 0x11: return "aac-latm";
    case 0x03:
    case 0x04: return "mpeg-audio";
    case 0x81: return "ac-3";
    case 0x87: return "e-ac-3";
    case 0x06: break;
    default: return nullptr;
  }
  /* Private data: the descriptors say what it is. */
  for (size_t i = 0; i + 2 <= len;) {
    const uint8_t tag = desc[i], n = desc[i + 1];
    if (i + 2 + n > len)
      break;
    const uint8_t *d = desc + i + 2;
    if (tag == 0x6a)
      return "ac-3";
    if (tag == 0x7a)
      return "e-ac-3";
    if (tag == 0x05 && n >= 4) { /* registration descriptor */
      if (std::memcmp(d, "Opus", 4) == 0)
        return "opus";
      if (std::memcmp(d, "AC-3", 4) == 0)
        return "ac-3";
      if (std::memcmp(d, "EAC3", 4) == 0)
        return "e-ac-3";
    }
    i += 2 + n;
  }
  return nullptr;
}

const char *codec_display_name(const std::string &codec) {
  if (codec == "h264")
    return "H.264";
  if (codec == "h265")
    return "H.265";
  if (codec == "mpeg1")
    return "MPEG-1 video";
  if (codec == "mpeg2")
    return "MPEG-2 video";
  if (codec == "mpeg4")
    return "MPEG-4 Part 2 video";
  if (codec == "aac")
    return "AAC";
  if (codec == "aac-latm")
    return "AAC (LATM)";
  if (codec == "mpeg-audio")
    return "MPEG audio";
  if (codec == "ac-3")
    return "AC-3";
  if (codec == "e-ac-3")
    return "E-AC-3";
  if (codec == "opus")
    return "Opus";
  return codec.c_str();
}

/* The ES bytes of a PES packet's first TS packet payload, or nullptr. */
const uint8_t *pes_payload(const uint8_t *p, size_t len, size_t *es_len) {
  if (len < 9 || p[0] != 0 || p[1] != 0 || p[2] != 1)
    return nullptr;
  const size_t es = 9 + size_t{p[8]};
  if (es >= len)
    return nullptr;
  *es_len = len - es;
  return p + es;
}

}  // namespace

std::string VideoInfo::missing_parameter_set_names() const {
  std::string out;
  for (const auto &[bit, name] : {std::pair{kVps, "VPS"}, std::pair{kSps, "SPS"}, std::pair{kPps, "PPS"}})
    if (missing_parameter_sets & bit) {
      if (!out.empty())
        out += '/';
      out += name;
    }
  return out;
}

const char *VideoInfo::chroma_format() const {
  static const char *const names[] = {"4:0:0", "4:2:0", "4:2:2", "4:4:4"};
  return names[sps.chroma_format_idc & 3];
}

bool VideoInfo::browser_safe() const {
  if (!have_sps || (codec != "h264" && codec != "h265"))
    return false;
  return sps.chroma_format_idc <= 1 && bit_depth() <= 8 && !sps.interlaced;
}

std::string StreamInfo::fps_string() const {
  const VideoSps &s = video.sps;
  if (!video.have_sps || s.fps_d == 0)
    return "";
  if (s.fps_n % s.fps_d == 0)
    return std::to_string(s.fps_n / s.fps_d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", double(s.fps_n) / s.fps_d);
  std::string out = buf;
  while (out.back() == '0')
    out.pop_back();
  return out;
}

std::string StreamInfo::codecs() const {
  std::string out;
  if (video.have_sps)
    out = video.sps.codecs;
  if (!audio.codecs.empty()) {
    if (!out.empty())
      out += ',';
    out += audio.codecs;
  }
  return out;
}

std::string StreamInfo::json_fields() const {
  std::string out;
  const std::string all = codecs();
  if (!all.empty()) {
    out += "\"codecs\":";
    json_append_string(out, all);
  }
  if (!video.codec.empty()) {
    if (!out.empty())
      out += ',';
    out += "\"video\":{\"codec\":";
    json_append_string(out, video.codec);
    const bool h26x = video.codec == "h264" || video.codec == "h265";
    if (video.have_sps) {
      const VideoSps &s = video.sps;
      out += ",\"codecs\":";
      json_append_string(out, s.codecs);
      out += ",\"profile\":";
      json_append_string(out, s.profile);
      out += ",\"level\":";
      json_append_string(out, s.level);
      out += ",\"chroma_format\":\"";
      out += video.chroma_format();
      out += "\",\"bit_depth\":" + std::to_string(video.bit_depth());
      out += ",\"width\":" + std::to_string(s.width) + ",\"height\":" + std::to_string(s.height);
      const std::string fps = fps_string();
      if (!fps.empty())
        out += ",\"fps\":" + fps;
      out += s.interlaced ? ",\"interlaced\":true" : ",\"interlaced\":false";
    }
    if (video.have_sps || !h26x)
      out += video.browser_safe() ? ",\"browser_safe\":true" : ",\"browser_safe\":false";
    out += '}';
  }
  if (!audio.codec.empty()) {
    if (!out.empty())
      out += ',';
    out += "\"audio\":{\"codec\":";
    json_append_string(out, audio.codec);
    if (!audio.codecs.empty()) {
      out += ",\"codecs\":";
      json_append_string(out, audio.codecs);
    }
    if (audio.sample_rate)
      out += ",\"sample_rate\":" + std::to_string(audio.sample_rate);
    if (audio.channels)
      out += ",\"channels\":" + std::to_string(audio.channels);
    out += '}';
  }
  return out;
}

std::string StreamInfo::description() const {
  std::string out;
  if (!video.codec.empty()) {
    out = codec_display_name(video.codec);
    if (video.have_sps) {
      const VideoSps &s = video.sps;
      out += " " + s.profile + " (" + s.codecs + "), level " + s.level + ", " + video.chroma_format() + ", " +
             std::to_string(video.bit_depth()) + "-bit, " + std::to_string(s.width) + "x" + std::to_string(s.height);
      const std::string fps = fps_string();
      if (!fps.empty())
        out += ", " + fps + " fps";
      if (s.interlaced)
        out += ", interlaced";
    }
    if (video.missing_parameter_sets)
      out += ", key frames without " + video.missing_parameter_set_names();
  }
  if (!audio.codec.empty()) {
    out += out.empty() ? "audio " : "; audio ";
    out += codec_display_name(audio.codec);
    if (!audio.codecs.empty())
      out += " (" + audio.codecs + ")";
    if (audio.sample_rate)
      out += ", " + std::to_string(audio.sample_rate) + " Hz";
    if (audio.channels)
      out += ", " + std::to_string(audio.channels) + (audio.channels == 1 ? " channel" : " channels");
  }
  return out;
}

std::string StreamInfo::browser_warning() const {
  if (video.codec.empty() || video.browser_safe())
    return "";
  const bool h26x = video.codec == "h264" || video.codec == "h265";
  if (!h26x)
    return std::string("The stream is ") + codec_display_name(video.codec) +
           ": browsers cannot decode it. Encode H.264 instead, e.g. video/x-raw,format=I420 ! x264enc.";
  if (!video.have_sps)
    return "";
  const VideoSps &s = video.sps;
  std::string out = std::string("The stream is ") + codec_display_name(video.codec) + " " + s.profile + " (" +
                    s.codecs + ", " + video.chroma_format() + " chroma, " + std::to_string(video.bit_depth()) + "-bit" +
                    (s.interlaced ? ", interlaced" : "") +
                    "): most browsers cannot decode it (Firefox, Safari, hardware decoders).";
  const bool format = s.chroma_format_idc > 1 || video.bit_depth() > 8;
  if (format)
    out += " Put video/x-raw,format=I420 before the encoder.";
  if (s.interlaced)
    out += format ? " Also encode progressive frames (deinterlace before the encoder)."
                  : " Encode progressive frames (deinterlace before the encoder).";
  return out;
}

std::string StreamInfo::parameter_sets_warning() const {
  if (!video.missing_parameter_sets)
    return "";
  const bool h264 = video.codec == "h264";
  /* With no SPS ever parsed, not even the first key frame had them. */
  return std::string("Key frames of the ") + codec_display_name(video.codec) + " stream carry no " +
         video.missing_parameter_set_names() +
         (video.have_sps ? " after the first one: viewers who join later cannot decode it. Put "
                         : ": viewers cannot decode it. Put ") +
         (h264 ? "h264parse" : "h265parse") + " config-interval=-1 after the encoder.";
}

bool parse_adts(const uint8_t *p, size_t size, AudioInfo *out) {
  static const unsigned rates[] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                   22050, 16000, 12000, 11025, 8000,  7350};
  if (size < 7 || p[0] != 0xff || (p[1] & 0xf6) != 0xf0)
    return false;
  const unsigned profile = p[2] >> 6, rate_index = (p[2] >> 2) & 0x0f;
  const unsigned channels = ((p[2] & 1) << 2) | (p[3] >> 6);
  const unsigned frame_length = ((p[3] & 3u) << 11) | (unsigned{p[4]} << 3) | (p[5] >> 5);
  if (rate_index >= sizeof rates / sizeof rates[0] || frame_length < 7)
    return false;
  out->codec = "aac";
  out->codecs = "mp4a.40." + std::to_string(profile + 1);
  out->sample_rate = rates[rate_index];
  out->channels = channels == 7 ? 8 : channels;
  return true;
}

bool StreamProbe::feed(const uint8_t *data, size_t size, bool key) {
  touched_ = false;
  params_changed_ = false;
  section_.clear();
  std::vector<uint8_t> es;
  bool in_video_pes = false, video_done = false;

  for (size_t off = 0; off + kPacket <= size; off += kPacket) {
    const uint8_t *p = data + off;
    if (p[0] != 0x47)
      continue;
    const uint16_t pid = pid_of(p);
    const bool pusi = (p[1] & 0x40) != 0;
    const unsigned afc = (p[3] >> 4) & 3;
    size_t start = 4;
    if (afc & 2)
      start = 5 + size_t{p[4]};
    if (!(afc & 1) || start >= kPacket)
      continue;
    const uint8_t *payload = p + start;
    const size_t len = kPacket - start;

    if (key && (pid == 0 || pid == pmt_pid_)) {
      psi_packet(pid, payload, len, pusi);
    } else if (key && pid == video_.pid && has_sps_codec() && !video_done) {
      /* The parameter sets are at the start of the key frame's own PES. */
      if (pusi) {
        size_t n = 0;
        const uint8_t *e = pes_payload(payload, len, &n);
        if (in_video_pes || !e) {
          video_done = in_video_pes;
          continue;
        }
        es.assign(e, e + n);
        in_video_pes = true;
      } else if (in_video_pes) {
        const size_t n = std::min(len, kMaxVideoEs - es.size());
        es.insert(es.end(), payload, payload + n);
        video_done = es.size() >= kMaxVideoEs;
      }
    } else if (pid == audio_.pid && !audio_known_ && pusi) {
      audio_packet(payload, len);
    }
  }
  if (!es.empty())
    scan_key_frame(es);
  if (!touched_)
    return false;
  std::string json = info_.json_fields();
  if (json == json_ && !params_changed_)
    return false;
  json_ = std::move(json);
  return true;
}

void StreamProbe::psi_packet(uint16_t pid, const uint8_t *payload, size_t len, bool pusi) {
  if (pusi) {
    const size_t start = 1 + size_t{payload[0]};
    section_.clear();
    if (start >= len)
      return;
    section_.assign(payload + start, payload + len);
    section_pid_ = pid;
  } else {
    if (section_.empty() || section_pid_ != pid)
      return;
    section_.insert(section_.end(), payload, payload + len);
  }
  if (section_.size() < 3)
    return;
  const size_t total = 3 + (((section_[1] & 0x0f) << 8) | section_[2]);
  if (total > kMaxSection + 3) {
    section_.clear();
    return;
  }
  if (section_.size() < total)
    return;
  section_.resize(total);
  if (pid == 0 && section_[0] == 0x00)
    parse_pat(section_);
  else if (pid == pmt_pid_ && section_[0] == 0x02)
    parse_pmt(section_);
  section_.clear();
}

void StreamProbe::parse_pat(const std::vector<uint8_t> &s) {
  const uint16_t pid = pat_first_pmt_pid(s);
  if (pid != kNoPid && pid != pmt_pid_) {
    pmt_pid_ = pid;
    last_pmt_.clear();
  }
}

void StreamProbe::parse_pmt(const std::vector<uint8_t> &s) {
  if (s.size() < 16 || s == last_pmt_)
    return;
  last_pmt_ = s;
  touched_ = true;
  Pid video, audio;
  const char *video_codec = nullptr, *audio_codec = nullptr;
  for_each_pmt_stream(s, [&](uint8_t type, uint16_t pid, const uint8_t *desc, size_t desc_len) {
    if (!video_codec && (video_codec = video_codec_for(type)))
      video = Pid{pid, type};
    else if (!audio_codec && (audio_codec = audio_codec_for(type, desc, desc_len)))
      audio = Pid{pid, type};
  });
  if (video.pid != video_.pid || video.type != video_.type) {
    video_ = video;
    params_changed_ = params_changed_ || info_.video.missing_parameter_sets != 0;
    info_.video = VideoInfo{};
    key_frame_seen_ = false;
    info_.video.codec = video_codec ? video_codec : "";
    last_sps_.clear();
  }
  if (audio.pid != audio_.pid || audio.type != audio_.type) {
    audio_ = audio;
    info_.audio = AudioInfo{};
    info_.audio.codec = audio_codec ? audio_codec : "";
  }
  /* Look at the audio again: a new PMT may come with new audio settings. */
  audio_known_ = audio_.type != 0x0f;
}

/* Walks the NAL units in front of the key frame's first slice: parses the
 * SPS when it is new, and notes which parameter sets the frame lacks. */
void StreamProbe::scan_key_frame(const std::vector<uint8_t> &es) {
  if (!has_sps_codec())
    return;
  const bool h264 = video_.type == 0x1b;
  const size_t n = es.size();
  unsigned found = 0;
  bool slice = false;
  size_t sps_start = 0, sps_end = 0;
  for (size_t i = 0;;) {
    /* The next start code. */
    while (i + 3 <= n && !(es[i] == 0 && es[i + 1] == 0 && es[i + 2] == 1))
      i++;
    if (i + 3 >= n)
      break;
    const size_t start = i + 3;
    const uint8_t b = es[start];
    const unsigned type = h264 ? (b & 0x1f) : ((b >> 1) & 0x3f);
    if (h264 ? (type >= 1 && type <= 5) : type < 32) {
      slice = true;
      break;
    }
    size_t end = start;
    while (end + 3 <= n && !(es[end] == 0 && es[end + 1] == 0 && es[end + 2] <= 1))
      end++;
    if (end + 3 > n)
      end = n;
    const bool sps = h264 ? type == 7 : type == 33;
    if (sps && !(found & VideoInfo::kSps)) {
      sps_start = start;
      sps_end = end;
    }
    if (sps)
      found |= VideoInfo::kSps;
    else if (h264 ? type == 8 : type == 34)
      found |= VideoInfo::kPps;
    else if (!h264 && type == 32)
      found |= VideoInfo::kVps;
    i = end;
  }

  if (found & VideoInfo::kSps) {
    const size_t len = sps_end - sps_start;
    if (last_sps_.size() != len || !std::equal(last_sps_.begin(), last_sps_.end(), es.begin() + sps_start)) {
      last_sps_.assign(es.begin() + sps_start, es.begin() + sps_end);
      touched_ = true;
      VideoSps parsed;
      const bool ok = h264 ? parse_h264_sps(es.data() + sps_start, len, &parsed)
                           : parse_h265_sps(es.data() + sps_start, len, &parsed);
      info_.video.have_sps = ok;
      info_.video.sps = ok ? parsed : VideoSps{};
    }
  }
  /* A frame whose first slice is not in the window says nothing. */
  if (!slice)
    return;
  if (!key_frame_seen_) {
    key_frame_seen_ = true;
    return;
  }
  const unsigned needed =
      h264 ? VideoInfo::kSps | VideoInfo::kPps : VideoInfo::kVps | VideoInfo::kSps | VideoInfo::kPps;
  const unsigned missing = info_.video.missing_parameter_sets | (needed & ~found);
  if (missing != info_.video.missing_parameter_sets) {
    info_.video.missing_parameter_sets = missing;
    touched_ = true;
    params_changed_ = true;
  }
}

void StreamProbe::audio_packet(const uint8_t *payload, size_t len) {
  size_t n = 0;
  const uint8_t *e = pes_payload(payload, len, &n);
  if (!e)
    return;
  for (size_t i = 0; i + 7 <= n; i++) {
    AudioInfo a;
    if (e[i] == 0xff && parse_adts(e + i, n - i, &a)) {
      info_.audio = a;
      audio_known_ = true;
      touched_ = true;
      return;
    }
  }
}

}  // namespace gstsse
