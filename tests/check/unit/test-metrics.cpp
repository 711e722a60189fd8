/* Unit tests for metrics: the histogram's buckets, the refusal counts, label
 * escaping and the text exposition (every family once, with HELP and TYPE,
 * one sample per stream). promtool checks the real output in
 * tests/check/elements/ssesink-metrics.cpp. */
#include <map>
#include <sstream>
#include <string>

#include <gst/check/gstcheck.h>

#include "metrics.h"

using namespace gstsse;

namespace {

/* Sample lines ("name{labels} value") of @text, by their name and labels. */
std::map<std::string, std::string> samples(const std::string &text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    const size_t sp = line.rfind(' ');
    out[line.substr(0, sp)] = line.substr(sp + 1);
  }
  return out;
}

size_t count_of(const std::string &text, const std::string &what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    n++;
  return n;
}

StreamSample stream(const char *path) {
  StreamSample s;
  s.path = path;
  return s;
}

}  // namespace

GST_START_TEST(test_histogram_buckets) {
  Histogram h;
  h.observe(0);       /* <= 1 ms */
  h.observe(1000);    /* on the bound: still <= 1 ms */
  h.observe(1001);    /* <= 5 ms */
  h.observe(700000);  /* <= 1 s */
  h.observe(6000000); /* <= 10 s */
  h.observe(-5);      /* a clock step backwards counts as 0 */
  h.observe(60000000);
  const HistogramSample s = h.sample();
  fail_unless_equals_int(s.bounds_s.size(), 12);
  fail_unless(s.bounds_s[0] == 0.001 && s.bounds_s[11] == 10.0);
  fail_unless_equals_int(s.cumulative[0], 3);
  fail_unless_equals_int(s.cumulative[1], 4);
  fail_unless_equals_int(s.cumulative[7], 4);  /* <= 0.5 s */
  fail_unless_equals_int(s.cumulative[8], 5);  /* <= 1 s */
  fail_unless_equals_int(s.cumulative[11], 6); /* <= 10 s */
  fail_unless_equals_int(s.count, 7);          /* +Inf */
  fail_unless(s.sum_s > 66.70199 && s.sum_s < 66.70201, "sum %f", s.sum_s);
}
GST_END_TEST;

GST_START_TEST(test_refused_statuses) {
  ServerCounters c;
  auto r = c.refused();
  fail_unless_equals_int(r.size(), ServerCounters::kListed.size());
  for (const auto &p : r)
    fail_unless_equals_int(p.second, 0);
  c.response(200);
  c.response(204);
  c.response(401);
  c.response(401);
  c.response(400); /* not listed: appears once seen */
  c.response(600); /* not an HTTP error status */
  r = c.refused();
  fail_unless_equals_int(r.size(), ServerCounters::kListed.size() + 1);
  fail_unless(r[0] == std::make_pair(400u, uint64_t{1}));
  fail_unless(r[1] == std::make_pair(401u, uint64_t{2}));
}
GST_END_TEST;

GST_START_TEST(test_label_escaping) {
  /* Kept in strings: the check macro reads the pointer after the statement. */
  const std::string plain = escape_label_value("/stream");
  const std::string odd = escape_label_value("a\\b\"c\nd");
  fail_unless_equals_string(plain.c_str(), "/stream");
  fail_unless_equals_string(odd.c_str(), "a\\\\b\\\"c\\nd");
  ServerSample server;
  std::vector<StreamSample> streams = {stream("/we\"ird\\path\n")};
  const std::string text = render_metrics(server, streams);
  fail_unless(text.find("ssesink_viewers{path=\"/we\\\"ird\\\\path\\n\"} 0\n") != std::string::npos, "%s",
              text.c_str());
}
GST_END_TEST;

GST_START_TEST(test_exposition) {
  ServerCounters counters;
  counters.response(404);
  counters.request_timeouts.add(3);
  ServerSample server{counters.refused(), counters.request_timeouts.get()};
  StreamSample a = stream("/a");
  a.viewers = 2;
  a.connections = 5;
  a.ended = {1, 2, 0, 0, 0};
  a.bytes_sent = 123456789012ull;
  a.events_sent = 42;
  a.chunk_rate = 30;
  a.key_interval_s = 1.5;
  Histogram h;
  h.observe(20000);
  a.keyframe_join = h.sample();
  StreamSample b = stream("/b");
  b.has_publisher = true;
  b.publisher.connected = true;
  b.publisher.messages = 7;
  const std::string text = render_metrics(server, {a, b});

  /* Every family once, HELP before TYPE; counters end in _total. */
  for (const char *family :
       {"ssesink_viewers", "ssesink_connections_total", "ssesink_connections_ended_total", "ssesink_sent_bytes_total",
        "ssesink_keyframe_join_seconds", "ssesink_chunk_rate", "ssesink_http_refused_requests_total",
        "ssesink_request_timeouts_total", "ssesink_publish_messages_total"}) {
    fail_unless_equals_int(count_of(text, std::string("# HELP ") + family + " "), 1);
    fail_unless_equals_int(count_of(text, std::string("# TYPE ") + family + " "), 1);
    fail_unless(text.find(std::string("# HELP ") + family + " ") < text.find(std::string("# TYPE ") + family + " "));
  }
  fail_unless(text.find("# TYPE ssesink_sent_bytes_total counter\n") != std::string::npos);
  fail_unless(text.find("# TYPE ssesink_keyframe_join_seconds histogram\n") != std::string::npos);
  fail_unless(text.find("# TYPE ssesink_viewers gauge\n") != std::string::npos);

  auto s = samples(text);
  fail_unless_equals_string(s["ssesink_viewers{path=\"/a\"}"].c_str(), "2");
  fail_unless_equals_string(s["ssesink_viewers{path=\"/b\"}"].c_str(), "0");
  fail_unless_equals_string(s["ssesink_sent_bytes_total{path=\"/a\"}"].c_str(), "123456789012");
  fail_unless_equals_string(s["ssesink_connections_ended_total{path=\"/a\",reason=\"slow\"}"].c_str(), "2");
  fail_unless_equals_string(s["ssesink_connections_ended_total{path=\"/b\",reason=\"eos\"}"].c_str(), "0");
  fail_unless_equals_string(s["ssesink_keyframe_join_seconds_bucket{path=\"/a\",le=\"0.01\"}"].c_str(), "0");
  fail_unless_equals_string(s["ssesink_keyframe_join_seconds_bucket{path=\"/a\",le=\"0.025\"}"].c_str(), "1");
  fail_unless_equals_string(s["ssesink_keyframe_join_seconds_bucket{path=\"/a\",le=\"+Inf\"}"].c_str(), "1");
  fail_unless_equals_string(s["ssesink_keyframe_join_seconds_sum{path=\"/a\"}"].c_str(), "0.02");
  fail_unless_equals_string(s["ssesink_keyframe_join_seconds_count{path=\"/b\"}"].c_str(), "0");
  fail_unless_equals_string(s["ssesink_key_interval_seconds{path=\"/a\"}"].c_str(), "1.5");
  fail_unless_equals_string(s["ssesink_http_refused_requests_total{code=\"404\"}"].c_str(), "1");
  fail_unless_equals_string(s["ssesink_http_refused_requests_total{code=\"401\"}"].c_str(), "0");
  fail_unless_equals_string(s["ssesink_request_timeouts_total"].c_str(), "3");
  /* Publisher families only for the streams that publish. */
  fail_unless_equals_string(s["ssesink_publish_connected{path=\"/b\"}"].c_str(), "1");
  fail_unless_equals_string(s["ssesink_publish_messages_total{path=\"/b\"}"].c_str(), "7");
  fail_unless(s.count("ssesink_publish_messages_total{path=\"/a\"}") == 0);
  /* Samples of a family are together: /b's viewers line comes before the next family. */
  fail_unless(text.find("ssesink_viewers{path=\"/b\"}") < text.find("# HELP ssesink_connections_total"));

  /* No publisher anywhere: no publish families at all. */
  const std::string bare = render_metrics(server, {a});
  fail_unless(bare.find("ssesink_publish") == std::string::npos);
  /* No streams: the server families only, still valid. */
  const std::string none = render_metrics(server, {});
  fail_unless(none.find("ssesink_request_timeouts_total 3\n") != std::string::npos);
  /* TLS failures only for an HTTPS server. */
  fail_unless(none.find("ssesink_tls_handshake_failures_total") == std::string::npos);
  server.tls = true;
  server.tls_handshake_failures = 2;
  const std::string tls = render_metrics(server, {});
  fail_unless(
      tls.find("# TYPE ssesink_tls_handshake_failures_total counter\nssesink_tls_handshake_failures_total 2\n") !=
      std::string::npos);
}
GST_END_TEST;

GST_START_TEST(test_key_interval) {
  StreamCounters c;
  c.key_chunk(1000000);
  fail_unless_equals_int(c.key_interval_us.load(), 0);
  c.key_chunk(3000000);
  fail_unless_equals_int(c.key_interval_us.load(), 2000000);
  c.key_chunk(2000000); /* out of order: kept, the interval unchanged */
  fail_unless_equals_int(c.key_interval_us.load(), 2000000);
}
GST_END_TEST;

static Suite *metrics_suite(void) {
  Suite *s = suite_create("metrics");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_histogram_buckets);
  tcase_add_test(tc, test_refused_statuses);
  tcase_add_test(tc, test_label_escaping);
  tcase_add_test(tc, test_exposition);
  tcase_add_test(tc, test_key_interval);
  return s;
}

GST_CHECK_MAIN(metrics);
