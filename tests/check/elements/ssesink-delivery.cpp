/* Delivery tests for ssesink: Last-Event-ID resume and reset, slow clients
 * and recover policies, several streams on one server, keyframe requests.
 * Real pipelines, real clients over loopback, ffmpeg on what they got. */
#include <gio/gio.h>
#include <gst/check/gstcheck.h>

#include <algorithm>
#include <mutex>
#include <set>

#include "sse-client.h"
#include "test-helpers.h"

namespace {

/* The named events a client saw, by name. */
std::vector<SseEvent> named(const SseClient &c, const std::string &name) {
  std::vector<SseEvent> out;
  for (const auto &e : c.named())
    if (e.event == name)
      out.push_back(e);
  return out;
}

uint64_t rss_kib() {
  gchar *status = nullptr;
  uint64_t kib = 0;
  if (g_file_get_contents("/proc/self/status", &status, nullptr, nullptr)) {
    const char *p = strstr(status, "VmRSS:");
    if (p)
      kib = g_ascii_strtoull(p + 6, nullptr, 10);
  }
  g_free(status);
  return kib;
}

}  // namespace

GST_START_TEST(test_resume_is_gapless) {
  Pipe p = Pipe::video();
  p.play();
  SseClient always(p.port);
  auto all = read_media(always, 10);

  for (const bool use_query : {false, true}) {
    SseClient first(p.port);
    auto a = read_media(first, 15);
    const uint64_t last = a.back().seq;
    first.close();
    all = read_media(always, 10); /* events the first client missed */
    const std::string id = std::to_string(last);
    SseClient second(p.port, use_query ? "/stream?lastEventId=" + id : "/stream", "GET",
                     use_query ? std::vector<std::pair<std::string, std::string>>{}
                               : std::vector<std::pair<std::string, std::string>>{{"Last-Event-ID", id}});
    auto b = read_media(second, 30);
    fail_unless(named(second, "reset").empty(), "resume got a reset");
    fail_unless_equals_uint64(b[0].seq, last + 1);

    /* What the two connections got together equals what one client got. */
    auto more = read_media(always, 60);
    std::map<uint64_t, const MediaFields *> ref;
    for (auto &e : more)
      ref[e.seq] = &e;
    for (auto &e : all)
      ref[e.seq] = &e;
    std::vector<uint8_t> joined = concat(a), reference;
    for (auto &e : b)
      joined.insert(joined.end(), e.ts_bytes.begin(), e.ts_bytes.end());
    /* The reference: a third client resuming after the first client's
     * first event gets the same ids in one connection. */
    SseClient check(p.port, "/stream", "GET", {{"Last-Event-ID", std::to_string(a.front().seq)}});
    auto c = read_media(check, static_cast<int>(a.size() - 1 + b.size()));
    fail_unless(named(check, "reset").empty());
    fail_unless_equals_uint64(c.front().seq, a[1].seq);
    joined.erase(joined.begin(), joined.begin() + static_cast<std::ptrdiff_t>(a[0].ts_bytes.size()));
    reference = concat(c);
    fail_unless(joined == reference, "resumed stream differs from an uninterrupted one");
  }
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_bad_last_event_id_resets) {
  Pipe p = Pipe::video(30, "port=0 backlog-time=1000");
  p.play();
  SseClient watch(p.port);
  auto first = read_media(watch, 1);
  SseEvent stream_ev = watch.named().front();
  const uint64_t old = first[0].seq;
  read_media(watch, 75); /* 2.5 s: the first id is out of the 1 s backlog */
  const uint64_t now_seq = read_media(watch, 1)[0].seq;
  (void)stream_ev;

  const struct {
    std::string id;
    const char *reason;
  } cases[] = {
      {"abc", "malformed"},
      {"-5", "malformed"},
      {"12 34", "malformed"},
      {"99999999999999999999", "malformed"},
      {std::string(3000, '9'), "malformed"},
      {std::to_string(now_seq + 1000), "unknown"},
      {"5", "previous-run"},
      {std::to_string(old), "expired"},
  };
  for (const auto &tc : cases) {
    SseClient c(p.port, "/stream", "GET", {{"Last-Event-ID", tc.id}});
    fail_unless_equals_int(c.status(), 200);
    auto events = read_media(c, 35);
    auto resets = named(c, "reset");
    fail_unless_equals_int(resets.size(), 1);
    fail_unless(resets[0].data.find(std::string("\"reason\":\"") + tc.reason + "\"") != std::string::npos,
                "id %.30s: %s", tc.id.c_str(), resets[0].data.c_str());
    fail_unless(events[0].key, "id %.30s: join not at a key chunk", tc.id.c_str());
    expect_decodable(events);
  }
  /* The pipeline went on through all of it. */
  read_media(watch, 10);
  p.release();
}
GST_END_TEST;

/* HTTP/1.0 without Host: libsoup leaves the query in the path; the stream
 * still gets it (here a Last-Event-ID it cannot resume from). */
GST_START_TEST(test_http10_without_host_keeps_the_query) {
  Pipe p = Pipe::video(30, "port=0");
  p.play();
  GSocket *s = raw_client(p.port, "GET /stream?lastEventId=abc HTTP/1.0\r\n\r\n");
  std::string text;
  char buf[65536];
  g_socket_set_timeout(s, 10);
  while (text.find("event: reset") == std::string::npos ||
         text.find("\n\n", text.find("event: reset")) == std::string::npos) {
    const gssize n = g_socket_receive(s, buf, sizeof buf, nullptr, nullptr);
    fail_unless(n > 0, "the stream ended before its reset: %.200s", text.c_str());
    text.append(buf, static_cast<size_t>(n));
  }
  fail_unless(text.rfind("HTTP/1.0 200", 0) == 0, "%.80s", text.c_str());
  fail_unless(text.find("\"reason\":\"malformed\",\"lastEventId\":\"abc\"") != std::string::npos, "%.400s",
              text.c_str());
  g_object_unref(s);
  p.release();
}
GST_END_TEST;

/* A reader that pauses: soft limit reached, recovered to a key chunk, told
 * with a gap event, and what it then receives decodes. HTTP/1.0, so the
 * body is the event stream itself, with no chunked framing. */
GST_START_TEST(test_slow_reader_recovers_at_keyframe) {
  Pipe p(noisy_pipeline(15, "soft-max-client-bytes=100000 max-client-bytes=4000000 write-timeout=0"));
  Recorder rec;
  rec.attach(p.sink);
  p.play();

  GSocket *s = raw_client(p.port, "GET /stream HTTP/1.0\r\n\r\n");
  fail_unless(rec.wait([&] { return rec.added.size() == 1; }));
  const guint id = rec.added[0];

  SseClient normal(p.port);
  /* Not reading: wait until the server has dropped something for it. */
  guint64 dropped = 0;
  for (int i = 0; i < 600 && dropped == 0; i++) {
    read_media(normal, 1); /* paced by the stream, not by a sleep */
    GstStructure *st = nullptr;
    g_signal_emit_by_name(p.sink, "get-stats", id, &st);
    fail_unless(st != nullptr, "slow reader was disconnected instead of recovered");
    gst_structure_get_uint64(st, "events-dropped", &dropped);
    gst_structure_free(st);
  }
  fail_unless(dropped > 0);

  /* Now read everything for a while and parse the event stream. */
  std::string text;
  char buf[65536];
  g_socket_set_timeout(s, 5);
  while (text.find("event: gap") == std::string::npos || text.size() < text.find("event: gap") + 400000) {
    const gssize n = g_socket_receive(s, buf, sizeof buf, nullptr, nullptr);
    fail_unless(n > 0, "stream ended while reading");
    text.append(buf, static_cast<size_t>(n));
  }
  const size_t gap = text.find("event: gap");
  const size_t gap_end = text.find("\n\n", gap);
  std::vector<MediaFields> after;
  size_t pos = gap_end + 2;
  for (;;) {
    const size_t end = text.find("\n\n", pos);
    if (end == std::string::npos)
      break;
    const std::string block = text.substr(pos, end - pos);
    pos = end + 2;
    const size_t d = block.find("data: ");
    if (block.rfind("id: ", 0) != 0 || d == std::string::npos)
      continue;
    MediaFields f;
    std::string err;
    fail_unless(parse_media(block.substr(d + 6), &f, &err), "%s", err.c_str());
    after.push_back(std::move(f));
  }
  fail_unless(after.size() >= 10, "%zu events after the gap", after.size());
  fail_unless(after[0].key, "the event after the gap is not a key chunk");
  expect_decodable(after);
  read_media(normal, 30); /* the normal client never noticed */
  g_object_unref(s);
  p.release();
}
GST_END_TEST;

/* Clients that never read beside normal ones: the pipeline keeps real
 * time, normal clients get every event, the stalled ones are dropped as
 * slow, and memory stays under backlog + clients x hard limit. */
GST_START_TEST(test_stalled_clients_bounded) {
  const int kStalled = 20;
  const uint64_t hard = 1000000, backlog = 2000000;
  Pipe p(noisy_pipeline(30, "recover-policy=none write-timeout=2000 max-client-bytes=" + std::to_string(hard) +
                                " backlog-bytes=" + std::to_string(backlog)));
  Recorder rec;
  rec.attach(p.sink);
  p.play();
  SseClient normal(p.port);
  auto warm = read_media(normal, 30);
  const uint64_t rss_before = rss_kib();

  std::vector<GSocket *> stalled;
  for (int i = 0; i < kStalled; i++)
    stalled.push_back(raw_client(p.port, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"));
  uint64_t rss_peak = 0;
  std::vector<MediaFields> seen;
  while (!rec.wait([&] { return rec.removed.size() == size_t(kStalled); }, 0)) {
    auto e = read_media(normal, 1);
    fail_unless(e[0].seq == (seen.empty() ? warm.back().seq : seen.back().seq) + 1, "normal client lost an event");
    seen.push_back(std::move(e[0]));
    rss_peak = std::max(rss_peak, rss_kib());
    fail_unless(seen.size() < 30 * 60, "stalled clients never dropped");
  }
  for (auto &kv : rec.removed)
    fail_unless_equals_int(kv.second, 1); /* slow */
  /* Real time: encode timestamps advance with the media timestamps. */
  const double media_s = (seen.back().pts - seen.front().pts) / 1e9;
  const double wall_s = (seen.back().ts - seen.front().ts) / 1e6;
  fail_unless(wall_s < media_s * 1.25 + 0.2, "pipeline fell behind: %.2f s of media in %.2f s", media_s, wall_s);
  const uint64_t bound_kib = (backlog + kStalled * hard) / 1024 + 16 * 1024;
  GST_INFO("RSS before %" G_GUINT64_FORMAT " KiB, peak %" G_GUINT64_FORMAT " KiB, bound +%" G_GUINT64_FORMAT " KiB",
           rss_before, rss_peak, bound_kib);
#ifndef __SANITIZE_ADDRESS__ /* ASan's quarantine keeps freed memory */
  fail_unless(rss_peak < rss_before + bound_kib, "RSS grew by %" G_GUINT64_FORMAT " KiB", rss_peak - rss_before);
#endif
  for (auto *s : stalled)
    g_object_unref(s);
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_two_streams_share_a_port) {
  const int port = free_port();
  const std::string common = "address=127.0.0.1 port=" + std::to_string(port);
  Pipe a = Pipe::video(30, common + " path=/a");
  Pipe b = Pipe::video(30, common + " path=/b");
  a.play();
  b.play();
  {
    SseClient ca(port, "/a"), cb(port, "/b");
    read_media(ca, 5);
    read_media(cb, 5);
    std::string body;
    fail_unless_equals_int(http_get(port, "/", &body), 200);
    fail_unless(body.find("/a") != std::string::npos && body.find("/b") != std::string::npos, "%s", body.c_str());
  }
  /* Same path: the second fails with a clear error. */
  Pipe dup = Pipe::video(30, common + " path=/a");
  fail_unless(gst_element_set_state(dup.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  const std::string text = bus_error_text(dup.pipeline);
  fail_unless(text.find("/a") != std::string::npos && text.find("already") != std::string::npos, "%s", text.c_str());
  dup.release();

  /* Stopping one leaves the other serving. */
  a.release();
  {
    SseClient cb(port, "/b");
    read_media(cb, 5);
    SseClient ca(port, "/a");
    fail_unless_equals_int(ca.status(), 404);
  }
  b.release();
}
GST_END_TEST;

/* What the server logs about a client names the element whose stream it
 * is, so two elements on one port can be told apart in a debug log. */
struct LogLines {
  std::mutex m;
  std::vector<std::pair<GObject *, std::string>> lines; /* ssesink category only */

  static void on_log(GstDebugCategory *cat, GstDebugLevel, const gchar *, const gchar *, gint, GObject *object,
                     GstDebugMessage *message, gpointer data) {
    if (g_strcmp0(gst_debug_category_get_name(cat), "ssesink") != 0)
      return;
    auto *self = static_cast<LogLines *>(data);
    std::lock_guard<std::mutex> l(self->m);
    self->lines.emplace_back(object, gst_debug_message_get(message));
  }
  /* The objects of the lines that contain @text. */
  std::set<GObject *> objects_of(const std::string &text) {
    std::lock_guard<std::mutex> l(m);
    std::set<GObject *> out;
    for (const auto &line : lines)
      if (line.second.find(text) != std::string::npos)
        out.insert(line.first);
    return out;
  }
};

GST_START_TEST(test_log_lines_name_their_element) {
  LogLines logs;
  gst_debug_set_active(TRUE);
  gst_debug_set_threshold_for_name("ssesink", GST_LEVEL_INFO);
  gst_debug_add_log_function(LogLines::on_log, &logs, nullptr);

  const int port = free_port();
  GstElement *pipelines[2], *sinks[2];
  const char *names[2] = {"sink-a", "sink-b"}, *paths[2] = {"/a", "/b"};
  for (int i = 0; i < 2; i++) {
    const std::string desc =
        "videotestsrc is-live=true pattern=ball ! video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
        "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! mpegtsmux ! ssesink address=127.0.0.1 "
        "port=" +
        std::to_string(port) + " name=" + names[i] + " path=" + paths[i];
    pipelines[i] = gst_parse_launch(desc.c_str(), nullptr);
    fail_unless(pipelines[i] != nullptr);
    sinks[i] = gst_bin_get_by_name(GST_BIN(pipelines[i]), names[i]);
    fail_if(gst_element_set_state(pipelines[i], GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  }
  {
    SseClient ca(port, "/a"), cb(port, "/b");
    read_media(ca, 3);
    read_media(cb, 3);
  }
  for (int i = 0; i < 2; i++) {
    gst_element_set_state(pipelines[i], GST_STATE_NULL);
    gst_object_unref(pipelines[i]);
  }
  gst_debug_remove_log_function(LogLines::on_log);
  gst_debug_unset_threshold_for_name("ssesink");

  const auto connected_a = logs.objects_of("connected to /a");
  const auto connected_b = logs.objects_of("connected to /b");
  fail_unless_equals_int(connected_a.size(), 1);
  fail_unless_equals_int(connected_b.size(), 1);
  fail_unless(*connected_a.begin() == G_OBJECT(sinks[0]), "the client of /a is logged as sink-a's");
  fail_unless(*connected_b.begin() == G_OBJECT(sinks[1]), "the client of /b is logged as sink-b's");
  /* Every line about a client, its removal included, names its element. */
  for (const char *text : {"client ", "removed"})
    for (GObject *o : logs.objects_of(text))
      fail_unless(o == G_OBJECT(sinks[0]) || o == G_OBJECT(sinks[1]), "a line with \"%s\" names no element", text);
  fail_unless(logs.objects_of("removed").size() == 2, "the clients of both elements were removed");
  for (GstElement *sink : sinks)
    gst_object_unref(sink);
}
GST_END_TEST;

GST_START_TEST(test_keyframe_request_on_join) {
  /* A 10 s GOP: without a request, a client sees one key chunk in 2 s. */
  for (const bool request : {false, true}) {
    Pipe p = Pipe::video(
        300, std::string("port=0 keyframe-request-interval=500 request-keyframe=") + (request ? "true" : "false"));
    p.play();
    SseClient first(p.port);
    read_media(first, 30); /* 1 s: past the rate limit of the first join's request */
    SseClient c(p.port);
    auto events = read_media(c, 60);
    int keys = 0;
    for (auto &e : events)
      keys += e.key;
    if (request)
      fail_unless(keys >= 2, "no key chunk came after the join (%d)", keys);
    else
      fail_unless_equals_int(keys, 1);
    p.release();
  }
}
GST_END_TEST;

static Suite *delivery_suite(void) {
  Suite *s = suite_create("ssesink-delivery");
  TCase *tc = tcase_create("general");
  tcase_set_timeout(tc, 180);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_resume_is_gapless);
  tcase_add_test(tc, test_bad_last_event_id_resets);
  tcase_add_test(tc, test_http10_without_host_keeps_the_query);
  tcase_add_test(tc, test_slow_reader_recovers_at_keyframe);
  tcase_add_test(tc, test_stalled_clients_bounded);
  tcase_add_test(tc, test_two_streams_share_a_port);
  tcase_add_test(tc, test_log_lines_name_their_element);
  tcase_add_test(tc, test_keyframe_request_on_join);
  return s;
}

GST_CHECK_MAIN(delivery);
