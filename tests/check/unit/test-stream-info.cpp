/* Unit tests for video-sps and stream-info: SPS byte fixtures checked by
 * hand, streams of x264enc / x265enc / voaacenc and mpegtsmux (the TS
 * fixtures made at build time from tests/fixtures/pipelines.txt, compared
 * with what ffprobe says of the same bytes), the JSON of the stream event,
 * and damaged input. */
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>

#include <unistd.h>

#include <random>
#include <string>
#include <vector>

#include "event-encoder.h"
#include "stream-info.h"
#include "ts-chunker.h"
#include "ts-fixtures.h"

using namespace gstsse;

/* Copies both sides first: fail_unless_equals_string keeps only a pointer,
 * which dangles for a temporary's c_str(). */
#define check_str(a, b)                                                              \
  do {                                                                               \
    const std::string a_ = (a), b_ = (b);                                            \
    fail_unless(a_ == b_, "'%s' is \"%s\", not \"%s\"", #a, a_.c_str(), b_.c_str()); \
  } while (0)

namespace {

std::vector<uint8_t> from_hex(const char *hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; hex[i] && hex[i + 1]; i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex + i, 2), nullptr, 16)));
  return out;
}

/* SPS NAL units written by x264enc / x265enc for 640x360 at 30/1 (made
 * with gst-launch-1.0 videotestsrc ! video/x-raw,format=F,... ! x264enc). */
const char *kH264I420 = "6764001eacd940a02ff97016a0c0c0d4a0000003002000000791e2c5b2c0";
const char *kH264Y444 = "67f4001e919b281405ff1380b506060640000003004000000f23c58b6580";
const char *kH264Y42B = "677a001ebcd940a02ff89c05a8303032000003000200000300791e2c5b2c";
const char *kH264I420_10 = "676e001ea6cd940a02ff97016a0c0c0d4a000003000200000300791e2c5b2c";
const char *kH265I420 =
    "42010101600000030090000003000003003fa00502016965959a4932bffc00040005a830303020000003002000000303c1";
const char *kH265Y444 =
    "4201010408000003009e0800000300003f9000a0402d2cb2b3492657ff80008000b5060606040000030004000003007820";
const char *kH265I422_10 =
    "4201010408000003009d0800000300003fb005020169365959a4932bffc00040005a830303020000030002000003003c10";

VideoSps h264(const char *hex) {
  const auto b = from_hex(hex);
  VideoSps s;
  fail_unless(parse_h264_sps(b.data(), b.size(), &s), "SPS %s", hex);
  return s;
}

VideoSps h265(const char *hex) {
  const auto b = from_hex(hex);
  VideoSps s;
  fail_unless(parse_h265_sps(b.data(), b.size(), &s), "SPS %s", hex);
  return s;
}

/* Chunks @ts as ssesink does and feeds every chunk to a probe; returns how
 * often it said "changed". */
int probe_all(const std::vector<uint8_t> &ts, StreamProbe &probe, std::vector<TsChunk> *keep = nullptr) {
  TsChunker chunker;
  std::vector<TsChunk> chunks;
  chunker.push(ts.data(), ts.size(), chunks);
  chunker.flush(chunks);
  int changes = 0;
  for (const auto &c : chunks)
    changes += probe.feed(c.data.data(), c.data.size(), c.key);
  if (keep)
    *keep = std::move(chunks);
  return changes;
}

/* What ffprobe says of the first video stream: "profile|pix_fmt". */
std::string ffprobe_video(const std::vector<uint8_t> &ts) {
  gchar *path = nullptr;
  const int fd = g_file_open_tmp("stream-info-XXXXXX.ts", &path, nullptr);
  fail_unless(fd >= 0);
  fail_unless(write(fd, ts.data(), ts.size()) == static_cast<ssize_t>(ts.size()));
  close(fd);
  const gchar *argv[] = {
      "ffprobe",          "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=profile,pix_fmt", "-of",
      "compact=p=0:nk=1", path, nullptr};
  gchar *out = nullptr;
  gint status = 0;
  fail_unless(g_spawn_sync(nullptr, const_cast<gchar **>(argv), nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr, &out,
                           nullptr, &status, nullptr));
  g_unlink(path);
  g_free(path);
  std::string s = out ? out : "";
  g_free(out);
  return s.substr(0, s.find('\n')); /* the program's copy of the stream may follow */
}

/* The ffprobe pixel format for what the probe found. */
std::string pix_fmt_of(const VideoInfo &v) {
  static const char *const chroma[] = {"gray", "yuv420p", "yuv422p", "yuv444p"};
  std::string f = chroma[v.sps.chroma_format_idc];
  if (v.bit_depth() > 8)
    f += std::to_string(v.bit_depth()) + "le";
  return f;
}

JsonObject *parse_object(JsonParser *parser, const std::string &json) {
  GError *err = nullptr;
  fail_unless(json_parser_load_from_data(parser, json.c_str(), -1, &err), "%s: %s", json.c_str(),
              err ? err->message : "");
  JsonNode *root = json_parser_get_root(parser);
  fail_unless(JSON_NODE_HOLDS_OBJECT(root));
  return json_node_get_object(root);
}

}  // namespace

GST_START_TEST(test_bit_reader) {
  /* 1 | 010 | 011 | 00100 | 00101 | 0000 0000 0000 0000 0000 0000 0000 0001 ... */
  const uint8_t bits[] = {0xa6, 0x42, 0x80};
  BitReader br(bits, sizeof bits);
  fail_unless_equals_int(br.ue(), 0);
  fail_unless_equals_int(br.ue(), 1);
  fail_unless_equals_int(br.ue(), 2);
  fail_unless_equals_int(br.ue(), 3);
  fail_unless_equals_int(br.se(), -2); /* 00101 = 4 -> -2 */
  fail_unless(br.ok());
  fail_unless_equals_int(br.u(8), 0);
  fail_unless(!br.ok(), "reading past the end must fail");

  const uint8_t se[] = {0x4c}; /* 010 011 00: 1 -> +1, 2 -> -1 */
  BitReader b2(se, 1);
  fail_unless_equals_int(b2.se(), 1);
  fail_unless_equals_int(b2.se(), -1);
  fail_unless(b2.ok());

  /* 32 zeros: no exp-Golomb code that long. */
  const uint8_t zeros[8] = {};
  BitReader b3(zeros, sizeof zeros);
  b3.ue();
  fail_unless(!b3.ok());
}
GST_END_TEST;

GST_START_TEST(test_rbsp) {
  const auto nal = from_hex("0000030100000300000302");
  const auto rbsp = nal_to_rbsp(nal.data(), nal.size());
  fail_unless(rbsp == from_hex("0000010000000002"), "emulation prevention bytes removed");
}
GST_END_TEST;

/* What a parsed SPS must say: profile, codec string, level, chroma_format_idc,
 * bit depth (luma and chroma), size, and frame rate (fps 0: no timing). */
struct SpsExpect {
  const char *profile, *codecs, *level;
  unsigned chroma, depth;
  int width, height, fps;
};

static void expect_sps(const VideoSps &s, const SpsExpect &e) {
  check_str(s.profile.c_str(), e.profile);
  check_str(s.codecs.c_str(), e.codecs);
  check_str(s.level.c_str(), e.level);
  fail_unless_equals_int(s.chroma_format_idc, e.chroma);
  fail_unless_equals_int(s.bit_depth_luma, e.depth);
  fail_unless_equals_int(s.bit_depth_chroma, e.depth);
  fail_unless_equals_int(s.width, e.width);
  fail_unless_equals_int(s.height, e.height);
  fail_unless(!s.interlaced);
  fail_unless_equals_int(s.fps_n, e.fps);
  fail_unless_equals_int(s.fps_d, e.fps ? 1 : 0);
}

GST_START_TEST(test_h264_fixtures) {
  /* Checked by hand, bit by bit, for kH264I420: profile_idc 100, flags 0,
   * level 30, chroma_format_idc 1, 40x23 macroblocks, frame_mbs_only,
   * bottom crop 4 (x2 lines): 640x368 - 8 = 640x360; VUI time_scale 60,
   * num_units_in_tick 1: 30 fps. */
  expect_sps(h264(kH264I420), {"High", "avc1.64001E", "3", 1, 8, 640, 360, 30});
  /* 4:4:4 crops in units of 1 line. */
  expect_sps(h264(kH264Y444), {"High 4:4:4 Predictive", "avc1.F4001E", "3", 3, 8, 640, 360, 30});
  expect_sps(h264(kH264Y42B), {"High 4:2:2", "avc1.7A001E", "3", 2, 8, 640, 360, 30});
  expect_sps(h264(kH264I420_10), {"High 10", "avc1.6E001E", "3", 1, 10, 640, 360, 30});
  /* Hand-made Constrained Baseline, level 3.1, no VUI: 66 / 0xC0 / 31,
   * sps_id 0, log2_max_frame_num 0, poc type 2, 1 ref, 20x15 MBs =
   * 320x240, frame_mbs_only, no cropping, no VUI.
   * bits: 1 1 011 010 0 000010100 0001111 1 1 0 0 1(stop) */
  expect_sps(h264("6742c01fda0507e4"), {"Constrained Baseline", "avc1.42C01F", "3.1", 1, 8, 320, 240, 0});
}
GST_END_TEST;

GST_START_TEST(test_h264_profile_names) {
  check_str(h264_profile_name(66, 0x00).c_str(), "Baseline");
  check_str(h264_profile_name(66, 0x40).c_str(), "Constrained Baseline");
  check_str(h264_profile_name(77, 0x00).c_str(), "Main");
  check_str(h264_profile_name(88, 0x00).c_str(), "Extended");
  check_str(h264_profile_name(100, 0x00).c_str(), "High");
  check_str(h264_profile_name(110, 0x00).c_str(), "High 10");
  check_str(h264_profile_name(110, 0x10).c_str(), "High 10 Intra");
  check_str(h264_profile_name(122, 0x10).c_str(), "High 4:2:2 Intra");
  check_str(h264_profile_name(244, 0x00).c_str(), "High 4:4:4 Predictive");
  check_str(h264_profile_name(244, 0x10).c_str(), "High 4:4:4 Intra");
  check_str(h264_profile_name(44, 0x00).c_str(), "CAVLC 4:4:4 Intra");
}
GST_END_TEST;

GST_START_TEST(test_h265_fixtures) {
  /* kH265I420 checked by hand: profile_space 0, tier Main, profile_idc 1,
   * compatibility flags 1 and 2 (0x60000000, reversed 0x6), constraint
   * bytes 90 00 00 00 00 00 (progressive, frame only), level_idc 63. */
  expect_sps(h265(kH265I420), {"Main", "hvc1.1.6.L63.90", "2.1", 1, 8, 640, 360, 30});
  /* RExt: profile_idc 4, compat flag 4; constraints 9E 08: max 12/10/8
   * bit, not max 4:2:2 or 4:2:0: 8-bit 4:4:4; lower bit rate. */
  expect_sps(h265(kH265Y444), {"Main 4:4:4", "hvc1.4.10.L63.9E.08", "2.1", 3, 8, 640, 360, 30});
  expect_sps(h265(kH265I422_10), {"Main 4:2:2 10", "hvc1.4.10.L63.9D.08", "2.1", 2, 10, 640, 360, 30});
}
GST_END_TEST;

GST_START_TEST(test_truncated_sps) {
  /* Every prefix either fails or gives the same essentials: nothing is
   * read past the end (ASan checks the reads). */
  for (const char *hex : {kH264I420, kH264Y444, kH265I420, kH265Y444}) {
    const auto full = from_hex(hex);
    const bool is_h264 = (full[0] & 0x1f) == 7;
    VideoSps ref;
    fail_unless(is_h264 ? parse_h264_sps(full.data(), full.size(), &ref)
                        : parse_h265_sps(full.data(), full.size(), &ref));
    for (size_t n = 0; n < full.size(); n++) {
      std::vector<uint8_t> cut(full.begin(), full.begin() + n);
      VideoSps s;
      const bool ok = is_h264 ? parse_h264_sps(cut.data(), cut.size(), &s) : parse_h265_sps(cut.data(), cut.size(), &s);
      if (ok) {
        fail_unless_equals_int(s.width, ref.width);
        fail_unless_equals_int(s.height, ref.height);
        check_str(s.codecs.c_str(), ref.codecs.c_str());
      }
    }
  }
  /* Random bytes after a valid header byte. */
  std::mt19937 rng(12);
  for (int i = 0; i < 20000; i++) {
    std::vector<uint8_t> b(1 + rng() % 64);
    for (auto &x : b)
      x = static_cast<uint8_t>(rng());
    b[0] = i & 1 ? 0x67 : 0x42;
    VideoSps s;
    if ((i & 1) ? parse_h264_sps(b.data(), b.size(), &s) : parse_h265_sps(b.data(), b.size(), &s)) {
      fail_unless(s.width > 0 && s.width <= 65535 && s.height > 0 && s.height <= 65535);
      fail_unless(s.chroma_format_idc <= 3);
    }
  }
}
GST_END_TEST;

GST_START_TEST(test_adts) {
  /* FFF1 (MPEG-4, no CRC) 50 = LC (profile 1), 48 kHz (index 3); 80 =
   * channel configuration 2; frame length 0x100. */
  const uint8_t lc[] = {0xff, 0xf1, 0x4c, 0x80, 0x20, 0x1f, 0xfc};
  AudioInfo a;
  fail_unless(parse_adts(lc, sizeof lc, &a));
  check_str(a.codecs.c_str(), "mp4a.40.2");
  fail_unless_equals_int(a.sample_rate, 48000);
  fail_unless_equals_int(a.channels, 2);
  /* 44.1 kHz (4), mono, Main profile (0). */
  const uint8_t main[] = {0xff, 0xf9, 0x10, 0x40, 0x20, 0x1f, 0xfc};
  fail_unless(parse_adts(main, sizeof main, &a));
  check_str(a.codecs.c_str(), "mp4a.40.1");
  fail_unless_equals_int(a.sample_rate, 44100);
  fail_unless_equals_int(a.channels, 1);
  /* Not ADTS: layer bits set, bad rate index, short. */
  const uint8_t layer[] = {0xff, 0xf3, 0x4c, 0x80, 0x20, 0x1f, 0xfc};
  fail_if(parse_adts(layer, sizeof layer, &a));
  const uint8_t rate[] = {0xff, 0xf1, 0x7c, 0x80, 0x20, 0x1f, 0xfc};
  fail_if(parse_adts(rate, sizeof rate, &a));
  fail_if(parse_adts(lc, 6, &a));
}
GST_END_TEST;

GST_START_TEST(test_json_fields) {
  StreamInfo info;
  fail_unless(info.json_fields().empty());
  info.video.codec = "h264";
  /* Video known from the PMT only: no browser_safe yet. */
  check_str(info.json_fields().c_str(), "\"video\":{\"codec\":\"h264\"}");
  info.video.have_sps = true;
  info.video.sps = h264(kH264I420);
  info.audio.codec = "aac";
  info.audio.codecs = "mp4a.40.2";
  info.audio.sample_rate = 48000;
  info.audio.channels = 2;
  const std::string expected =
      "\"codecs\":\"avc1.64001E,mp4a.40.2\",\"video\":{\"codec\":\"h264\",\"codecs\":\"avc1.64001E\","
      "\"profile\":\"High\",\"level\":\"3\",\"chroma_format\":\"4:2:0\",\"bit_depth\":8,\"width\":640,"
      "\"height\":360,\"fps\":30,\"interlaced\":false,\"browser_safe\":true},\"audio\":{\"codec\":\"aac\","
      "\"codecs\":\"mp4a.40.2\",\"sample_rate\":48000,\"channels\":2}";
  check_str(info.json_fields().c_str(), expected.c_str());
  fail_unless(info.browser_warning().empty());
  check_str(info.description().c_str(),
            "H.264 High (avc1.64001E), level 3, 4:2:0, 8-bit, 640x360, 30 fps; audio AAC "
            "(mp4a.40.2), 48000 Hz, 2 channels");

  /* The whole stream event is valid JSON with the fields in it. */
  JsonParser *parser = json_parser_new();
  JsonObject *o = parse_object(parser, stream_event_json("video/mpegts", 7, "/s", info.json_fields()));
  fail_unless_equals_int(json_object_get_int_member(o, "protocol"), 1);
  fail_unless_equals_int(json_object_get_int_member(o, "epoch"), 7);
  check_str(json_object_get_string_member(o, "codecs"), "avc1.64001E,mp4a.40.2");
  JsonObject *v = json_object_get_object_member(o, "video");
  fail_unless(json_object_get_boolean_member(v, "browser_safe"));
  fail_unless_equals_int(json_object_get_int_member(v, "width"), 640);
  g_object_unref(parser);

  /* 29.97 fps; 4:4:4 is not browser-safe and gets a warning with the fix. */
  info.video.sps = h264(kH264Y444);
  info.video.sps.fps_n = 30000;
  info.video.sps.fps_d = 1001;
  check_str(info.fps_string().c_str(), "29.97");
  fail_if(info.video.browser_safe());
  const std::string w = info.browser_warning();
  fail_unless(w.find("High 4:4:4 Predictive") != std::string::npos, "%s", w.c_str());
  fail_unless(w.find("avc1.F4001E") != std::string::npos, "%s", w.c_str());
  fail_unless(w.find("video/x-raw,format=I420") != std::string::npos, "%s", w.c_str());
  fail_unless(info.json_fields().find("\"browser_safe\":false") != std::string::npos);

  /* Interlaced 4:2:0 8-bit: not safe; the fix is to deinterlace. */
  info.video.sps = h264(kH264I420);
  info.video.sps.interlaced = true;
  fail_if(info.video.browser_safe());
  fail_unless(info.browser_warning().find("progressive") != std::string::npos);
  fail_unless(info.browser_warning().find("format=I420") == std::string::npos);

  /* Video browsers do not decode at all: known unsafe from the PMT alone. */
  StreamInfo mpeg2;
  mpeg2.video.codec = "mpeg2";
  check_str(mpeg2.json_fields(), "\"video\":{\"codec\":\"mpeg2\",\"browser_safe\":false}");
  fail_unless(mpeg2.browser_warning().find("x264enc") != std::string::npos, "%s", mpeg2.browser_warning().c_str());
  fail_unless(mpeg2.codecs().empty());

  /* Description keeps the comma-free JSON safe for odd profile names. */
  StreamDescription d;
  fail_unless(d.set_caps("video/mpegts"));
  fail_if(d.set_caps("video/mpegts"));
  fail_unless(d.set_fields(info.json_fields()));
  fail_if(d.set_fields(info.json_fields()));
  parser = json_parser_new();
  parse_object(parser, d.json(1, "/stream"));
  g_object_unref(parser);
}
GST_END_TEST;

/* A stream made at test time: what the probe finds matches what ffprobe
 * says of the same bytes. */
static void check_h264_stream(const char *fixture, const char *profile, const char *codecs_prefix, bool safe) {
  const auto ts = ts_fixture(fixture);
  StreamProbe probe;
  const int changes = probe_all(ts, probe);
  fail_unless_equals_int(changes, 1); /* at the first key chunk, then never again */
  const StreamInfo &info = probe.info();
  check_str(info.video.codec.c_str(), "h264");
  fail_unless(info.video.have_sps);
  check_str(info.video.sps.profile.c_str(), profile);
  fail_unless(info.video.sps.codecs.rfind(codecs_prefix, 0) == 0, "%s", info.video.sps.codecs.c_str());
  fail_unless_equals_int(info.video.sps.width, 640);
  fail_unless_equals_int(info.video.sps.height, 360);
  check_str(info.fps_string().c_str(), "30");
  fail_unless(info.video.browser_safe() == safe);
  fail_unless(info.audio.codec.empty());
  check_str(ffprobe_video(ts).c_str(), (std::string(profile) + "|" + pix_fmt_of(info.video)).c_str());
  check_str(probe.json_fields().c_str(), info.json_fields().c_str());
}

GST_START_TEST(test_probe_x264) {
  check_h264_stream("h264_360p", "High", "avc1.6400", true);
  check_h264_stream("h264_444_360p", "High 4:4:4 Predictive", "avc1.F400", false);
  check_h264_stream("h264_422_360p", "High 4:2:2", "avc1.7A00", false);
  check_h264_stream("h264_10_360p", "High 10", "avc1.6E00", false);

  /* The player's 1080p fixture: 1080 is not a multiple of 16, so the SPS
   * crops the coded 1088 lines. */
  const auto large = ts_fixture("large");
  StreamProbe probe;
  probe_all(large, probe);
  const VideoInfo &v = probe.info().video;
  check_str(v.codec.c_str(), "h264");
  fail_unless_equals_int(v.sps.width, 1920);
  fail_unless_equals_int(v.sps.height, 1080);
  check_str(ffprobe_video(large).c_str(), (v.sps.profile + "|" + pix_fmt_of(v)).c_str());
}
GST_END_TEST;

GST_START_TEST(test_probe_x264_baseline_interlaced) {
  auto ts = ts_fixture("h264_baseline_360p");
  StreamProbe probe;
  probe_all(ts, probe);
  check_str(probe.info().video.sps.profile.c_str(), "Constrained Baseline");
  fail_unless(probe.info().video.sps.codecs.rfind("avc1.42C0", 0) == 0, "%s", probe.info().video.sps.codecs.c_str());
  fail_unless(probe.info().video.browser_safe());

  ts = ts_fixture("h264_interlaced_360p");
  StreamProbe p2;
  probe_all(ts, p2);
  fail_unless(p2.info().video.sps.interlaced);
  fail_unless_equals_int(p2.info().video.sps.height, 360);
  fail_if(p2.info().video.browser_safe());
}
GST_END_TEST;

GST_START_TEST(test_probe_x265) {
  auto ts = ts_fixture("h265_360p");
  StreamProbe probe;
  /* At the first key chunk; then at the second, which has no VPS/SPS/PPS
   * (test_probe_parameter_sets). */
  fail_unless_equals_int(probe_all(ts, probe), 2);
  const VideoInfo &v = probe.info().video;
  check_str(v.codec.c_str(), "h265");
  check_str(v.sps.profile.c_str(), "Main");
  fail_unless(v.sps.codecs.rfind("hvc1.1.6.L", 0) == 0, "%s", v.sps.codecs.c_str());
  fail_unless_equals_int(v.sps.width, 640);
  fail_unless_equals_int(v.sps.height, 360);
  fail_unless(v.browser_safe());
  check_str(ffprobe_video(ts).c_str(), "Main|yuv420p");

  ts = ts_fixture("h265_444_360p");
  StreamProbe p2;
  probe_all(ts, p2);
  check_str(p2.info().video.sps.profile.c_str(), "Main 4:4:4");
  fail_unless(p2.info().video.sps.codecs.rfind("hvc1.4.10.L", 0) == 0, "%s", p2.info().video.sps.codecs.c_str());
  fail_if(p2.info().video.browser_safe());
  check_str(ffprobe_video(ts).c_str(), "Rext|yuv444p");
}
GST_END_TEST;

namespace {

/* The chunks ssesink makes of @ts. */
std::vector<TsChunk> chunks_of(const std::vector<uint8_t> &ts) {
  TsChunker chunker;
  std::vector<TsChunk> chunks;
  chunker.push(ts.data(), ts.size(), chunks);
  chunker.flush(chunks);
  return chunks;
}

/* Turns the NAL units with header byte @from in the key chunks after the
 * first into @to (filler data), as an encoder that sends a parameter set
 * once would have left them: byte for byte the same stream otherwise. */
void drop_from_later_keys(std::vector<TsChunk> &chunks, uint8_t from, uint8_t to) {
  int keys = 0, dropped = 0;
  for (auto &c : chunks) {
    if (!c.key || keys++ == 0)
      continue;
    for (size_t i = 0; i + 4 <= c.data.size(); i++)
      if (c.data[i] == 0 && c.data[i + 1] == 0 && c.data[i + 2] == 1 && c.data[i + 3] == from) {
        c.data[i + 3] = to;
        dropped++;
      }
  }
  fail_unless(dropped >= 2, "%d NAL units %02x dropped", dropped, from);
}

/* Feeds @chunks to a new probe; returns the names of the missing
 * parameter sets, and checks that there were at least 3 key chunks (so a
 * later key frame was looked at), the number of changes, and that the
 * flag never changed the JSON of the stream event. */
std::string missing_sets(const std::vector<TsChunk> &chunks, int expect_changes, StreamInfo *info_out = nullptr) {
  StreamProbe probe;
  int keys = 0, changes = 0;
  for (const auto &c : chunks) {
    keys += c.key;
    changes += probe.feed(c.data.data(), c.data.size(), c.key);
  }
  fail_unless(keys >= 3, "%d key chunks", keys);
  const StreamInfo &info = probe.info();
  fail_unless(changes == expect_changes, "%d changes; %s", changes, info.description().c_str());
  fail_unless(info.json_fields().find("arameter") == std::string::npos, "%s", info.json_fields().c_str());
  fail_unless((info.video.missing_parameter_sets != 0) == !info.parameter_sets_warning().empty());
  if (info_out)
    *info_out = info;
  return info.video.missing_parameter_set_names();
}

}  // namespace

GST_START_TEST(test_probe_parameter_sets) {
  StreamInfo info;
  /* x265enc writes VPS/SPS/PPS before the first frame only. */
  auto chunks = chunks_of(ts_fixture("h265_once_240p"));
  check_str(missing_sets(chunks, 2, &info), "VPS/SPS/PPS");
  fail_unless(info.video.have_sps);
  check_str(info.parameter_sets_warning(),
            "Key frames of the H.265 stream carry no VPS/SPS/PPS after the first one: viewers who join later cannot "
            "decode it. Put h265parse config-interval=-1 after the encoder.");
  fail_unless(info.description().find(", key frames without VPS/SPS/PPS") != std::string::npos, "%s",
              info.description().c_str());
  /* The same key chunks again: the flag is set already, no change. */
  {
    StreamProbe again;
    for (const auto &c : chunks)
      again.feed(c.data.data(), c.data.size(), c.key);
    for (const auto &c : chunks)
      fail_if(again.feed(c.data.data(), c.data.size(), c.key));
  }
  /* h265parse config-interval=-1 puts them in front of every IRAP frame;
   * with only the later PPS (NAL type 34) made filler (38): "PPS". */
  chunks = chunks_of(ts_fixture("h265_parsed_240p"));
  check_str(missing_sets(chunks, 1), "");
  drop_from_later_keys(chunks, 34 << 1, 38 << 1);
  check_str(missing_sets(chunks, 2), "PPS");

  /* x264enc repeats SPS/PPS at every IDR by itself. The same stream with
   * the later ones made filler (NAL type 12), as an encoder or camera that
   * sends them once writes it: flagged, and the fix is h264parse. */
  chunks = chunks_of(ts_fixture("h264_240p"));
  check_str(missing_sets(chunks, 1), "");
  drop_from_later_keys(chunks, 0x67, 0x6c);
  drop_from_later_keys(chunks, 0x68, 0x6c);
  check_str(missing_sets(chunks, 2, &info), "SPS/PPS");
  check_str(info.parameter_sets_warning(),
            "Key frames of the H.264 stream carry no SPS/PPS after the first one: viewers who join later cannot "
            "decode it. Put h264parse config-interval=-1 after the encoder.");

  /* A probe that starts at a later key frame takes it as its first: the
   * flag comes with the key frame after that one. */
  StreamProbe late;
  int keys = 0;
  for (const auto &c : chunks) {
    keys += c.key;
    if (keys < 2)
      continue;
    late.feed(c.data.data(), c.data.size(), c.key);
    if (keys == 2)
      fail_unless_equals_int(late.info().video.missing_parameter_sets, 0);
  }
  fail_unless(keys >= 3);
  check_str(late.info().video.missing_parameter_set_names(), "SPS/PPS");

  /* Told not to repeat them, x264enc writes none in band at all: no SPS
   * for the stream event, and the warning does not speak of a first one. */
  chunks = chunks_of(ts_fixture("h264_no_headers_240p"));
  check_str(missing_sets(chunks, 2, &info), "SPS/PPS");
  fail_if(info.video.have_sps);
  check_str(info.parameter_sets_warning(),
            "Key frames of the H.264 stream carry no SPS/PPS: viewers cannot decode it. Put h264parse "
            "config-interval=-1 after the encoder.");
}
GST_END_TEST;

GST_START_TEST(test_probe_aac) {
  const auto ts = ts_fixture("h264_aac_360p");
  StreamProbe probe;
  const int changes = probe_all(ts, probe);
  fail_unless(changes >= 1 && changes <= 2, "%d changes", changes); /* audio may be found after the video */
  const StreamInfo &info = probe.info();
  check_str(info.audio.codec.c_str(), "aac");
  check_str(info.audio.codecs.c_str(), "mp4a.40.2");
  fail_unless_equals_int(info.audio.sample_rate, 48000);
  fail_unless_equals_int(info.audio.channels, 2);
  fail_unless(info.codecs().rfind("avc1.6400", 0) == 0 && info.codecs().find(",mp4a.40.2") != std::string::npos, "%s",
              info.codecs().c_str());

  /* The player's audio fixture: B-frames, and 44.1 kHz mono AAC. */
  const auto av = ts_fixture("av");
  StreamProbe p1;
  probe_all(av, p1);
  check_str(p1.info().audio.codecs.c_str(), "mp4a.40.2");
  fail_unless_equals_int(p1.info().audio.sample_rate, 44100);
  fail_unless_equals_int(p1.info().audio.channels, 1);
  check_str(p1.info().video.sps.profile.c_str(), "High");
  check_str(ffprobe_video(av).c_str(), "High|yuv420p");
  fail_unless(
      p1.info().codecs().rfind("avc1.6400", 0) == 0 && p1.info().codecs().find(",mp4a.40.2") != std::string::npos, "%s",
      p1.info().codecs().c_str());

  /* Audio only: every chunk is key; found once. */
  const auto audio = ts_fixture("aac");
  StreamProbe p2;
  fail_unless_equals_int(probe_all(audio, p2), 1);
  fail_unless(p2.info().video.codec.empty());
  check_str(p2.info().codecs().c_str(), "mp4a.40.2");
  fail_unless(p2.info().browser_warning().empty());
}
GST_END_TEST;

GST_START_TEST(test_probe_change) {
  /* A High stream, then a 4:4:4 one with a new SPS: changed again. */
  const auto a = ts_fixture("h264_360p");
  const auto b = ts_fixture("h264_444_360p");
  StreamProbe probe;
  std::vector<TsChunk> chunks;
  fail_unless_equals_int(probe_all(a, probe, &chunks), 1);
  /* The same key chunk again: no change. */
  for (const auto &c : chunks)
    if (c.key)
      fail_if(probe.feed(c.data.data(), c.data.size(), true));
  fail_unless_equals_int(probe_all(b, probe), 1);
  check_str(probe.info().video.sps.profile.c_str(), "High 4:4:4 Predictive");
  /* SPS in delta chunks is not looked at. */
  StreamProbe p2;
  for (const auto &c : chunks)
    if (!c.key)
      fail_if(p2.feed(c.data.data(), c.data.size(), false));
}
GST_END_TEST;

GST_START_TEST(test_probe_damaged) {
  const auto ts = ts_fixture("h264_aac_360p");
  std::vector<TsChunk> chunks;
  {
    StreamProbe ref;
    probe_all(ts, ref, &chunks);
  }
  std::mt19937 rng(7);
  for (int round = 0; round < 200; round++) {
    StreamProbe probe;
    for (auto c : chunks) {
      /* Flip bytes, cut the chunk anywhere: the probe must not read out of
       * bounds or crash (ASan builds check the former). */
      for (int k = 0; k < 8; k++)
        c.data[rng() % c.data.size()] = static_cast<uint8_t>(rng());
      const size_t n = rng() % (c.data.size() + 1);
      probe.feed(c.data.data(), n, rng() & 1);
      const std::string j = probe.info().json_fields();
      if (!j.empty()) {
        JsonParser *parser = json_parser_new();
        parse_object(parser, "{" + j + "}");
        g_object_unref(parser);
      }
    }
  }
}
GST_END_TEST;

static Suite *stream_info_suite(void) {
  Suite *s = suite_create("stream-info");
  TCase *tc = tcase_create("general");
  tcase_set_timeout(tc, 120);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_bit_reader);
  tcase_add_test(tc, test_rbsp);
  tcase_add_test(tc, test_h264_fixtures);
  tcase_add_test(tc, test_h264_profile_names);
  tcase_add_test(tc, test_h265_fixtures);
  tcase_add_test(tc, test_truncated_sps);
  tcase_add_test(tc, test_adts);
  tcase_add_test(tc, test_json_fields);
  tcase_add_test(tc, test_probe_x264);
  tcase_add_test(tc, test_probe_x264_baseline_interlaced);
  tcase_add_test(tc, test_probe_x265);
  tcase_add_test(tc, test_probe_parameter_sets);
  tcase_add_test(tc, test_probe_aac);
  tcase_add_test(tc, test_probe_change);
  tcase_add_test(tc, test_probe_damaged);
  return s;
}

GST_CHECK_MAIN(stream_info);
