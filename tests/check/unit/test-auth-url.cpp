/* Unit tests for the auth-url rules: the POST's JSON, the cache key, what
 * each status means, and the cache's expiry and bound. */
#include <gst/check/gstcheck.h>

#include "auth-url.h"

using namespace gstsse;

GST_START_TEST(test_request_json) {
  AuthQuestion q;
  q.path = "/cam\"1";
  std::string j = auth_request_json(q);
  fail_unless_equals_string(j.c_str(), "{\"path\":\"/cam\\\"1\",\"headers\":{}}");
  q.address = "192.0.2.7";
  q.authorization = "Bearer x";
  q.cookie = "a=b; c=\n";
  q.token = "t";
  j = auth_request_json(q);
  fail_unless_equals_string(j.c_str(),
                            "{\"path\":\"/cam\\\"1\",\"address\":\"192.0.2.7\",\"headers\":{\"authorization\":"
                            "\"Bearer x\",\"cookie\":\"a=b; c=\\n\"},\"token\":\"t\"}");
}
GST_END_TEST;

GST_START_TEST(test_cache_key_and_verdicts) {
  AuthQuestion a, b;
  a.path = b.path = "/s";
  a.cookie = "x";
  b.token = "x";
  fail_if(auth_cache_key(a) == auth_cache_key(b)); /* the same text in another place */
  b.address = "1.2.3.4";
  b.token = nullptr;
  b.cookie = "x";
  fail_unless(auth_cache_key(a) == auth_cache_key(b)); /* the address is not part of it */
  b.path = "/t";
  fail_if(auth_cache_key(a) == auth_cache_key(b));
  fail_unless(auth_verdict(200) == AuthVerdict::kAdmit && auth_verdict(204) == AuthVerdict::kAdmit);
  fail_unless(auth_verdict(401) == AuthVerdict::kRefuse && auth_verdict(403) == AuthVerdict::kRefuse);
  for (unsigned s : {0u, 302u, 404u, 500u, 503u})
    fail_unless(auth_verdict(s) == AuthVerdict::kFailed);
}
GST_END_TEST;

GST_START_TEST(test_cache) {
  AuthCache c;
  c.store("k", 204, 1000, 5);
  fail_unless_equals_int(c.lookup("k", 5999), 204);
  fail_unless_equals_int(c.lookup("k", 6000), 0);
  fail_unless_equals_int(c.size(), 0);
  c.store("k", 403, 0, 0); /* ttl 0: not kept */
  fail_unless_equals_int(c.lookup("k", 0), 0);
  for (size_t i = 0; i < AuthCache::kMaxEntries + 10; i++)
    c.store("k" + std::to_string(i), 204, static_cast<int64_t>(i), 1000);
  fail_unless(c.size() <= AuthCache::kMaxEntries);
  fail_unless_equals_int(c.lookup("k0", 10), 0); /* the oldest went */
  fail_unless_equals_int(c.lookup("k" + std::to_string(AuthCache::kMaxEntries + 9), 10), 204);
}
GST_END_TEST;

static Suite *auth_url_suite(void) {
  Suite *s = suite_create("auth-url");
  TCase *tc = tcase_create("auth-url");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_request_json);
  tcase_add_test(tc, test_cache_key_and_verdicts);
  tcase_add_test(tc, test_cache);
  return s;
}

GST_CHECK_MAIN(auth_url);
