/* Unit tests for admission: what each request to a stream's path is
 * answered, in the order the checks run. */
#include <gst/check/gstcheck.h>

#include <string>

#include "admission.h"

using namespace gstsse;

namespace {

/* The value of header @name in @a, or nullptr. */
const std::string *header(const Admission &a, const std::string &name) {
  for (const auto &h : a.headers)
    if (h.name == name)
      return &h.value;
  return nullptr;
}

bool has(const Admission &a, const std::string &name, const std::string &value) {
  const std::string *v = header(a, name);
  return v && *v == value;
}

AdmissionRequest get(const char *remote = "127.0.0.1") {
  AdmissionRequest r;
  r.method = "GET";
  r.remote = remote;
  return r;
}

}  // namespace

GST_START_TEST(test_open_get_and_head) {
  AdmissionConfig cfg;
  Admission a = decide_admission(cfg, get());
  fail_unless_equals_int(a.status, 200);
  fail_unless(a.open_stream);
  fail_unless(a.refusal.empty());
  fail_unless(has(a, "Content-Type", "text/event-stream"));
  fail_unless(has(a, "Cache-Control", "no-cache"));
  fail_unless(has(a, "X-Accel-Buffering", "no"));
  fail_unless(header(a, "Access-Control-Allow-Origin") == nullptr);

  AdmissionRequest head = get();
  head.method = "HEAD";
  a = decide_admission(cfg, head);
  fail_unless_equals_int(a.status, 200);
  fail_if(a.open_stream);
  fail_unless(has(a, "Content-Type", "text/event-stream"));
}
GST_END_TEST;

GST_START_TEST(test_methods) {
  AdmissionConfig cfg;
  AdmissionRequest r = get();
  r.method = "POST";
  Admission a = decide_admission(cfg, r);
  fail_unless_equals_int(a.status, 405);
  fail_unless(has(a, "Allow", "GET, HEAD, OPTIONS"));
  fail_if(a.open_stream);

  r.method = "OPTIONS";
  a = decide_admission(cfg, r);
  fail_unless_equals_int(a.status, 204);
  fail_unless(has(a, "Allow", "GET, HEAD, OPTIONS"));
  fail_unless(header(a, "Access-Control-Allow-Methods") == nullptr);

  /* A preflight from an allowed origin gets the CORS answer. */
  cfg.cors = parse_cors_origins("https://a.example");
  r.origin = "https://a.example";
  a = decide_admission(cfg, r);
  fail_unless_equals_int(a.status, 204);
  fail_unless(has(a, "Access-Control-Allow-Origin", "https://a.example"));
  fail_unless(has(a, "Access-Control-Allow-Methods", "GET, HEAD, OPTIONS"));
  fail_unless(has(a, "Access-Control-Allow-Headers", "Last-Event-ID, Authorization, Cache-Control"));
  fail_unless(has(a, "Access-Control-Max-Age", "600"));
  fail_if(a.open_stream);
}
GST_END_TEST;

GST_START_TEST(test_cors_on_every_answer) {
  AdmissionConfig cfg;
  cfg.cors = parse_cors_origins("https://a.example, https://b.example");
  cfg.access.token = "secret";
  AdmissionRequest r = get();
  r.origin = "https://b.example";
  /* A refusal still says which origin may read it, so the page can tell. */
  Admission a = decide_admission(cfg, r);
  fail_unless_equals_int(a.status, 401);
  fail_unless(has(a, "Access-Control-Allow-Origin", "https://b.example"));
  bool vary = false;
  for (const auto &h : a.headers)
    vary |= h.name == "Vary" && h.value == "Origin" && h.append;
  fail_unless(vary);
  /* An origin not in the list gets no CORS headers. */
  r.origin = "https://evil.example";
  a = decide_admission(cfg, r);
  fail_unless(header(a, "Access-Control-Allow-Origin") == nullptr);
}
GST_END_TEST;

GST_START_TEST(test_header_size) {
  AdmissionConfig cfg;
  cfg.max_request_header_bytes = 100;
  cfg.access.token = "t";
  AdmissionRequest r = get();
  r.header_bytes = 101;
  /* Checked before the credentials. */
  Admission a = decide_admission(cfg, r);
  fail_unless_equals_int(a.status, 431);
  fail_unless_equals_string(a.reason_phrase, "Request Header Fields Too Large");
  r.header_bytes = 100;
  fail_unless_equals_int(decide_admission(cfg, r).status, 401);
  cfg.max_request_header_bytes = 0;
  r.header_bytes = 1 << 20;
  fail_unless_equals_int(decide_admission(cfg, r).status, 401);
}
GST_END_TEST;

GST_START_TEST(test_credentials) {
  AdmissionConfig cfg;
  cfg.access.token = "secret";
  AdmissionRequest r = get("10.0.0.1");
  Admission a = decide_admission(cfg, r);
  fail_unless_equals_int(a.status, 401);
  fail_unless(has(a, "WWW-Authenticate", "Bearer realm=\"ssesink\""));
  fail_unless_equals_string(a.refusal.c_str(), "refusing 10.0.0.1: no credentials");

  r.credentials.query_token = "wrong";
  a = decide_admission(cfg, r);
  fail_unless_equals_int(a.status, 403);
  fail_unless_equals_string(a.refusal.c_str(), "refusing 10.0.0.1: wrong credentials");

  r.credentials.query_token = "secret";
  a = decide_admission(cfg, r);
  fail_unless_equals_int(a.status, 200);
  fail_unless(a.open_stream);

  cfg.access.basic_auth = "u:p";
  r.credentials.query_token = nullptr;
  a = decide_admission(cfg, r);
  fail_unless_equals_int(a.status, 401);
  fail_unless(has(a, "WWW-Authenticate", "Basic realm=\"ssesink\", charset=\"UTF-8\""));
  r.credentials.authorization = "Basic dTpw";
  fail_unless_equals_int(decide_admission(cfg, r).status, 200);
}
GST_END_TEST;

GST_START_TEST(test_client_limits) {
  AdmissionConfig cfg;
  cfg.max_clients = 2;
  cfg.retry_ms = 2500;
  AdmissionRequest r = get("10.0.0.2");
  r.num_clients = 2;
  Admission a = decide_admission(cfg, r);
  fail_unless_equals_int(a.status, 503);
  fail_unless(has(a, "Retry-After", "2"));
  fail_unless_equals_string(a.refusal.c_str(), "refusing 10.0.0.2: max-clients (2) reached");
  r.num_clients = 1;
  fail_unless_equals_int(decide_admission(cfg, r).status, 200);

  /* Retry-After is at least a second. */
  cfg.retry_ms = 300;
  r.num_clients = 2;
  fail_unless(has(decide_admission(cfg, r), "Retry-After", "1"));

  cfg.max_clients = 0;
  cfg.max_clients_per_address = 1;
  int asked = 0;
  r.clients_from = [&asked](const char *remote) {
    asked++;
    return std::string(remote) == "10.0.0.2" ? 1u : 0u;
  };
  a = decide_admission(cfg, r);
  fail_unless_equals_int(a.status, 429);
  fail_unless_equals_string(a.reason_phrase, "Too Many Requests");
  fail_unless(has(a, "Retry-After", "1"));
  fail_unless_equals_int(asked, 1);
  r.remote = "10.0.0.3";
  fail_unless_equals_int(decide_admission(cfg, r).status, 200);
  /* Not asked when the limit is off, or the peer unknown. */
  cfg.max_clients_per_address = 0;
  asked = 0;
  fail_unless_equals_int(decide_admission(cfg, r).status, 200);
  cfg.max_clients_per_address = 1;
  r.remote = nullptr;
  fail_unless_equals_int(decide_admission(cfg, r).status, 200);
  fail_unless_equals_int(asked, 0);
}
GST_END_TEST;

static Suite *admission_suite(void) {
  Suite *s = suite_create("admission");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_open_get_and_head);
  tcase_add_test(tc, test_methods);
  tcase_add_test(tc, test_cors_on_every_answer);
  tcase_add_test(tc, test_header_size);
  tcase_add_test(tc, test_credentials);
  tcase_add_test(tc, test_client_limits);
  return s;
}

GST_CHECK_MAIN(admission);
