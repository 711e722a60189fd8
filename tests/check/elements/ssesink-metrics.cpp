/* Element tests for GET /metrics: a live pipeline and real clients, the
 * counts they make (viewers, bytes, refusals), the access rules, one page
 * for every stream on a port, and the real Prometheus tools: `promtool
 * check metrics` on the output, and a `prometheus` server on loopback
 * scraping a live pipeline, asked for the viewer count by its query API.
 *
 * promtool and prometheus come with Debian's `prometheus` package. Without
 * them those two tests are not run and the test says so (exit 77, "SKIP");
 * SSE_REQUIRE_PROMETHEUS=1 (CI) makes their absence a failure. */
#include <gio/gio.h>
#include <libsoup/soup.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gst/check/gstcheck.h>

#include "sse-client.h"
#include "test-helpers.h"

namespace {

/* GET http://127.0.0.1:@port@path with @headers; the status, @body filled. */
unsigned get(int port, const std::string &path, std::string *body,
             const std::vector<std::pair<std::string, std::string>> &headers = {}) {
  SoupSession *session = soup_session_new_with_options("timeout", 10, nullptr);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + path;
  SoupMessage *msg = soup_message_new("GET", url.c_str());
  for (const auto &h : headers)
    soup_message_headers_replace(soup_message_get_request_headers(msg), h.first.c_str(), h.second.c_str());
  GBytes *bytes = soup_session_send_and_read(session, msg, nullptr, nullptr);
  const unsigned status = soup_message_get_status(msg);
  body->clear();
  if (bytes) {
    body->assign(static_cast<const char *>(g_bytes_get_data(bytes, nullptr)), g_bytes_get_size(bytes));
    g_bytes_unref(bytes);
  }
  g_object_unref(msg);
  g_object_unref(session);
  return status;
}

/* Samples of an exposition, by "name{labels}". */
std::map<std::string, double> parse(const std::string &text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    const size_t sp = line.rfind(' ');
    out[line.substr(0, sp)] = g_ascii_strtod(line.c_str() + sp + 1, nullptr);
  }
  return out;
}

std::map<std::string, double> scrape(int port, const std::string &path = "/metrics") {
  std::string body;
  const unsigned status = get(port, path, &body);
  fail_unless_equals_int(status, 200);
  return parse(body);
}

double value(const std::map<std::string, double> &m, const std::string &key) {
  auto it = m.find(key);
  fail_unless(it != m.end(), "no sample %s", key.c_str());
  return it->second;
}

bool have(const char *tool) {
  gchar *p = g_find_program_in_path(tool);
  g_free(p);
  return p != nullptr;
}

bool g_prometheus_missing = false;

/* Whether the Prometheus tools can be used; when not, fails under
 * SSE_REQUIRE_PROMETHEUS=1, else notes the skip. */
bool prometheus_tools(const char *tool) {
  if (have(tool))
    return true;
  fail_if(g_strcmp0(g_getenv("SSE_REQUIRE_PROMETHEUS"), "1") == 0,
          "%s is not installed (Debian package prometheus), and SSE_REQUIRE_PROMETHEUS=1", tool);
  g_print("SKIP: %s is not installed (Debian package prometheus)\n", tool);
  return false;
}

/* Polls @pred every 100 ms until it holds or @seconds have passed. */
template <typename Pred>
bool poll(Pred pred, int seconds) {
  const gint64 end = g_get_monotonic_time() + gint64{seconds} * G_USEC_PER_SEC;
  while (g_get_monotonic_time() < end) {
    if (pred())
      return true;
    g_usleep(100 * 1000);
  }
  return pred();
}

/* curl -s @url with the CA @cacert, localhost resolved to 127.0.0.1. */
std::string curl_https(int port, const std::string &path, const std::string &cacert) {
  const std::string url = "https://localhost:" + std::to_string(port) + path;
  const std::string resolve = "localhost:" + std::to_string(port) + ":127.0.0.1";
  const gchar *argv[] = {"curl",         "-sS",       "--max-time",    "10",        "--cacert",
                         cacert.c_str(), "--resolve", resolve.c_str(), url.c_str(), nullptr};
  gchar *out = nullptr;
  gint status = 0;
  fail_unless(g_spawn_sync(nullptr, const_cast<gchar **>(argv), nullptr,
                           static_cast<GSpawnFlags>(G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL), nullptr, nullptr,
                           &out, nullptr, &status, nullptr));
  std::string o = out ? out : "";
  g_free(out);
  return o;
}

}  // namespace

GST_START_TEST(test_viewers_bytes_and_refusals) {
  Pipe p = Pipe::video(30, "port=0");
  p.play();
  auto before = scrape(p.port);
  fail_unless_equals_int(value(before, "ssesink_viewers{path=\"/stream\"}"), 0);
  fail_unless(before.count("ssesink_tls_handshake_failures_total") == 0); /* plain HTTP: not listed */

  SseClient c(p.port);
  fail_unless_equals_int(c.status(), 200);
  read_media(c, 3);
  auto m = scrape(p.port);
  fail_unless_equals_int(value(m, "ssesink_viewers{path=\"/stream\"}"), 1);
  fail_unless_equals_int(value(m, "ssesink_connections_total{path=\"/stream\"}"), 1);
  const double bytes = value(m, "ssesink_sent_bytes_total{path=\"/stream\"}");
  fail_unless(bytes > 0);
  fail_unless(value(m, "ssesink_keyframe_join_seconds_count{path=\"/stream\"}") == 1);
  fail_unless(value(m, "ssesink_chunks_total{path=\"/stream\"}") >= 3);
  read_media(c, 3);
  fail_unless(poll([&] { return value(scrape(p.port), "ssesink_sent_bytes_total{path=\"/stream\"}") > bytes; }, 10),
              "bytes sent did not grow");

  /* A 404 and a 405 are counted. */
  std::string body;
  fail_unless_equals_int(get(p.port, "/no-such-file", &body), 404);
  SseClient post(p.port, "/stream", "POST");
  fail_unless_equals_int(post.status(), 405);
  m = scrape(p.port);
  fail_unless_equals_int(value(m, "ssesink_http_refused_requests_total{code=\"404\"}"), 1);
  fail_unless_equals_int(value(m, "ssesink_http_refused_requests_total{code=\"405\"}"), 1);

  /* The client leaves: closed, and viewers back to 0. */
  c.close();
  fail_unless(poll(
      [&] {
        auto n = scrape(p.port);
        return value(n, "ssesink_viewers{path=\"/stream\"}") == 0 &&
               value(n, "ssesink_connections_ended_total{path=\"/stream\",reason=\"closed\"}") == 1;
      },
      10));
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_access) {
  Pipe p = Pipe::video(30, "port=0 auth-token=secret");
  p.play();
  std::string body;
  fail_unless_equals_int(get(p.port, "/metrics", &body), 401);
  fail_unless_equals_int(get(p.port, "/metrics?token=wrong", &body), 403);
  fail_unless_equals_int(get(p.port, "/metrics?token=secret", &body), 200);
  fail_unless(body.find("ssesink_viewers{path=\"/stream\"} 0\n") != std::string::npos, "%s", body.c_str());
  fail_unless(parse(body).at("ssesink_http_refused_requests_total{code=\"401\"}") == 1);
  fail_unless(parse(body).at("ssesink_http_refused_requests_total{code=\"403\"}") == 1);
  p.release();

  /* metrics-token alone opens it: the stream's token does not. */
  Pipe q = Pipe::video(30, "port=0 auth-token=secret metrics-token=scraper");
  q.play();
  fail_unless_equals_int(get(q.port, "/metrics?token=secret", &body), 403);
  fail_unless_equals_int(get(q.port, "/metrics", &body, {{"Authorization", "Bearer scraper"}}), 200);
  q.release();
}
GST_END_TEST;

GST_START_TEST(test_path_settings) {
  /* Another path; the default one is then the player's (404). */
  Pipe p = Pipe::video(30, "port=0 metrics-path=/internal/metrics");
  p.play();
  std::string body;
  fail_unless_equals_int(get(p.port, "/internal/metrics", &body), 200);
  fail_unless_equals_int(get(p.port, "/metrics", &body), 404);
  fail_unless_equals_int(get(p.port, "/internal/metrics/more", &body), 404);
  p.release();

  /* Empty: off. */
  Pipe off = Pipe::video(30, "port=0 metrics-path=\"\"");
  off.play();
  fail_unless_equals_int(get(off.port, "/metrics", &body), 404);
  off.release();

  /* The stream's own path: start() fails and says why. */
  Pipe clash = Pipe::video(30, "port=0 path=/metrics");
  fail_unless(gst_element_set_state(clash.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  const std::string err = bus_error_text(clash.pipeline);
  fail_unless(err.find("metrics-path") != std::string::npos, "%s", err.c_str());
  clash.release();
}
GST_END_TEST;

GST_START_TEST(test_one_page_per_port) {
  const int port = free_port();
  const std::string props = "port=" + std::to_string(port);
  Pipe a = Pipe::video(30, props + " path=/a");
  Pipe b = Pipe::video(30, props + " path=/b");
  a.play();
  b.play();
  SseClient c(port, "/b");
  read_media(c, 2);
  auto m = scrape(port);
  fail_unless_equals_int(value(m, "ssesink_viewers{path=\"/a\"}"), 0);
  fail_unless_equals_int(value(m, "ssesink_viewers{path=\"/b\"}"), 1);
  c.close();
  b.release();
  /* /a still serves it, without /b. */
  m = scrape(port);
  fail_unless(m.count("ssesink_viewers{path=\"/a\"}") == 1 && m.count("ssesink_viewers{path=\"/b\"}") == 0);
  a.release();
}
GST_END_TEST;

/* With publish-url, publish-stats are there too: a dead endpoint fails,
 * and the failures are counted. */
GST_START_TEST(test_publisher_figures) {
  const std::string dead = "http://127.0.0.1:" + std::to_string(free_port()) + "/pub";
  Pipe p = Pipe::video(30, "port=0 publish-url=" + dead);
  p.play();
  fail_unless(poll(
                  [&] {
                    auto m = scrape(p.port);
                    return m.count("ssesink_publish_failures_total{path=\"/stream\"}") &&
                           m.at("ssesink_publish_failures_total{path=\"/stream\"}") > 0 &&
                           m.at("ssesink_publish_connected{path=\"/stream\"}") == 0 &&
                           m.at("ssesink_publish_queue_bytes{path=\"/stream\"}") > 0;
                  },
                  20),
              "no publish failures in /metrics");
  p.release();
  /* Without it: no publish families. */
  Pipe q = Pipe::video(30, "port=0");
  q.play();
  std::string body;
  fail_unless_equals_int(get(q.port, "/metrics", &body), 200);
  fail_unless(body.find("ssesink_publish") == std::string::npos);
  q.release();
}
GST_END_TEST;

/* HTTPS: a plain-HTTP request and a client that leaves mid-handshake are
 * failed handshakes; a good one is not. */
GST_START_TEST(test_tls_handshake_failures) {
  gchar *dir = g_dir_make_tmp("ssesink-metrics-tls-XXXXXX", nullptr);
  const std::string d = dir;
  fail_unless(make_cert(d), "openssl could not make a certificate");
  Pipe p = Pipe::video(
      30, "port=0 address=127.0.0.1 tls-certificate-file=" + d + "/cert.pem tls-key-file=" + d + "/key.pem");
  p.play();
  auto failures = [&] {
    return parse(curl_https(p.port, "/metrics", d + "/cert.pem"))["ssesink_tls_handshake_failures_total"];
  };
  fail_unless_equals_int(failures(), 0);
  /* Plain HTTP on the TLS port. */
  GSocket *plain = raw_client(p.port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  char buf[256];
  g_socket_set_timeout(plain, 5);
  while (g_socket_receive(plain, buf, sizeof buf, nullptr, nullptr) > 0) {
  }
  g_object_unref(plain);
  fail_unless(poll([&] { return failures() == 1; }, 10), "plain HTTP not counted: %f", failures());
  /* A TCP connection closed before any handshake. */
  GSocket *quiet = raw_client(p.port, "");
  g_socket_close(quiet, nullptr);
  g_object_unref(quiet);
  fail_unless(poll([&] { return failures() == 2; }, 10), "closed connection not counted: %f", failures());
  p.release();
  gchar *argv[] = {const_cast<gchar *>("rm"), const_cast<gchar *>("-rf"), dir, nullptr};
  g_spawn_sync(nullptr, argv, nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
  g_free(dir);
}
GST_END_TEST;

GST_START_TEST(test_promtool_check_metrics) {
  if (!prometheus_tools("promtool"))
    return;
  Pipe p = Pipe::video(30, "port=0");
  p.play();
  SseClient c(p.port);
  read_media(c, 3);
  std::string body;
  get(p.port, "/nothing-here", &body);
  fail_unless_equals_int(get(p.port, "/metrics", &body), 200);

  GError *err = nullptr;
  GSubprocess *proc =
      g_subprocess_new(static_cast<GSubprocessFlags>(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                     G_SUBPROCESS_FLAGS_STDERR_MERGE),
                       &err, "promtool", "check", "metrics", nullptr);
  fail_unless(proc != nullptr, "promtool: %s", err ? err->message : "?");
  gchar *out = nullptr;
  fail_unless(g_subprocess_communicate_utf8(proc, body.c_str(), nullptr, &out, nullptr, &err));
  fail_unless(g_subprocess_get_if_exited(proc) && g_subprocess_get_exit_status(proc) == 0,
              "promtool check metrics failed:\n%s\non:\n%s", out ? out : "", body.c_str());
  g_free(out);
  g_object_unref(proc);
  c.close();
  p.release();
}
GST_END_TEST;

/* A prometheus server on loopback scrapes the pipeline every second; its
 * query API returns the viewer count. */
GST_START_TEST(test_prometheus_scrapes) {
  if (!prometheus_tools("prometheus"))
    return;
  Pipe p = Pipe::video(30, "port=0");
  p.play();
  SseClient c(p.port);
  read_media(c, 2);

  gchar *dir = g_dir_make_tmp("sse-prometheus-XXXXXX", nullptr);
  const std::string config = std::string(dir) + "/prometheus.yml";
  const std::string yml =
      "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n"
      "  - job_name: ssesink\n    static_configs:\n      - targets: ['127.0.0.1:" +
      std::to_string(p.port) + "']\n";
  fail_unless(g_file_set_contents(config.c_str(), yml.c_str(), -1, nullptr));
  const int web_port = free_port();
  const std::string listen = "--web.listen-address=127.0.0.1:" + std::to_string(web_port);
  const std::string cfg_arg = "--config.file=" + config;
  const std::string storage = std::string("--storage.tsdb.path=") + dir + "/data";
  const std::string log = std::string(dir) + "/prometheus.log";
  GSubprocessLauncher *launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_stdout_file_path(launcher, log.c_str());
  GError *err = nullptr;
  GSubprocess *prom = g_subprocess_launcher_spawn(launcher, &err, "prometheus", cfg_arg.c_str(), storage.c_str(),
                                                  listen.c_str(), nullptr);
  g_object_unref(launcher);
  fail_unless(prom != nullptr, "prometheus: %s", err ? err->message : "?");

  /* Polled: up and scraping takes a few seconds. */
  std::string body;
  const bool seen = poll(
      [&] {
        if (get(web_port, "/api/v1/query?query=ssesink_viewers", &body) != 200)
          return false;
        return body.find("\"path\":\"/stream\"") != std::string::npos && body.find(",\"1\"]") != std::string::npos;
      },
      60);
  g_subprocess_force_exit(prom);
  g_subprocess_wait(prom, nullptr, nullptr);
  g_object_unref(prom);
  gchar *log_text = nullptr;
  g_file_get_contents(log.c_str(), &log_text, nullptr, nullptr);
  fail_unless(seen, "prometheus never returned ssesink_viewers 1: last answer %s\nlog:\n%.3000s", body.c_str(),
              log_text ? log_text : "");
  g_free(log_text);
  gchar *argv[] = {const_cast<gchar *>("rm"), const_cast<gchar *>("-rf"), dir, nullptr};
  g_spawn_sync(nullptr, argv, nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
  g_free(dir);
  c.close();
  p.release();
}
GST_END_TEST;

static Suite *metrics_suite(void) {
  Suite *s = suite_create("ssesink-metrics");
  TCase *tc = tcase_create("general");
  tcase_set_timeout(tc, 120);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_viewers_bytes_and_refusals);
  tcase_add_test(tc, test_access);
  tcase_add_test(tc, test_path_settings);
  tcase_add_test(tc, test_one_page_per_port);
  tcase_add_test(tc, test_publisher_figures);
  tcase_add_test(tc, test_tls_handshake_failures);
  tcase_add_test(tc, test_promtool_check_metrics);
  tcase_add_test(tc, test_prometheus_scrapes);
  return s;
}

int main(int argc, char **argv) {
  gst_check_init(&argc, &argv);
  /* The tests run in child processes: what they skip is known here. */
  g_prometheus_missing = !have("promtool") || !have("prometheus");
  if (g_prometheus_missing)
    g_print("SKIP: the promtool and prometheus tests need Debian's prometheus package\n");
  const int failed = gst_check_run_suite(metrics_suite(), "ssesink-metrics", __FILE__);
  if (failed)
    return 1;
  return g_prometheus_missing ? 77 : 0;
}
