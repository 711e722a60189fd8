/* Unit tests for access: token and Basic checks, cookies, CORS decisions. */
#include <gst/check/gstcheck.h>

#include "access.h"

using namespace gstsse;

GST_START_TEST(test_constant_time_equals) {
  fail_unless(constant_time_equals("abc", "abc"));
  fail_unless(constant_time_equals("", ""));
  fail_if(constant_time_equals("abc", "abd"));
  fail_if(constant_time_equals("abc", "abcd"));
  fail_if(constant_time_equals("abcd", "abc"));
  fail_if(constant_time_equals("", "a"));
  fail_if(constant_time_equals(std::string("a\0b", 3), "a"));
}
GST_END_TEST;

GST_START_TEST(test_cookies_and_headers) {
  std::string v;
  fail_unless(find_cookie("a=1; sse_token=xyz; b=2", "sse_token", &v) && v == "xyz");
  fail_unless(find_cookie("sse_token=\"q\"", "sse_token", &v) && v == "q");
  fail_if(find_cookie("my_sse_token=1; sse_tokenx=2; noequals", "sse_token", &v));
  fail_if(find_cookie("", "sse_token", &v));
  fail_unless(parse_basic_auth("Basic dXNlcjpwYXNz", &v) && v == "user:pass");
  fail_unless(parse_basic_auth("basic   dXNlcjpwYXNz  ", &v) && v == "user:pass");
  fail_if(parse_basic_auth("Basic dXNlcjpwYXNz=", &v));
  fail_if(parse_basic_auth("Basic ****", &v));
  fail_if(parse_basic_auth("Bearer abc", &v));
  fail_if(parse_basic_auth("Basic ", &v));
  fail_unless(parse_bearer("Bearer tok", &v) && v == "tok");
  fail_if(parse_bearer("Bearer ", &v));
}
GST_END_TEST;

GST_START_TEST(test_check_access) {
  AccessConfig open;
  fail_unless(check_access(open, {}) == AccessResult::kAllowed);
  AccessConfig tok;
  tok.token = "t";
  fail_unless(check_access(tok, {}) == AccessResult::kMissing);
  AccessRequest r;
  r.query_token = "x";
  fail_unless(check_access(tok, r) == AccessResult::kDenied);
  r.query_token = "t";
  fail_unless(check_access(tok, r) == AccessResult::kAllowed);
  AccessRequest c;
  c.cookie = "sse_token=t";
  fail_unless(check_access(tok, c) == AccessResult::kAllowed);
  AccessConfig both = tok;
  both.basic_auth = "u:p";
  AccessRequest basic;
  basic.authorization = "Basic dTpw"; /* u:p */
  fail_unless(check_access(both, basic) == AccessResult::kAllowed);
  basic.authorization = "Basic dTpx"; /* u:q */
  fail_unless(check_access(both, basic) == AccessResult::kDenied);
  basic.authorization = "Digest x";
  fail_unless(check_access(both, basic) == AccessResult::kMissing);
}
GST_END_TEST;

GST_START_TEST(test_cors) {
  CorsPolicy none = parse_cors_origins("");
  CorsDecision d = decide_cors(none, "https://a.example");
  fail_unless(d.allow_origin.empty() && !d.vary_origin);
  CorsPolicy any = parse_cors_origins("*");
  d = decide_cors(any, "https://a.example");
  fail_unless(d.allow_origin == "*" && !d.allow_credentials && !d.vary_origin);
  CorsPolicy list = parse_cors_origins(" https://a.example ,http://localhost:3000,, ");
  fail_unless_equals_int(list.origins.size(), 2);
  d = decide_cors(list, "http://localhost:3000");
  fail_unless(d.allow_origin == "http://localhost:3000" && d.allow_credentials && d.vary_origin);
  d = decide_cors(list, "https://a.example.evil");
  fail_unless(d.allow_origin.empty() && d.vary_origin);
  d = decide_cors(list, nullptr);
  fail_unless(d.allow_origin.empty() && d.vary_origin);
  CorsPolicy mixed = parse_cors_origins("https://a.example, *");
  d = decide_cors(mixed, "https://b.example");
  fail_unless(d.allow_origin == "*" && !d.allow_credentials);
}
GST_END_TEST;

static Suite *access_suite(void) {
  Suite *s = suite_create("access");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_constant_time_equals);
  tcase_add_test(tc, test_cookies_and_headers);
  tcase_add_test(tc, test_check_access);
  tcase_add_test(tc, test_cors);
  return s;
}

GST_CHECK_MAIN(access);
