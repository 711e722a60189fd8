/* What ssesink sends, found from the TS chunks themselves: the video and
 * audio codecs, the video's profile, level, chroma format, bit depth, size,
 * frame rate and interlacing, the RFC 6381 codec strings, whether browsers
 * can commonly decode it, and whether the key frames after the first one
 * still carry the parameter sets a joining viewer needs. It goes into the
 * `stream` event (docs/protocol.md), the stream-info property and the
 * warnings of ssesink.
 *
 * Plain C++: no GLib, no GObject. StreamProbe runs on the streaming thread
 * (under ssesink's chunk lock) and is fed every chunk TsChunker emits. It
 * stays cheap: PAT, PMT and the NAL unit headers before the first slice
 * are read only in key chunks (which start with PAT and PMT), an SPS is
 * parsed only when it differs from the last one, and audio PES headers
 * only until the audio is known, and again after the PMT changes. Input is
 * untrusted: any bytes are accepted, none is read out of bounds. */
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "video-sps.h"

namespace gstsse {

struct VideoInfo {
  std::string codec; /* "h264", "h265", "mpeg2", "mpeg1", "mpeg4"; empty: no video */
  bool have_sps = false;
  VideoSps sps; /* when have_sps */
  /* Parameter sets (kVps, kSps, kPps bits) that a key frame after the
   * first one lacked in front of its first slice, H.264 and H.265 only:
   * a viewer who joins there cannot decode. 0 while every key frame has
   * carried them all (H.264 needs SPS and PPS, H.265 also the VPS).
   * Grows only; cleared when the PMT names another video stream. */
  unsigned missing_parameter_sets = 0;
  static constexpr unsigned kVps = 1, kSps = 2, kPps = 4;
  /* "VPS/SPS/PPS": the names of missing_parameter_sets; empty when 0. */
  std::string missing_parameter_set_names() const;

  unsigned bit_depth() const {
    return sps.bit_depth_luma > sps.bit_depth_chroma ? sps.bit_depth_luma : sps.bit_depth_chroma;
  }
  /* "4:2:0"... */
  const char *chroma_format() const;
  /* What most browsers and hardware decoders play: H.264 or H.265 with
   * 4:2:0 (or 4:0:0) chroma, 8 bits, progressive. False until the SPS is
   * known, and for other codecs. */
  bool browser_safe() const;
};

struct AudioInfo {
  std::string codec;                      /* "aac", "aac-latm", "mp3", "ac-3", "e-ac-3", "opus"; empty: no audio */
  std::string codecs;                     /* RFC 6381 when known, e.g. "mp4a.40.2" */
  unsigned sample_rate = 0, channels = 0; /* 0: unknown */
};

struct StreamInfo {
  VideoInfo video;
  AudioInfo audio;

  bool empty() const { return video.codec.empty() && audio.codec.empty(); }
  /* "avc1.64001F,mp4a.40.2": the codec strings known, video first. */
  std::string codecs() const;
  /* The fields of the `stream` event, without braces or a leading comma:
   * `"codecs":"…","video":{…},"audio":{…}`; each only when known; empty
   * when nothing is. */
  std::string json_fields() const;
  /* One line for people: "H.264 High 4:4:4 Predictive, level 3.1, 4:4:4,
   * 8-bit, 640x360, 30 fps; audio AAC (mp4a.40.2) 48000 Hz, 2 channels". */
  std::string description() const;
  /* Empty when the video is browser-safe or not yet known; else what is
   * wrong and how to fix it, for the element's warning. */
  std::string browser_warning() const;
  /* Empty while the key frames carry their parameter sets; else what is
   * missing and the fix (h264parse / h265parse config-interval=-1), for
   * the element's warning. */
  std::string parameter_sets_warning() const;
  /* "30", "29.97": the frame rate as JSON; empty when unknown. */
  std::string fps_string() const;
};

/* Parses an ADTS header at @p (@size bytes available). */
bool parse_adts(const uint8_t *p, size_t size, AudioInfo *out);

class StreamProbe {
 public:
  /* @data: a chunk from TsChunker (whole packets; anything is tolerated).
   * Returns true when info() changed: when json_fields() did, or when
   * VideoInfo::missing_parameter_sets grew (which the JSON does not show). */
  bool feed(const uint8_t *data, size_t size, bool key);
  const StreamInfo &info() const { return info_; }
  /* info().json_fields(), as of the last change. */
  const std::string &json_fields() const { return json_; }

 private:
  struct Pid {
    uint16_t pid = 0xffff;
    uint8_t type = 0;
  };
  void psi_packet(uint16_t pid, const uint8_t *payload, size_t len, bool pusi);
  void parse_pat(const std::vector<uint8_t> &s);
  void parse_pmt(const std::vector<uint8_t> &s);
  void scan_key_frame(const std::vector<uint8_t> &es);
  void audio_packet(const uint8_t *payload, size_t len);
  bool has_sps_codec() const { return video_.type == 0x1b || video_.type == 0x24; }

  StreamInfo info_;
  uint16_t pmt_pid_ = 0xffff;
  Pid video_, audio_;
  std::vector<uint8_t> section_; /* PSI section being collected */
  uint16_t section_pid_ = 0xffff;
  std::vector<uint8_t> last_pmt_; /* the last PMT section parsed */
  std::vector<uint8_t> last_sps_; /* the SPS NAL unit last parsed */
  bool audio_known_ = false;      /* stop looking at audio PES */
  bool key_frame_seen_ = false;   /* a key frame of this video stream, up to its first slice */
  bool touched_ = false;          /* something was parsed in this feed() */
  bool params_changed_ = false;   /* missing_parameter_sets changed in this feed() */
  std::string json_;
};

}  // namespace gstsse
