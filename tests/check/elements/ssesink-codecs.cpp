/* Element tests for what ssesink says about the stream it sends: the codec
 * fields of the `stream` event (for clients there from the start and for
 * clients joining later), the stream-info property and its notifications,
 * the one bus warning for video most browsers cannot decode, and the one
 * for key frames that come without their parameter sets. Real
 * encoders (x264enc, x265enc, voaacenc), the real element and server on
 * port 0, a real HTTP client. */
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>

#include <atomic>
#include <string>
#include <vector>

#include "sse-client.h"
#include "test-helpers.h"
#include "ts-fixtures.h"

namespace {

std::string live_video(const std::string &format, const std::string &encoder, const std::string &extra = "") {
  return "videotestsrc is-live=true pattern=ball ! video/x-raw,width=640,height=360,framerate=30/1,format=" + format +
         " ! " + encoder + " ! mpegtsmux name=mux ! ssesink name=sink port=0 " + extra;
}

const char *kX264 = "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=10";

/* A parsed stream event. */
struct StreamEvent {
  JsonParser *parser = json_parser_new();
  JsonObject *root = nullptr;
  explicit StreamEvent(const std::string &json) {
    GError *err = nullptr;
    fail_unless(json_parser_load_from_data(parser, json.c_str(), -1, &err), "%s: %s", json.c_str(),
                err ? err->message : "");
    root = json_node_get_object(json_parser_get_root(parser));
    fail_unless(root != nullptr, "%s", json.c_str());
  }
  ~StreamEvent() { g_object_unref(parser); }
  StreamEvent(const StreamEvent &) = delete;
  StreamEvent &operator=(const StreamEvent &) = delete;
  std::string str(const char *member) const {
    return json_object_has_member(root, member) ? json_object_get_string_member(root, member) : "";
  }
  JsonObject *video() const {
    return json_object_has_member(root, "video") ? json_object_get_object_member(root, "video") : nullptr;
  }
  JsonObject *audio() const {
    return json_object_has_member(root, "audio") ? json_object_get_object_member(root, "audio") : nullptr;
  }
};

std::string member_str(JsonObject *o, const char *m) {
  fail_unless(o && json_object_has_member(o, m), "no %s", m);
  return json_object_get_string_member(o, m);
}

gint64 member_int(JsonObject *o, const char *m) {
  fail_unless(o && json_object_has_member(o, m), "no %s", m);
  return json_object_get_int_member(o, m);
}

bool member_bool(JsonObject *o, const char *m) {
  fail_unless(o && json_object_has_member(o, m), "no %s", m);
  return json_object_get_boolean_member(o, m);
}

/* Reads events until @keys key media events have come; returns the data of
 * the stream event in force at the first key event (the last one before
 * it), and in @all every stream event's data. */
std::string stream_at_first_key(SseClient &c, int keys, std::vector<std::string> *all = nullptr) {
  std::string current, at_key;
  int seen = 0;
  SseEvent ev;
  while (seen < keys) {
    fail_unless(c.next(&ev), "stream ended: %s", c.error().c_str());
    if (ev.event == "stream") {
      current = ev.data;
      if (all)
        all->push_back(ev.data);
      continue;
    }
    if (!ev.event.empty() || ev.data.empty())
      continue;
    MediaFields f;
    std::string err;
    fail_unless(parse_media(ev.data, &f, &err), "%s", err.c_str());
    if (f.key && seen++ == 0)
      at_key = current;
  }
  return at_key;
}

/* Warnings the sink posted so far, popped from the bus; with @wait_first,
 * waits up to 10 s for the first. */
std::vector<std::string> sink_warnings(GstElement *pipeline, GstElement *sink, bool wait_first = false) {
  std::vector<std::string> out;
  GstBus *bus = gst_element_get_bus(pipeline);
  while (GstMessage *m =
             gst_bus_timed_pop_filtered(bus, wait_first && out.empty() ? 10 * GST_SECOND : 0, GST_MESSAGE_WARNING)) {
    if (GST_MESSAGE_SRC(m) == GST_OBJECT(sink)) {
      GError *e = nullptr;
      gst_message_parse_warning(m, &e, nullptr);
      out.push_back(e->message);
      g_error_free(e);
    }
    gst_message_unref(m);
  }
  gst_object_unref(bus);
  return out;
}

GstStructure *stream_info(GstElement *sink) {
  GstStructure *s = nullptr;
  g_object_get(sink, "stream-info", &s, nullptr);
  return s;
}

void on_notify(GObject *, GParamSpec *, gpointer data) {
  static_cast<std::atomic<int> *>(data)->fetch_add(1);
}

}  // namespace

GST_START_TEST(test_h264_420_is_browser_safe) {
  Pipe p(live_video("I420", kX264));
  std::atomic<int> notifies{0};
  g_signal_connect(p.sink, "notify::stream-info", G_CALLBACK(on_notify), &notifies);
  fail_unless(gst_element_set_state(p.pipeline, GST_STATE_READY) != GST_STATE_CHANGE_FAILURE);
  fail_unless(stream_info(p.sink) == nullptr, "stream-info before any data");
  p.play();

  SseClient c(p.port);
  /* The description is there before the first key chunk's media event. */
  std::string json = stream_at_first_key(c, 3);
  {
    StreamEvent s(json);
    JsonObject *v = s.video();
    fail_unless(v != nullptr, "no video in %s", json.c_str());
    const std::string codecs = member_str(v, "codecs");
    fail_unless(codecs.rfind("avc1.42", 0) == 0 || codecs.rfind("avc1.4D", 0) == 0 || codecs.rfind("avc1.64", 0) == 0,
                "%s", codecs.c_str());
    fail_unless(s.str("codecs") == codecs, "%s", json.c_str());
    fail_unless(member_str(v, "codec") == "h264");
    fail_unless(member_str(v, "chroma_format") == "4:2:0");
    fail_unless_equals_int(member_int(v, "bit_depth"), 8);
    fail_unless_equals_int(member_int(v, "width"), 640);
    fail_unless_equals_int(member_int(v, "height"), 360);
    fail_unless_equals_int(member_int(v, "fps"), 30);
    fail_unless(!member_bool(v, "interlaced"));
    fail_unless(member_bool(v, "browser_safe"));
    fail_unless(s.audio() == nullptr, "%s", json.c_str());
    fail_unless_equals_int(member_int(s.root, "protocol"), 1);
  }

  /* A client joining now gets the fields in its prelude. */
  SseClient late(p.port);
  SseEvent ev;
  fail_unless(late.next(&ev));
  fail_unless(ev.event == "stream", "%s", ev.event.c_str());
  fail_unless(ev.data == json, "prelude %s, not %s", ev.data.c_str(), json.c_str());

  GstStructure *st = stream_info(p.sink);
  fail_unless(st != nullptr);
  fail_unless_equals_string(gst_structure_get_string(st, "video-codec"), "h264");
  fail_unless_equals_string(gst_structure_get_string(st, "chroma-format"), "4:2:0");
  gboolean safe = FALSE, interlaced = TRUE;
  gint width = 0, height = 0, depth = 0, fn = 0, fd = 0;
  fail_unless(gst_structure_get_boolean(st, "browser-safe", &safe) && safe);
  fail_unless(gst_structure_get_boolean(st, "interlaced", &interlaced) && !interlaced);
  fail_unless(gst_structure_get_int(st, "width", &width) && width == 640);
  fail_unless(gst_structure_get_int(st, "height", &height) && height == 360);
  fail_unless(gst_structure_get_int(st, "bit-depth", &depth) && depth == 8);
  fail_unless(gst_structure_get_fraction(st, "framerate", &fn, &fd) && fn == 30 && fd == 1);
  fail_unless(g_str_has_prefix(gst_structure_get_string(st, "codecs"), "avc1."));
  fail_unless(gst_structure_get_string(st, "audio-codec") == nullptr);
  gst_structure_free(st);
  fail_unless_equals_int(notifies.load(), 1);

  fail_unless(sink_warnings(p.pipeline, p.sink).empty(), "a warning for 4:2:0 8-bit");
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_h264_444_warns_once) {
  Pipe p(live_video("Y444", kX264));
  p.play();
  SseClient c(p.port);
  const std::string json = stream_at_first_key(c, 1);
  auto warnings = sink_warnings(p.pipeline, p.sink, true);
  /* Three more key frames: still one warning. */
  stream_at_first_key(c, 3);
  StreamEvent s(json);
  JsonObject *v = s.video();
  fail_unless(member_str(v, "codecs").rfind("avc1.F4", 0) == 0, "%s", json.c_str());
  fail_unless(member_str(v, "profile") == "High 4:4:4 Predictive", "%s", json.c_str());
  fail_unless(member_str(v, "chroma_format") == "4:4:4");
  fail_unless(!member_bool(v, "browser_safe"));

  for (const auto &w : sink_warnings(p.pipeline, p.sink))
    warnings.push_back(w);
  fail_unless_equals_int(warnings.size(), 1);
  const std::string &w = warnings[0];
  fail_unless(w.find("format=I420") != std::string::npos, "%s", w.c_str());
  fail_unless(w.find("High 4:4:4 Predictive") != std::string::npos, "%s", w.c_str());
  fail_unless(w.find(member_str(v, "codecs")) != std::string::npos, "%s", w.c_str());

  GstStructure *st = stream_info(p.sink);
  gboolean safe = TRUE;
  fail_unless(gst_structure_get_boolean(st, "browser-safe", &safe) && !safe);
  fail_unless_equals_string(gst_structure_get_string(st, "profile"), "High 4:4:4 Predictive");
  gst_structure_free(st);
  p.release();
}
GST_END_TEST;

const char *kX265 = "x265enc tune=zerolatency speed-preset=ultrafast key-int-max=10";

GST_START_TEST(test_h265) {
  /* h265parse config-interval=-1: VPS/SPS/PPS in front of every key frame. */
  Pipe p(live_video("I420", std::string(kX265) + " ! h265parse config-interval=-1"));
  p.play();
  SseClient c(p.port);
  const std::string json = stream_at_first_key(c, 4);
  StreamEvent s(json);
  JsonObject *v = s.video();
  fail_unless(member_str(v, "codec") == "h265", "%s", json.c_str());
  fail_unless(member_str(v, "codecs").rfind("hvc1.1.6.L", 0) == 0, "%s", json.c_str());
  fail_unless(member_str(v, "profile") == "Main");
  fail_unless_equals_int(member_int(v, "width"), 640);
  fail_unless_equals_int(member_int(v, "height"), 360);
  fail_unless(member_bool(v, "browser_safe"));
  fail_unless(sink_warnings(p.pipeline, p.sink).empty());
  GstStructure *st = stream_info(p.sink);
  fail_unless(!gst_structure_has_field(st, "missing-parameter-sets"));
  gst_structure_free(st);
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_h265_key_frames_without_parameter_sets_warn_once) {
  /* x265enc alone writes VPS/SPS/PPS before its first frame only. */
  Pipe p(live_video("I420", kX265));
  std::atomic<int> notifies{0};
  g_signal_connect(p.sink, "notify::stream-info", G_CALLBACK(on_notify), &notifies);
  p.play();
  SseClient c(p.port);
  const std::string json = stream_at_first_key(c, 2);
  auto warnings = sink_warnings(p.pipeline, p.sink, true);
  /* Four more key frames: still one warning, and the stream event did not
   * change for it. */
  std::vector<std::string> later;
  stream_at_first_key(c, 4, &later);
  for (const auto &w : sink_warnings(p.pipeline, p.sink))
    warnings.push_back(w);
  fail_unless_equals_int(warnings.size(), 1);
  fail_unless_equals_string(warnings[0].c_str(),
                            "Key frames of the H.265 stream carry no VPS/SPS/PPS after the first one: viewers who join "
                            "later cannot decode it. Put h265parse config-interval=-1 after the encoder.");
  fail_unless(later.empty(), "stream event %s after %s", later.empty() ? "" : later[0].c_str(), json.c_str());
  StreamEvent s(json);
  fail_unless(member_bool(s.video(), "browser_safe"), "%s", json.c_str());

  GstStructure *st = stream_info(p.sink);
  fail_unless_equals_string(gst_structure_get_string(st, "missing-parameter-sets"), "VPS/SPS/PPS");
  fail_unless(g_str_has_suffix(gst_structure_get_string(st, "description"), ", key frames without VPS/SPS/PPS"));
  gst_structure_free(st);
  fail_unless_equals_int(notifies.load(), 2); /* the SPS, then the missing sets */
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_aac) {
  Pipe p(live_video("I420", kX264,
                    "audiotestsrc is-live=true ! audioconvert ! audio/x-raw,rate=48000,channels=2 ! voaacenc ! "
                    "aacparse ! mux."));
  p.play();
  SseClient c(p.port);
  /* The audio may be found a chunk after the video: read on until it is. */
  std::vector<std::string> all;
  stream_at_first_key(c, 3, &all);
  fail_unless(!all.empty());
  StreamEvent s(all.back());
  const std::string codecs = s.str("codecs");
  fail_unless(codecs.rfind("avc1.", 0) == 0 && codecs.find(",mp4a.40.2") != std::string::npos, "%s", codecs.c_str());
  JsonObject *a = s.audio();
  fail_unless(member_str(a, "codec") == "aac");
  fail_unless(member_str(a, "codecs") == "mp4a.40.2");
  fail_unless_equals_int(member_int(a, "sample_rate"), 48000);
  fail_unless_equals_int(member_int(a, "channels"), 2);
  /* Every stream event of the run has the same epoch. */
  for (const auto &j : all) {
    StreamEvent e(j);
    fail_unless_equals_int(member_int(e.root, "epoch"), member_int(s.root, "epoch"));
  }

  GstStructure *st = stream_info(p.sink);
  gint rate = 0, channels = 0;
  fail_unless_equals_string(gst_structure_get_string(st, "audio-codecs"), "mp4a.40.2");
  fail_unless(gst_structure_get_int(st, "rate", &rate) && rate == 48000);
  fail_unless(gst_structure_get_int(st, "channels", &channels) && channels == 2);
  gst_structure_free(st);
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_change_resends_stream_event) {
  /* 4:2:0, then 4:4:4, then both again, through one ssesink: a stream event
   * at each change, before the key chunk; one warning in all. */
  const auto a = ts_fixture("h264_gop5_240p"), b = ts_fixture("h264_444_gop5_240p");
  Pipe p(
      "appsrc name=src format=bytes caps=\"video/mpegts,systemstream=(boolean)true,packetsize=(int)188\" ! "
      "ssesink name=sink port=0");
  std::atomic<int> notifies{0};
  g_signal_connect(p.sink, "notify::stream-info", G_CALLBACK(on_notify), &notifies);
  p.play();
  SseClient c(p.port);
  GstElement *src = gst_bin_get_by_name(GST_BIN(p.pipeline), "src");
  for (const auto *ts : {&a, &b, &a, &b})
    for (size_t off = 0; off < ts->size(); off += 188 * 7) {
      const size_t n = std::min<size_t>(188 * 7, ts->size() - off);
      GstBuffer *buf = gst_buffer_new_memdup(ts->data() + off, n);
      fail_unless_equals_int(gst_app_src_push_buffer(GST_APP_SRC(src), buf), GST_FLOW_OK);
    }
  gst_app_src_end_of_stream(GST_APP_SRC(src));
  gst_object_unref(src);

  std::vector<std::string> codecs; /* of each stream event with fields */
  std::string epoch;
  bool expect_key = false;
  SseEvent ev;
  for (;;) {
    fail_unless(c.next(&ev), "%s", c.error().c_str());
    if (ev.event == "eos")
      break;
    if (ev.event == "stream") {
      StreamEvent s(ev.data);
      const std::string e = std::to_string(member_int(s.root, "epoch"));
      fail_unless(epoch.empty() || e == epoch, "epoch %s after %s", e.c_str(), epoch.c_str());
      epoch = e;
      if (!s.str("codecs").empty()) {
        codecs.push_back(s.str("codecs"));
        expect_key = true;
      }
      continue;
    }
    if (!ev.event.empty())
      continue;
    MediaFields f;
    std::string err;
    fail_unless(parse_media(ev.data, &f, &err));
    if (expect_key)
      fail_unless(f.key, "the stream event came after its key chunk");
    expect_key = false;
  }
  fail_unless_equals_int(codecs.size(), 4);
  fail_unless(codecs[0].rfind("avc1.64", 0) == 0, "%s", codecs[0].c_str());
  fail_unless(codecs[1].rfind("avc1.F4", 0) == 0, "%s", codecs[1].c_str());
  fail_unless(codecs[2] == codecs[0] && codecs[3] == codecs[1]);
  fail_unless_equals_int(notifies.load(), 4);
  const auto warnings = sink_warnings(p.pipeline, p.sink);
  fail_unless_equals_int(warnings.size(), 1);
  GstStructure *st = stream_info(p.sink);
  fail_unless_equals_string(gst_structure_get_string(st, "codecs"), codecs[3].c_str());
  gst_structure_free(st);
  p.release();
}
GST_END_TEST;

static Suite *ssesink_codecs_suite(void) {
  Suite *s = suite_create("ssesink-codecs");
  TCase *tc = tcase_create("general");
  tcase_set_timeout(tc, 120);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_h264_420_is_browser_safe);
  tcase_add_test(tc, test_h264_444_warns_once);
  tcase_add_test(tc, test_h265);
  tcase_add_test(tc, test_h265_key_frames_without_parameter_sets_warn_once);
  tcase_add_test(tc, test_aac);
  tcase_add_test(tc, test_change_resends_stream_event);
  return s;
}

GST_CHECK_MAIN(ssesink_codecs);
