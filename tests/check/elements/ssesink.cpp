/* Element tests for ssesink: real pipelines (videotestsrc ! x264enc !
 * mpegtsmux ! ssesink port=0), real HTTP clients over loopback (libsoup,
 * curl, raw sockets) and ffmpeg/ffprobe on what the clients received. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/check/gstcheck.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "sse-client.h"
#include "test-helpers.h"
#include "ts-fixtures.h"

GST_START_TEST(test_headers_and_protocol) {
  Pipe p = Pipe::video();
  p.play();
  SseClient c(p.port);
  fail_unless_equals_int(c.status(), 200);
  fail_unless(c.header("Content-Type") == "text/event-stream", "%s", c.header("Content-Type").c_str());
  fail_unless(c.header("Cache-Control") == "no-cache", "%s", c.header("Cache-Control").c_str());
  fail_unless(c.header("X-Accel-Buffering") == "no", "%s", c.header("X-Accel-Buffering").c_str());
  fail_unless(c.header("Access-Control-Allow-Origin").empty());

  SseEvent ev;
  fail_unless(c.next(&ev));
  fail_unless_equals_string(ev.retry.c_str(), "2000");
  fail_unless_equals_string(ev.event.c_str(), "stream");
  fail_unless(ev.data.find("\"protocol\":1") != std::string::npos, "%s", ev.data.c_str());
  fail_unless(ev.data.find("video/mpegts") != std::string::npos, "%s", ev.data.c_str());
  fail_unless(ev.data.find("streamheader") == std::string::npos, "%s", ev.data.c_str());

  auto events = read_media(c, 45);
  fail_unless(events[0].key, "first media event is not key");
  fail_unless_equals_int(pid_of(events[0].ts_bytes, 0), 0); /* PAT first */
  /* ts is the server's wall clock in microseconds. */
  const gint64 now = g_get_real_time();
  fail_unless(std::llabs(now - events.back().ts) < 10 * G_USEC_PER_SEC);
  /* About one event per frame: 30 fps -> PTS steps of 33.3 ms. */
  int frame_steps = 0;
  for (size_t i = 1; i < events.size(); i++) {
    fail_if(events[i].pts_null);
    const int64_t d = events[i].pts - events[i - 1].pts;
    if (d > 30000000 && d < 36000000)
      frame_steps++;
  }
  fail_unless(frame_steps >= 40, "only %d of 44 events one frame apart", frame_steps);
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_cors_header) {
  Pipe p = Pipe::video(30, "port=0 cors-origin=*");
  p.play();
  SseClient c(p.port);
  fail_unless(c.header("Access-Control-Allow-Origin") == "*", "%s", c.header("Access-Control-Allow-Origin").c_str());
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_mid_gop_join_decodes_and_clients_match) {
  Pipe p = Pipe::video(60);
  p.play();
  SseClient first(p.port);
  auto a = read_media(first, 20); /* now 20 events into a 60-frame GOP */
  fail_unless(a[0].key);

  SseClient late(p.port);
  auto b = read_media(late, 90);
  fail_unless(b[0].key, "late join did not start at a key chunk");
  fail_unless(b[0].seq <= a.back().seq + 2, "late join skipped ahead to the next GOP");
  fail_unless_equals_int(pid_of(b[0].ts_bytes, 0), 0);

  int status = 0;
  const std::string errors = ffmpeg_decode_errors(concat(b), &status);
  fail_unless(status == 0 && errors.empty(), "ffmpeg: status %d: %s", status, errors.c_str());
  const std::string types = ffprobe_pict_types(concat(b));
  fail_unless(types.size() >= 85, "decoded %zu frames", types.size());
  fail_unless(types[0] == 'I', "first frame is %c", types[0]);

  /* Byte-identical data for the same ids. */
  auto more = read_media(first, 90);
  a.insert(a.end(), more.begin(), more.end());
  std::map<uint64_t, const MediaFields *> by_seq;
  for (auto &e : a)
    by_seq[e.seq] = &e;
  int compared = 0;
  for (auto &e : b) {
    auto it = by_seq.find(e.seq);
    if (it == by_seq.end())
      continue;
    fail_unless(it->second->ts_bytes == e.ts_bytes, "event %" G_GUINT64_FORMAT " differs", e.seq);
    compared++;
  }
  fail_unless(compared >= 60, "only %d events in common", compared);
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_http_errors) {
  Pipe p = Pipe::video(30, "port=0 max-clients=1");
  p.play();
  {
    SseClient c(p.port, "/nope");
    fail_unless_equals_int(c.status(), 404);
    SseClient sub(p.port, "/stream/sub");
    fail_unless_equals_int(sub.status(), 404);
  }
  {
    SseClient c(p.port, "/stream", "POST");
    fail_unless_equals_int(c.status(), 405);
    fail_unless(c.header("Allow") == "GET, HEAD, OPTIONS", "%s", c.header("Allow").c_str());
  }
  {
    SseClient c(p.port, "/stream", "HEAD");
    fail_unless_equals_int(c.status(), 200);
    fail_unless(c.header("Content-Type") == "text/event-stream", "%s", c.header("Content-Type").c_str());
  }
  {
    SseClient one(p.port);
    fail_unless_equals_int(one.status(), 200);
    SseClient two(p.port);
    fail_unless_equals_int(two.status(), 503);
    fail_unless(two.header("Retry-After") == "2", "%s", two.header("Retry-After").c_str());
  }
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_busy_port) {
  GSocket *s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr);
  GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  GSocketAddress *sa = g_inet_socket_address_new(lo, 0);
  fail_unless(g_socket_bind(s, sa, TRUE, nullptr));
  fail_unless(g_socket_listen(s, nullptr));
  GSocketAddress *local = g_socket_get_local_address(s, nullptr);
  const int port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));

  Pipe p = Pipe::video(30, "address=127.0.0.1 port=" + std::to_string(port));
  fail_unless(gst_element_set_state(p.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  const std::string text = bus_error_text(p.pipeline);
  fail_unless(text.find(std::to_string(port)) != std::string::npos, "%s", text.c_str());
  fail_unless(text.find("127.0.0.1") != std::string::npos, "%s", text.c_str());
  fail_unless(text.find("in use") != std::string::npos, "%s", text.c_str());
  p.release();
  g_object_unref(local);
  g_object_unref(sa);
  g_object_unref(lo);
  g_object_unref(s);
}
GST_END_TEST;

GST_START_TEST(test_refuses_other_caps) {
  GstElement *src = gst_element_factory_make("audiotestsrc", nullptr);
  GstElement *sink = gst_element_factory_make("ssesink", nullptr);
  GstElement *bin = gst_pipeline_new(nullptr);
  gst_bin_add_many(GST_BIN(bin), src, sink, nullptr);
  fail_if(gst_element_link(src, sink));
  GstCaps *caps = gst_caps_from_string("video/mpegts, systemstream=(boolean)false");
  GstPad *pad = gst_element_get_static_pad(sink, "sink");
  fail_if(gst_pad_query_accept_caps(pad, caps));
  gst_caps_unref(caps);
  gst_object_unref(pad);
  gst_object_unref(bin);
}
GST_END_TEST;

GST_START_TEST(test_eos_ends_clients) {
  Pipe p(g_strdup_printf(
      "videotestsrc is-live=true num-buffers=75 ! video/x-raw,width=160,height=120,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! mpegtsmux ! ssesink name=sink port=0"));
  p.play();
  SseClient c(p.port);
  fail_unless_equals_int(c.status(), 200);
  SseEvent ev;
  int media = 0;
  bool got_eos = false;
  while (c.next(&ev)) {
    if (ev.event == "eos")
      got_eos = true;
    else if (ev.event.empty())
      media++;
  }
  fail_unless(got_eos, "no eos event (%d media events): %s", media, c.error().c_str());
  fail_unless(c.ended_cleanly(), "response did not end cleanly: %s", c.error().c_str());
  fail_unless(media > 0);
  /* A client arriving after EOS is told at once. */
  SseClient late(p.port);
  got_eos = false;
  while (late.next(&ev))
    got_eos = got_eos || ev.event == "eos";
  fail_unless(got_eos);
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_state_cycling_with_clients) {
  const int port = free_port();
  Pipe p = Pipe::video(30, "address=127.0.0.1 port=" + std::to_string(port));
  Recorder rec;
  rec.attach(p.sink);
  uint64_t last_seq = 0;
  for (int round = 0; round < 3; round++) {
    p.play();
    fail_unless_equals_int(p.port, port);
    SseClient c(port);
    fail_unless_equals_int(c.status(), 200);
    auto events = read_media(c, 5);
    fail_unless(events[0].seq > last_seq, "ids restarted below the previous run");
    last_seq = events.back().seq;
    fail_unless(rec.wait([&] { return rec.added.size() == size_t(round + 1); }));
    const guint id = rec.added.back();
    fail_unless(gst_element_set_state(p.pipeline, GST_STATE_NULL) == GST_STATE_CHANGE_SUCCESS);
    /* Removed before the state change returned, with reason shutdown. */
    {
      std::lock_guard<std::mutex> l(rec.m);
      fail_unless(rec.removed.count(id) == 1);
      fail_unless_equals_int(rec.removed[id], 3);
    }
    SseEvent ev;
    while (c.next(&ev)) {
    }
    int zero_port = -1;
    g_object_get(p.sink, "current-port", &zero_port, nullptr);
    fail_unless_equals_int(zero_port, 0);
  }
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_vanished_client_removed) {
  Pipe p = Pipe::video();
  Recorder rec;
  rec.attach(p.sink);
  p.play();
  SseClient stays(p.port);
  read_media(stays, 3);
  {
    SseClient goes(p.port);
    read_media(goes, 3);
    fail_unless(rec.wait([&] { return rec.added.size() == 2; }));
  }
  const guint gone = rec.added[1];
  fail_unless(rec.wait([&] { return rec.removed.count(gone) == 1; }), "vanished client not removed");
  fail_unless_equals_int(rec.removed[gone], 0); /* closed */
  guint n = 0;
  g_object_get(p.sink, "num-clients", &n, nullptr);
  fail_unless_equals_int(n, 1);
  read_media(stays, 30); /* the pipeline and the other client run on */
  guint64 served = 0;
  g_object_get(p.sink, "bytes-served", &served, nullptr);
  fail_unless(served > 0);
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_slow_client_dropped) {
  Pipe p(noisy_pipeline(30, "max-client-bytes=300000"));
  Recorder rec;
  rec.attach(p.sink);
  p.play();

  GSocket *slow = raw_client(p.port, "GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  fail_unless(rec.wait([&] { return rec.added.size() == 1; }));
  const guint slow_id = rec.added[0];

  SseClient normal(p.port);
  auto events = read_media(normal, 30); /* checks ids stay consecutive */
  fail_unless(rec.wait([&] { return rec.removed.count(slow_id) == 1; }, 60), "slow client never dropped");
  fail_unless_equals_int(rec.removed[slow_id], 1); /* slow */
  read_media(normal, 30);
  fail_unless(rec.removed.size() == 1);
  g_object_unref(slow);
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_get_stats) {
  Pipe p = Pipe::video();
  Recorder rec;
  rec.attach(p.sink);
  p.play();
  SseClient c(p.port);
  read_media(c, 10);
  fail_unless(rec.wait([&] { return rec.added.size() == 1; }));
  GstStructure *st = nullptr;
  g_signal_emit_by_name(p.sink, "get-stats", rec.added[0], &st);
  fail_unless(st != nullptr);
  guint64 bytes = 0, events = 0, connected = 0;
  fail_unless(gst_structure_get_uint64(st, "bytes-sent", &bytes));
  fail_unless(gst_structure_get_uint64(st, "events-sent", &events));
  fail_unless(gst_structure_get_uint64(st, "connected-time", &connected));
  fail_unless(bytes > 1000 && events >= 10 && connected > 0);
  fail_unless_equals_string(gst_structure_get_string(st, "remote-address"), "127.0.0.1");
  gst_structure_free(st);
  st = nullptr;
  g_signal_emit_by_name(p.sink, "get-stats", 9999u, &st);
  fail_unless(st == nullptr);
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_curl_client) {
  Pipe p = Pipe::video();
  p.play();
  const std::string url = "http://127.0.0.1:" + std::to_string(p.port) + "/stream";
  const gchar *argv[] = {"curl", "-sS", "-N", "-D", "-", "--max-time", "3", url.c_str(), nullptr};
  gchar *out = nullptr, *err = nullptr;
  gint status = 0;
  fail_unless(g_spawn_sync(nullptr, const_cast<gchar **>(argv), nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr, &out,
                           &err, &status, nullptr));
  const std::string o = out ? out : "";
  fail_unless(o.find("HTTP/1.1 200") == 0, "%s", o.substr(0, 200).c_str());
  fail_unless(o.find("text/event-stream") != std::string::npos);
  fail_unless(o.find("event: stream\ndata: {\"protocol\":1") != std::string::npos);
  fail_unless(o.find("\nid: ") != std::string::npos);
  fail_unless(o.find("\"key\":true") != std::string::npos);
  g_free(out);
  g_free(err);
  p.release();
}
GST_END_TEST;

/* TS that is not aligned to packets, carries no buffer flags and has junk
 * in it, as from tcpclientsrc: resynchronised, keyframes found in the TS. */
GST_START_TEST(test_unaligned_damaged_input) {
  const std::vector<uint8_t> ts = ts_fixture("ball");
  fail_unless(ts.size() > 188 * 100);

  Pipe p(
      "appsrc name=src format=time caps=\"video/mpegts,systemstream=(boolean)true,packetsize=(int)188\" ! "
      "ssesink name=sink port=0");
  GstElement *src = gst_bin_get_by_name(GST_BIN(p.pipeline), "src");
  p.play();
  SseClient c(p.port);
  fail_unless_equals_int(c.status(), 200);
  /* Junk between packets 50 and 51, then 1000-byte buffers. */
  std::vector<uint8_t> damaged(ts.begin(), ts.begin() + 50 * 188);
  const char junk[] = "\x47junk\x47\x00\x47garbage that is not TS";
  damaged.insert(damaged.end(), junk, junk + sizeof junk - 1);
  damaged.insert(damaged.end(), ts.begin() + 50 * 188, ts.end());
  for (size_t off = 0; off < damaged.size(); off += 1000) {
    const size_t n = std::min<size_t>(1000, damaged.size() - off);
    GstBuffer *b = gst_buffer_new_memdup(damaged.data() + off, n);
    fail_unless(gst_app_src_push_buffer(GST_APP_SRC(src), b) == GST_FLOW_OK);
  }
  gst_app_src_end_of_stream(GST_APP_SRC(src));

  std::vector<MediaFields> events;
  SseEvent ev;
  while (c.next(&ev)) {
    if (!ev.event.empty())
      continue;
    MediaFields f;
    std::string err;
    fail_unless(parse_media(ev.data, &f, &err), "%s", err.c_str());
    fail_unless(f.ts_bytes.size() % 188 == 0);
    events.push_back(std::move(f));
  }
  fail_unless(events.size() >= 85, "%zu events", events.size());
  fail_unless(events[0].key);
  int keys = 0;
  for (auto &e : events)
    keys += e.key;
  fail_unless_equals_int(keys, 3);
  int status = 0;
  const std::string errors = ffmpeg_decode_errors(concat(events), &status);
  fail_unless(status == 0 && errors.empty(), "ffmpeg: %s", errors.c_str());
  fail_unless_equals_int(ffprobe_pict_types(concat(events)).size(), 90);
  gst_object_unref(src);
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_player_served_at_root) {
  Pipe p = Pipe::video(30, "port=0 path=/cam");
  p.play();
  std::string body, type;
  fail_unless_equals_int(http_get(p.port, "/", &body, &type), 200);
  fail_unless(type == "text/html", "%s", type.c_str());
  fail_unless(body.find("<meta name=\"sse-src\" content=\"/cam\">") != std::string::npos, "%s",
              body.substr(0, 400).c_str());
  fail_unless_equals_int(http_get(p.port, "/src/main.js", &body, &type), 200);
  fail_unless(type == "text/javascript", "%s", type.c_str());
  for (const char *bad : {"/../etc/passwd", "/src/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/.gitignore",
                          "/src/..%2f..%2fetc%2fpasswd", "/nothing.js"}) {
    body.clear();
    const unsigned status = http_get(p.port, bad, &body);
    fail_unless(status == 404 || status == 400 || status == 0, "%s: %u", bad, status);
    fail_unless(body.find("root:") == std::string::npos, "%s leaked a file", bad);
  }
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_web_root_stays_inside) {
  gchar *dir = g_dir_make_tmp("ssesink-web-XXXXXX", nullptr);
  const std::string d = dir;
  g_file_set_contents((d + "/index.html").c_str(), "<html><head></head><body>mine</body></html>", -1, nullptr);
  g_file_set_contents((d + "/.secret").c_str(), "hidden", -1, nullptr);
  fail_unless(symlink("/etc/passwd", (d + "/leak").c_str()) == 0);
  Pipe p = Pipe::video(30, "port=0 web-root=" + d);
  p.play();
  std::string body;
  fail_unless_equals_int(http_get(p.port, "/", &body), 200);
  fail_unless(body.find("mine") != std::string::npos && body.find("sse-src") != std::string::npos);
  for (const char *bad : {"/leak", "/.secret", "/src/../../etc/passwd", "/src/main.js"}) {
    body.clear();
    fail_unless_equals_int(http_get(p.port, bad, &body), 404);
  }
  p.release();
  g_unlink((d + "/leak").c_str());
  g_unlink((d + "/.secret").c_str());
  g_unlink((d + "/index.html").c_str());
  g_rmdir(dir);
  g_free(dir);
}
GST_END_TEST;

static Suite *ssesink_suite(void) {
  Suite *s = suite_create("ssesink");
  TCase *tc = tcase_create("general");
  tcase_set_timeout(tc, 120);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_headers_and_protocol);
  tcase_add_test(tc, test_cors_header);
  tcase_add_test(tc, test_mid_gop_join_decodes_and_clients_match);
  tcase_add_test(tc, test_http_errors);
  tcase_add_test(tc, test_busy_port);
  tcase_add_test(tc, test_refuses_other_caps);
  tcase_add_test(tc, test_eos_ends_clients);
  tcase_add_test(tc, test_state_cycling_with_clients);
  tcase_add_test(tc, test_vanished_client_removed);
  tcase_add_test(tc, test_slow_client_dropped);
  tcase_add_test(tc, test_get_stats);
  tcase_add_test(tc, test_curl_client);
  tcase_add_test(tc, test_unaligned_damaged_input);
  tcase_add_test(tc, test_player_served_at_root);
  tcase_add_test(tc, test_web_root_stays_inside);
  return s;
}

GST_CHECK_MAIN(ssesink);
