/* Unit tests for signed tokens: the pure rules (key lists, claims, path
 * grants, base64url, the compact form) and JwtAccess with HS256 tokens
 * signed here with OpenSSL's HMAC (not with libjwt, which verifies them),
 * through check_access() as a stream's admission calls it. */
#include <gst/check/gstcheck.h>

#include "access.h"
#include "jwt-mint.h"
#include "jwt-rules.h"
#include "jwt-verify.h"

using namespace gstsse;

namespace {

using gstsse_test::b64url;

std::string hs256(const std::string &secret, const std::string &payload, const std::string &header = "") {
  return gstsse_test::mint_hs256(secret, payload, header);
}

const std::string kSecret(40, 'k');

}  // namespace

GST_START_TEST(test_key_list) {
  std::vector<KeyEntry> keys;
  std::string err;
  fail_unless(
      parse_key_list(" " + kSecret + " , /etc/k.pem,./k.pem,-----BEGIN PUBLIC KEY-----\nAA\n-----END", &keys, &err));
  fail_unless_equals_int(keys.size(), 4);
  fail_unless(keys[0].form == KeyEntry::Form::kSecret && keys[0].text == kSecret);
  fail_unless(keys[1].form == KeyEntry::Form::kPemFile && keys[2].form == KeyEntry::Form::kPemFile);
  fail_unless(keys[3].form == KeyEntry::Form::kPemInline);
  fail_if(parse_key_list(kSecret + ",short", &keys, &err));
  fail_unless(err.find("key 2") == 0 && err.find("short") == std::string::npos, "%s", err.c_str());
  fail_unless(parse_key_list("", &keys, &err) && keys.empty());
  std::string many;
  for (int i = 0; i < 9; i++)
    many += kSecret + ",";
  fail_if(parse_key_list(many, &keys, &err));
}
GST_END_TEST;

GST_START_TEST(test_paths_and_claims) {
  fail_unless(path_granted({"/cam1"}, "/cam1"));
  fail_if(path_granted({"/cam1"}, "/cam10"));
  fail_if(path_granted({"/cam1"}, "/cam"));
  fail_unless(path_granted({"/cams/*"}, "/cams/1"));
  fail_if(path_granted({"/cams/*"}, "/cams"));
  fail_unless(path_granted({"*"}, "/anything"));
  fail_unless(path_granted({"*"}, ""));
  fail_if(path_granted({""}, ""));
  fail_if(path_granted({}, "/cam1"));

  ClaimRules rules;
  rules.leeway_s = 10;
  JwtClaims c;
  c.has_paths = true;
  c.paths = {"/cam1"};
  fail_unless(check_claims(rules, c, "/cam1", 1000) == ClaimVerdict::kNoExp);
  rules.require_exp = false;
  fail_unless(check_claims(rules, c, "/cam1", 1000) == ClaimVerdict::kOk);
  c.has_exp = true;
  c.exp = 1000;
  fail_unless(check_claims(rules, c, "/cam1", 1010) == ClaimVerdict::kOk); /* within the leeway */
  fail_unless(check_claims(rules, c, "/cam1", 1011) == ClaimVerdict::kExpired);
  c.has_nbf = true;
  c.nbf = 500;
  fail_unless(check_claims(rules, c, "/cam1", 490) == ClaimVerdict::kOk);
  fail_unless(check_claims(rules, c, "/cam1", 489) == ClaimVerdict::kNotYetValid);
  c.exp = INT64_MAX;
  c.nbf = INT64_MIN;
  fail_unless(check_claims(rules, c, "/cam1", 1000) == ClaimVerdict::kOk);
  rules.audience = "a";
  fail_unless(check_claims(rules, c, "/cam1", 1000) == ClaimVerdict::kWrongAudience);
  c.aud = {"b", "a"};
  fail_unless(check_claims(rules, c, "/cam1", 1000) == ClaimVerdict::kOk);
  rules.issuer = "i";
  fail_unless(check_claims(rules, c, "/cam1", 1000) == ClaimVerdict::kWrongIssuer);
  c.has_iss = true;
  c.iss = "i";
  fail_unless(check_claims(rules, c, "/cam1", 1000) == ClaimVerdict::kOk);
  fail_unless(check_claims(rules, c, "/cam2", 1000) == ClaimVerdict::kPathNotGranted);
  c.has_paths = false;
  fail_unless(check_claims(rules, c, "/cam1", 1000) == ClaimVerdict::kPathNotGranted);
}
GST_END_TEST;

GST_START_TEST(test_compact_form) {
  std::string_view h, p, s;
  fail_unless(split_compact_jws("aa.bb.cc", &h, &p, &s) && h == "aa" && p == "bb" && s == "cc");
  fail_unless(split_compact_jws("aa.bb.", &h, &p, &s) && s.empty());
  fail_if(split_compact_jws("aa.bb", &h, &p, &s));
  fail_if(split_compact_jws("aa.bb.cc.dd", &h, &p, &s));
  fail_if(split_compact_jws(".bb.cc", &h, &p, &s));
  fail_if(split_compact_jws("a=.bb.cc", &h, &p, &s));
  std::string out;
  fail_unless(base64url_decode("aGk", &out) && out == "hi");
  fail_unless(base64url_decode("", &out) && out.empty());
  fail_if(base64url_decode("a", &out));
  fail_if(base64url_decode("aGl", &out)); /* non-zero bits left over */
  fail_if(base64url_decode("aG+", &out));
}
GST_END_TEST;

GST_START_TEST(test_jwt_access) {
  auto jwt = std::make_shared<JwtAccess>();
  fail_if(jwt->configured());
  JwtSettings s;
  s.keys = kSecret;
  s.leeway_s = 5;
  std::string err;
  fail_unless(jwt->update(s, &err), "%s", err.c_str());
  fail_unless(jwt->configured());
  const std::string good = hs256(kSecret, "{\"exp\":2000,\"sse_paths\":[\"/c\"]}");
  TokenCheck r = jwt->check_at(good, "/c", 1000);
  fail_unless(r.result == TokenCheck::Result::kValid, "%s", r.why.c_str());
  fail_unless_equals_int(r.expires_at_s, 2005);
  fail_unless(jwt->check_at(good, "/d", 1000).result == TokenCheck::Result::kDenied);
  fail_unless(jwt->check_at(good, "/c", 2006).result == TokenCheck::Result::kExpired);
  /* Wrong secret, alg none, HS384, a flipped signature bit. */
  fail_unless(jwt->check_at(hs256(std::string(40, 'x'), "{\"exp\":2000,\"sse_paths\":[\"/c\"]}"), "/c", 1000).result ==
              TokenCheck::Result::kDenied);
  const std::string none = b64url("{\"alg\":\"none\"}") + "." + b64url("{\"exp\":2000,\"sse_paths\":[\"/c\"]}") + ".";
  fail_unless(jwt->check_at(none, "/c", 1000).result == TokenCheck::Result::kDenied);
  fail_unless(jwt->check_at(hs256(kSecret, "{\"exp\":2000,\"sse_paths\":[\"/c\"]}", "{\"alg\":\"HS384\"}"), "/c", 1000)
                  .result == TokenCheck::Result::kDenied);
  std::string flipped = good;
  flipped[flipped.size() - 2] = flipped[flipped.size() - 2] == 'A' ? 'B' : 'A';
  fail_unless(jwt->check_at(flipped, "/c", 1000).result == TokenCheck::Result::kDenied);
  fail_unless(jwt->check_at(std::string(kMaxTokenBytes + 1, 'a'), "/c", 1000).result == TokenCheck::Result::kDenied);

  /* Through check_access, as admission calls it: the path is the request's. */
  AccessConfig cfg;
  cfg.jwt = jwt;
  AccessRequest req;
  fail_unless(check_access(cfg, req) == AccessResult::kMissing);
  const std::string now_good =
      hs256(kSecret, "{\"exp\":" + std::to_string(time(nullptr) + 60) + ",\"sse_paths\":[\"/c\"]}");
  const std::string bearer = "Bearer " + now_good;
  req.authorization = bearer.c_str();
  req.path = "/c";
  AccessGrant g;
  fail_unless(check_access(cfg, req, &g) == AccessResult::kAllowed);
  fail_unless(g.expires_at_s == time(nullptr) + 65 || g.expires_at_s == time(nullptr) + 64);
  req.path = "/other";
  fail_unless(check_access(cfg, req, &g) == AccessResult::kDenied);
  fail_unless(g.why == "path not granted", "%s", g.why.c_str());
  const std::string old = hs256(kSecret, "{\"exp\":1000,\"sse_paths\":[\"/c\"]}");
  req.path = "/c";
  req.authorization = nullptr;
  req.query_token = old.c_str();
  fail_unless(check_access(cfg, req, &g) == AccessResult::kExpired);
  /* A static auth-token beside: either admits; the expired token alone does not. */
  cfg.token = "static";
  fail_unless(check_access(cfg, req) == AccessResult::kExpired);
  req.cookie = "sse_token=static";
  fail_unless(check_access(cfg, req) == AccessResult::kAllowed);

  /* Unusable keys are reported and left out; an empty list turns tokens off. */
  s.keys = kSecret + ",/nonexistent/key.pem";
  fail_if(jwt->update(s, &err));
  fail_unless(err.find("key 2 (/nonexistent/key.pem)") == 0, "%s", err.c_str());
  fail_unless(jwt->check_at(good, "/c", 1000).result == TokenCheck::Result::kValid);
  s.keys = "";
  fail_unless(jwt->update(s, &err));
  fail_if(jwt->configured());
}
GST_END_TEST;

static Suite *jwt_suite(void) {
  Suite *s = suite_create("jwt");
  TCase *tc = tcase_create("jwt");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_key_list);
  tcase_add_test(tc, test_paths_and_claims);
  tcase_add_test(tc, test_compact_form);
  tcase_add_test(tc, test_jwt_access);
  return s;
}

GST_CHECK_MAIN(jwt);
