/* Security and robustness tests for ssesink: tokens, Basic auth, CORS,
 * HTTPS, slowloris, per-address and header limits, hostile raw requests,
 * caps changes. The stream to well-behaved clients must be untouched. */
#include <gio/gio.h>
#include <gst/check/gstcheck.h>

#include <algorithm>

#include "sse-client.h"
#include "test-helpers.h"

namespace {

/* Sends @request on a raw socket and returns what comes back until the
 * server closes or @max bytes arrive; "" when the server closed at once. */
std::string raw_exchange(int port, const std::string &request, size_t max = 4096, unsigned timeout_s = 10) {
  GSocket *s = raw_client(port, "");
  g_socket_set_timeout(s, timeout_s);
  size_t off = 0;
  while (off < request.size()) {
    const gssize n = g_socket_send(s, request.data() + off, request.size() - off, nullptr, nullptr);
    if (n <= 0)
      break;
    off += static_cast<size_t>(n);
  }
  std::string got;
  char buf[4096];
  while (got.size() < max) {
    const gssize n = g_socket_receive(s, buf, sizeof buf, nullptr, nullptr);
    if (n <= 0)
      break;
    got.append(buf, static_cast<size_t>(n));
  }
  g_object_unref(s);
  return got;
}

std::string status_line(const std::string &response) {
  return response.substr(0, response.find("\r\n"));
}

}  // namespace

GST_START_TEST(test_token_access) {
  Pipe p = Pipe::video(30, "port=0 auth-token=s3cr3t-t0ken");
  p.play();
  {
    SseClient none(p.port);
    fail_unless_equals_int(none.status(), 401);
    fail_unless(none.header("WWW-Authenticate").find("Bearer") == 0);
    SseEvent ev;
    fail_if(none.next(&ev), "a 401 carried events");
  }
  for (const auto &path : {std::string("/stream?token=wrong"), std::string("/stream?token=s3cr3t-t0ke"),
                           std::string("/stream?token=s3cr3t-t0ken2")}) {
    SseClient bad(p.port, path);
    fail_unless_equals_int(bad.status(), 403);
  }
  {
    SseClient q(p.port, "/stream?token=s3cr3t-t0ken");
    fail_unless_equals_int(q.status(), 200);
    read_media(q, 3);
    SseClient cookie(p.port, "/stream", "GET", {{"Cookie", "theme=dark; sse_token=s3cr3t-t0ken"}});
    fail_unless_equals_int(cookie.status(), 200);
    read_media(cookie, 3);
    SseClient bearer(p.port, "/stream", "GET", {{"Authorization", "Bearer s3cr3t-t0ken"}});
    fail_unless_equals_int(bearer.status(), 200);
    read_media(bearer, 3);
  }
  /* Secrets are write-only. */
  gchar *tok = nullptr;
  g_object_get(p.sink, "auth-token", &tok, nullptr);
  fail_unless(tok == nullptr);
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_basic_auth) {
  Pipe p = Pipe::video(30, "port=0 basic-auth=viewer:pa55");
  p.play();
  SseClient none(p.port);
  fail_unless_equals_int(none.status(), 401);
  fail_unless(none.header("WWW-Authenticate").find("Basic") == 0, "%s", none.header("WWW-Authenticate").c_str());
  gchar *bad = g_base64_encode(reinterpret_cast<const guchar *>("viewer:wrong"), 12);
  gchar *good = g_base64_encode(reinterpret_cast<const guchar *>("viewer:pa55"), 11);
  SseClient wrong(p.port, "/stream", "GET", {{"Authorization", std::string("Basic ") + bad}});
  fail_unless_equals_int(wrong.status(), 403);
  SseClient garbage(p.port, "/stream", "GET", {{"Authorization", "Basic !!!not-base64"}});
  fail_unless_equals_int(garbage.status(), 401);
  SseClient right(p.port, "/stream", "GET", {{"Authorization", std::string("Basic ") + good}});
  fail_unless_equals_int(right.status(), 200);
  read_media(right, 3);
  g_free(bad);
  g_free(good);
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_cors_allow_list_and_preflight) {
  Pipe p = Pipe::video(30, "port=0 cors-origin=\"https://a.example, http://localhost:3000\"");
  p.play();
  {
    SseClient listed(p.port, "/stream", "GET", {{"Origin", "http://localhost:3000"}});
    fail_unless(listed.header("Access-Control-Allow-Origin") == "http://localhost:3000");
    fail_unless(listed.header("Access-Control-Allow-Credentials") == "true");
    fail_unless(listed.header("Vary").find("Origin") != std::string::npos);
    SseClient other(p.port, "/stream", "GET", {{"Origin", "https://evil.example"}});
    fail_unless(other.header("Access-Control-Allow-Origin").empty());
    fail_unless(other.header("Access-Control-Allow-Credentials").empty());
    fail_unless(other.header("Vary").find("Origin") != std::string::npos);
    SseClient pre(p.port, "/stream", "OPTIONS",
                  {{"Origin", "https://a.example"}, {"Access-Control-Request-Method", "GET"}});
    fail_unless_equals_int(pre.status(), 204);
    fail_unless(pre.header("Access-Control-Allow-Origin") == "https://a.example");
    fail_unless(pre.header("Access-Control-Allow-Headers").find("Last-Event-ID") != std::string::npos);
    fail_unless(pre.header("Access-Control-Allow-Methods").find("GET") != std::string::npos);
  }
  p.release();
  Pipe any = Pipe::video(30, "port=0 cors-origin=*");
  any.play();
  SseClient c(any.port, "/stream", "GET", {{"Origin", "https://x.example"}});
  fail_unless(c.header("Access-Control-Allow-Origin") == "*");
  fail_unless(c.header("Access-Control-Allow-Credentials").empty());
  any.release();
}
GST_END_TEST;

GST_START_TEST(test_https_with_curl) {
  gchar *dir = g_dir_make_tmp("ssesink-tls-XXXXXX", nullptr);
  const std::string d = dir;
  fail_unless(make_cert(d), "openssl could not make a certificate");
  Pipe p = Pipe::video(
      30, "port=0 address=127.0.0.1 tls-certificate-file=" + d + "/cert.pem tls-key-file=" + d + "/key.pem");
  p.play();
  const std::string url = "https://localhost:" + std::to_string(p.port) + "/stream";
  const std::string resolve = "localhost:" + std::to_string(p.port) + ":127.0.0.1";
  const std::string cacert = d + "/cert.pem";
  const gchar *argv[] = {"curl",      "-sS",           "-N",        "--max-time", "3", "--cacert", cacert.c_str(),
                         "--resolve", resolve.c_str(), url.c_str(), nullptr};
  gchar *out = nullptr, *err = nullptr;
  gint status = 0;
  fail_unless(g_spawn_sync(nullptr, const_cast<gchar **>(argv), nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr, &out,
                           &err, &status, nullptr));
  const std::string o = out ? out : "";
  fail_unless(o.find("event: stream") != std::string::npos, "curl: %s", err);
  fail_unless(o.find("\"key\":true") != std::string::npos);
  g_free(out);
  g_free(err);
  /* Plain HTTP on the TLS port gets no stream. */
  const std::string plain = raw_exchange(p.port, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n", 4096, 5);
  fail_unless(plain.find("event: stream") == std::string::npos);
  p.release();

  /* A missing certificate is a clear error naming the file. */
  Pipe bad = Pipe::video(30, "port=0 tls-certificate-file=" + d + "/missing.pem");
  fail_unless(gst_element_set_state(bad.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  const std::string text = bus_error_text(bad.pipeline);
  fail_unless(text.find("missing.pem") != std::string::npos, "%s", text.c_str());
  bad.release();
  g_unlink((d + "/cert.pem").c_str());
  g_unlink((d + "/key.pem").c_str());
  g_rmdir(dir);
  g_free(dir);
}
GST_END_TEST;

GST_START_TEST(test_slowloris_timed_out) {
  Pipe p = Pipe::video(30, "port=0 request-timeout=1000");
  p.play();
  SseClient normal(p.port);
  auto before = read_media(normal, 3);
  /* Many connections that never finish their request headers. */
  std::vector<GSocket *> slow;
  for (int i = 0; i < 200; i++)
    slow.push_back(raw_client(p.port, "GET /stream HTTP/1.1\r\nHost: x\r\nX-Slow: "));
  /* Real clients still get in and are served meanwhile. */
  SseClient late(p.port);
  fail_unless_equals_int(late.status(), 200);
  read_media(late, 10);
  read_media(normal, 10);
  /* Each slow connection is closed by the server (EOF), well before our own
   * read timeout. */
  int closed = 0;
  for (auto *s : slow) {
    g_socket_set_timeout(s, 15);
    char buf[256];
    GError *err = nullptr;
    const gssize n = g_socket_receive(s, buf, sizeof buf, nullptr, &err);
    if (n == 0 || (err && !g_error_matches(err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)))
      closed++;
    g_clear_error(&err);
    g_object_unref(s);
  }
  fail_unless_equals_int(closed, 200);
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_per_address_and_header_limits) {
  Pipe p = Pipe::video(30, "port=0 max-clients-per-address=2 max-request-header-bytes=4096");
  p.play();
  SseClient a(p.port), b(p.port);
  fail_unless_equals_int(a.status(), 200);
  fail_unless_equals_int(b.status(), 200);
  SseClient c(p.port);
  fail_unless_equals_int(c.status(), 429);
  fail_unless(!c.header("Retry-After").empty());
  b.close();
  /* The slot frees once the server has seen b go. */
  std::string big(8000, 'x');
  for (int i = 0; i < 200; i++) {
    guint n = 0;
    g_object_get(p.sink, "num-clients", &n, nullptr);
    if (n == 1)
      break;
    read_media(a, 1);
  }
  SseClient huge(p.port, "/stream", "GET", {{"X-Big", big}});
  fail_unless_equals_int(huge.status(), 431);
  SseClient d(p.port);
  fail_unless_equals_int(d.status(), 200);
  read_media(a, 5);
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_hostile_requests) {
  Pipe p = Pipe::video();
  p.play();
  SseClient normal(p.port);
  auto seen = read_media(normal, 3);

  const std::string long_line = "GET /" + std::string(100000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string many_headers = "GET /stream HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 5000; i++)
    many_headers += "X-H" + std::to_string(i) + ": v\r\n";
  many_headers += "\r\n";
  const struct {
    const char *name;
    std::string request;
    bool expect_reply; /* an HTTP status line, rather than a close */
  } cases[] = {
      {"garbage", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 binary junk\r\n\r\n", 28), false},
      {"no version", "GET /stream\r\n\r\n", false},
      {"truncated", "GET /str", false},
      {"long request line", long_line, false},
      {"many headers", many_headers, false},
      {"bad header", "GET /stream HTTP/1.1\r\nHost x\r\n\r\n", false},
      {"http/1.0", "GET /nope HTTP/1.0\r\n\r\n", true},
      {"pipelined", "GET /nope HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n", true},
      {"absurd method", "BREW /stream HTTP/1.1\r\nHost: x\r\n\r\n", true},
      {"huge content-length", "POST /stream HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\nab", false},
  };
  for (const auto &c : cases) {
    const std::string reply = raw_exchange(p.port, c.request, 65536, 5);
    if (c.expect_reply)
      fail_unless(reply.rfind("HTTP/1.", 0) == 0, "%s: %s", c.name, status_line(reply).c_str());
    else
      fail_unless(reply.empty() || (reply.rfind("HTTP/1.", 0) == 0 && (reply[9] == '4' || reply[9] == '5')), "%s: %s",
                  c.name, status_line(reply).c_str());
    fail_unless(reply.find("event: stream") == std::string::npos, "%s got the stream", c.name);
  }
  /* Disconnect in the middle of a stream response. */
  for (int i = 0; i < 20; i++) {
    GSocket *s = raw_client(p.port, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
    char buf[1000];
    g_socket_receive(s, buf, sizeof buf, nullptr, nullptr);
    g_object_unref(s);
  }
  /* The well-behaved client saw none of it: consecutive ids go on. */
  read_media(normal, 30);
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_caps_change_mid_stream) {
  Pipe p(
      "videotestsrc is-live=true pattern=ball ! capsfilter name=size caps=video/x-raw,width=320,height=240 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! mpegtsmux ! ssesink name=sink port=0");
  p.play();
  SseClient c(p.port);
  auto a = read_media(c, 20);
  GstElement *size = gst_bin_get_by_name(GST_BIN(p.pipeline), "size");
  GstCaps *bigger = gst_caps_from_string("video/x-raw,width=640,height=360");
  g_object_set(size, "caps", bigger, nullptr);
  gst_caps_unref(bigger);
  gst_object_unref(size);
  auto b = read_media(c, 60); /* ids stay consecutive across the change */
  a.insert(a.end(), b.begin(), b.end());
  /* The stream event was sent again with the new size. */
  bool resent = false;
  for (const auto &ev : c.named())
    resent = resent || (ev.event == "stream" && ev.data.find("\"width\":640,\"height\":360") != std::string::npos);
  fail_unless(resent, "no stream event with the new size");
  int status = 0;
  const std::string errors = ffmpeg_decode_errors(concat(a), &status);
  fail_unless(status == 0, "ffmpeg failed: %s", errors.c_str());
  /* A client joining after the change decodes from its first event. */
  SseClient late(p.port);
  auto l = read_media(late, 30);
  fail_unless(l[0].key);
  const std::string late_errors = ffmpeg_decode_errors(concat(l), &status);
  fail_unless(status == 0 && late_errors.empty(), "%s", late_errors.c_str());
  p.release();
}
GST_END_TEST;

/* The sink taken out of a running pipeline with clients attached: they are
 * closed (reason shutdown), the rest of the pipeline is unaffected. */
GST_START_TEST(test_element_removed_with_clients) {
  Pipe p = Pipe::video();
  Recorder rec;
  rec.attach(p.sink);
  p.play();
  SseClient a(p.port), b(p.port);
  read_media(a, 5);
  read_media(b, 5);
  fail_unless(rec.wait([&] { return rec.added.size() == 2; }));
  GstElement *sink = GST_ELEMENT(gst_object_ref(p.sink));
  GstPad *pad = gst_element_get_static_pad(sink, "sink");
  GstPad *peer = gst_pad_get_peer(pad);
  gst_pad_unlink(peer, pad);
  fail_unless(gst_element_set_state(sink, GST_STATE_NULL) == GST_STATE_CHANGE_SUCCESS);
  fail_unless(gst_bin_remove(GST_BIN(p.pipeline), sink));
  {
    std::lock_guard<std::mutex> l(rec.m);
    fail_unless_equals_int(rec.removed.size(), 2);
    for (auto &kv : rec.removed)
      fail_unless_equals_int(kv.second, 3); /* shutdown */
  }
  SseEvent ev;
  while (a.next(&ev)) {
  }
  while (b.next(&ev)) {
  }
  gst_object_unref(peer);
  gst_object_unref(pad);
  gst_object_unref(sink);
  gst_object_unref(p.sink);
  p.sink = nullptr;
  p.release();
}
GST_END_TEST;

static Suite *security_suite(void) {
  Suite *s = suite_create("ssesink-security");
  TCase *tc = tcase_create("general");
  tcase_set_timeout(tc, 180);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_token_access);
  tcase_add_test(tc, test_basic_auth);
  tcase_add_test(tc, test_cors_allow_list_and_preflight);
  tcase_add_test(tc, test_https_with_curl);
  tcase_add_test(tc, test_slowloris_timed_out);
  tcase_add_test(tc, test_per_address_and_header_limits);
  tcase_add_test(tc, test_hostile_requests);
  tcase_add_test(tc, test_caps_change_mid_stream);
  tcase_add_test(tc, test_element_removed_with_clients);
  return s;
}

GST_CHECK_MAIN(security);
