/* The authorization callback (auth-url) on the real element, against a
 * small real application (auth-app.py, Python's http.server) started here:
 * admit, deny (403 and 401 passed on), a slow application (auth-timeout-ms),
 * the application down (fail closed, and auth-fail-open), and the cache
 * (the application counts its calls), and the multiplexed endpoint, which
 * refuses streams behind auth-url. No stream data unless admitted. */
#include <gio/gio.h>
#include <gst/check/gstcheck.h>

#include "sse-client.h"
#include "test-helpers.h"

namespace {

/* The application, on a port of its own; stopped (by its pid) with it. */
struct App {
  GSubprocess *proc = nullptr;
  int port = 0;
  /* @tls_dir: speak HTTPS with its cert.pem and key.pem (make_cert()). */
  explicit App(const std::string &tls_dir = "") {
    GError *err = nullptr;
    const std::string cert = tls_dir + "/cert.pem", key = tls_dir + "/key.pem";
    proc = tls_dir.empty()
               ? g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE, &err, "/usr/bin/python3", SSE_AUTH_APP, nullptr)
               : g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE, &err, "/usr/bin/python3", SSE_AUTH_APP, "--tls",
                                  cert.c_str(), key.c_str(), nullptr);
    fail_unless(proc != nullptr, "auth-app.py: %s", err ? err->message : "?");
    GDataInputStream *in = g_data_input_stream_new(g_subprocess_get_stdout_pipe(proc));
    gchar *line = g_data_input_stream_read_line(in, nullptr, nullptr, nullptr);
    fail_unless(line != nullptr, "auth-app.py printed no port");
    port = atoi(line);
    g_free(line);
    g_object_unref(in);
    fail_unless(port > 0);
  }
  ~App() {
    g_subprocess_force_exit(proc);
    g_subprocess_wait(proc, nullptr, nullptr);
    g_object_unref(proc);
  }
  std::string url(const char *scheme = "http") const {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(port) + "/auth";
  }
  int calls() const {
    std::string body;
    fail_unless_equals_int(http_get(port, "/calls", &body), 200);
    return atoi(body.c_str());
  }
  std::string last() const {
    std::string body;
    fail_unless_equals_int(http_get(port, "/last", &body), 200);
    return body;
  }
};

/* GET /stream?token=@token: the status, and no events unless 200. */
unsigned status_for(int port, const std::string &token, std::vector<std::pair<std::string, std::string>> headers = {}) {
  SseClient c(port, "/stream?token=" + token, "GET", std::move(headers));
  if (c.status() == 200) {
    read_media(c, 2);
  } else {
    SseEvent ev;
    fail_if(c.next(&ev), "a %u answer carried an event", c.status());
  }
  return c.status();
}

Pipe auth_pipe(const std::string &url, const std::string &extra = "") {
  Pipe p = Pipe::video(30, "port=0 " + extra);
  g_object_set(p.sink, "auth-url", url.c_str(), nullptr);
  return p;
}

}  // namespace

GST_START_TEST(test_auth_url_admit_deny_cache) {
  App app;
  Pipe p = auth_pipe(app.url(), "auth-cache-ms=600000 cors-origin=https://page.example");
  p.play();
  fail_unless_equals_int(status_for(p.port, "allow-1", {{"Cookie", "session=abc"}}), 200);
  fail_unless_equals_int(app.calls(), 1);
  /* What the application was told. */
  const std::string body = app.last();
  for (const char *part :
       {"\"path\":\"/stream\"", "\"address\":\"127.0.0.1\"", "\"cookie\":\"session=abc\"", "\"token\":\"allow-1\""})
    fail_unless(body.find(part) != std::string::npos, "%s not in %s", part, body.c_str());

  /* The same credentials again: from the cache; other credentials: asked. */
  fail_unless_equals_int(status_for(p.port, "allow-1", {{"Cookie", "session=abc"}}), 200);
  fail_unless_equals_int(app.calls(), 1);
  fail_unless_equals_int(status_for(p.port, "allow-1", {{"Cookie", "session=other"}}), 200);
  fail_unless_equals_int(app.calls(), 2);

  /* 403 and 401 passed on, cached too; CORS headers on the refusal. */
  {
    SseClient c(p.port, "/stream?token=deny-1", "GET", {{"Origin", "https://page.example"}});
    fail_unless_equals_int(c.status(), 403);
    expect_string(c.header("Access-Control-Allow-Origin"), "https://page.example");
    SseEvent ev;
    fail_if(c.next(&ev));
  }
  fail_unless_equals_int(status_for(p.port, "deny-1"), 403);
  fail_unless_equals_int(app.calls(), 3);
  {
    SseClient c(p.port, "/stream?token=nope-1");
    fail_unless_equals_int(c.status(), 401);
    fail_unless(c.header("WWW-Authenticate").find("Bearer") == 0);
  }
  /* A 500 is a failure: refused (fail closed), and not cached. */
  fail_unless_equals_int(status_for(p.port, "broken"), 503);
  fail_unless_equals_int(status_for(p.port, "broken"), 503);
  fail_unless_equals_int(app.calls(), 6);
  /* OPTIONS (preflight) is not asked about. */
  {
    SseClient c(p.port, "/stream", "OPTIONS", {{"Origin", "https://page.example"}});
    fail_unless_equals_int(c.status(), 204);
  }
  fail_unless_equals_int(app.calls(), 6);
  /* The multiplexed endpoint does not ask the application: it refuses a
   * stream behind auth-url, whatever the application would say. */
  for (const char *url : {"/streams?paths=/stream&token=allow-1", "/streams?token=allow-1"}) {
    SseClient c(p.port, url);
    fail_unless_equals_int(c.status(), 403);
    SseEvent ev;
    fail_if(c.next(&ev), "%s: a refusal carried an event", url);
  }
  fail_unless_equals_int(app.calls(), 6);
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_auth_url_slow_and_down) {
  App app;
  /* Slow: no answer within the timeout refuses, while other requests go on. */
  Pipe p = auth_pipe(app.url(), "auth-timeout-ms=500");
  p.play();
  {
    SseClient slow(p.port, "/stream?token=slow-1");
    fail_unless_equals_int(slow.status(), 503);
    fail_unless_equals_int(status_for(p.port, "allow-2"), 200);
  }
  p.release();

  /* Down: nothing listens on the URL's port. */
  const std::string down = "http://127.0.0.1:" + std::to_string(free_port()) + "/auth";
  Pipe closed = auth_pipe(down);
  closed.play();
  fail_unless_equals_int(status_for(closed.port, "allow-3"), 503);
  closed.release();
  Pipe open = auth_pipe(down, "auth-fail-open=true");
  open.play();
  fail_unless_equals_int(status_for(open.port, "allow-4"), 200);
  open.release();

  /* With another check beside: the application admits, the token still counts. */
  Pipe both = auth_pipe(app.url(), "auth-token=s3cr3t");
  both.play();
  fail_unless_equals_int(status_for(both.port, "allow-5"), 403);
  both.release();

  /* A URL that is not http(s) fails the start. */
  Pipe bad = auth_pipe("ftp://127.0.0.1/auth");
  fail_unless(gst_element_set_state(bad.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  fail_unless(bus_error_text(bad.pipeline).find("auth-url") != std::string::npos);
  bad.release();
}
GST_END_TEST;

/* https: the application's certificate is checked, against the system's
 * authorities or auth-ca-file. */
GST_START_TEST(test_auth_url_https) {
  gchar *dir = g_dir_make_tmp("ssesink-auth-XXXXXX", nullptr);
  fail_unless(make_cert(dir));
  const std::string d = dir;
  App app(d);
  /* Self-signed: not trusted by the system, so no answer counts: 503. */
  Pipe untrusted = auth_pipe(app.url("https"));
  untrusted.play();
  fail_unless_equals_int(status_for(untrusted.port, "allow-6"), 503);
  untrusted.release();
  /* Trusted through auth-ca-file: the application decides (its 403 is its own). */
  Pipe trusted = auth_pipe(app.url("https"), "auth-ca-file=" + d + "/cert.pem");
  trusted.play();
  fail_unless_equals_int(status_for(trusted.port, "allow-7"), 200);
  fail_unless_equals_int(status_for(trusted.port, "deny-7"), 403);
  trusted.release();
  Pipe missing = auth_pipe(app.url("https"), "auth-ca-file=" + d + "/none.pem");
  fail_unless(gst_element_set_state(missing.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  fail_unless(bus_error_text(missing.pipeline).find("auth-ca-file") != std::string::npos);
  missing.release();
  g_remove((d + "/cert.pem").c_str());
  g_remove((d + "/key.pem").c_str());
  g_rmdir(dir);
  g_free(dir);
}
GST_END_TEST;

static Suite *auth_url_suite(void) {
  Suite *s = suite_create("ssesink-auth-url");
  TCase *tc = tcase_create("auth-url");
  tcase_set_timeout(tc, 300);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_auth_url_admit_deny_cache);
  tcase_add_test(tc, test_auth_url_slow_and_down);
  tcase_add_test(tc, test_auth_url_https);
  return s;
}

GST_CHECK_MAIN(auth_url);
