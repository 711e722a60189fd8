/* libFuzzer target: everything ssesink parses from a request: the
 * Last-Event-ID decision, cookies, Authorization, CORS lists and origins,
 * signed tokens (the input as a token, and the input as the payload of a
 * token signed here, so that libjwt's and our claims parsing see it), and
 * the admission that puts them together. */

#include <cstdint>
#include <cstdlib>
#include <string>

#include "access.h"
#include "admission.h"
#include "jwt-mint.h"
#include "jwt-rules.h"
#include "jwt-verify.h"
#include "resume.h"

namespace {

const std::string kJwtSecret = "fuzz-secret-of-at-least-32-bytes-long";

/* @payload signed with kJwtSecret (HS256). */
std::string signed_token(const std::string &payload) {
  return gstsse_test::mint_hs256(kJwtSecret, payload);
}

std::shared_ptr<gstsse::JwtAccess> make_jwt() {
  auto j = std::make_shared<gstsse::JwtAccess>();
  gstsse::JwtSettings s;
  s.keys = kJwtSecret;
  s.audience = "a";
  j->update(s, nullptr);
  return j;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string in(reinterpret_cast<const char *>(data), size);

  gstsse::BacklogView b;
  b.run_first_seq = 1000;
  b.backlog_first = 1100;
  b.last_seq = 1200;
  const auto d = gstsse::decide_resume(in, b);
  if (d.kind == gstsse::ResumeDecision::Kind::kResume && (d.next_seq < 1100 || d.next_seq > 1201))
    abort();
  uint64_t id = 0;
  if (gstsse::parse_event_id(in, &id) && std::to_string(id).size() > in.size())
    abort();

  /* Signed tokens: the input never carries a valid signature of ours. */
  static const std::shared_ptr<gstsse::JwtAccess> jwt = make_jwt();
  const std::string nul0 = in.substr(0, in.find('\0'));
  if (jwt->check_at(nul0, "/stream", 1000).result == gstsse::TokenCheck::Result::kValid)
    abort();
  const gstsse::TokenCheck signed_check = jwt->check_at(signed_token(in), "/stream", 1000);
  if (signed_check.result == gstsse::TokenCheck::Result::kValid && signed_check.expires_at_s < 1000)
    abort(); /* admitted after its exp + leeway */
  std::vector<gstsse::KeyEntry> keys;
  std::string key_error;
  gstsse::parse_key_list(in, &keys, &key_error);
  std::string_view jh, jp, js;
  gstsse::split_compact_jws(in, &jh, &jp, &js);
  std::string decoded;
  gstsse::base64url_decode(in, &decoded);
  if (gstsse::path_granted({in}, "/stream") && in != "/stream" && (in.empty() || in.back() != '*'))
    abort();

  std::string v;
  gstsse::find_cookie(in, "sse_token", &v);
  gstsse::parse_basic_auth(in, &v);
  gstsse::parse_bearer(in, &v);
  const std::string nul = in.substr(0, in.find('\0'));
  gstsse::AccessConfig cfg;
  cfg.token = "secret";
  cfg.basic_auth = "u:p";
  cfg.jwt = jwt;
  gstsse::AccessRequest req;
  req.authorization = nul.c_str();
  req.cookie = nul.c_str();
  req.query_token = nul.c_str();
  if (gstsse::check_access(cfg, req) == gstsse::AccessResult::kAllowed && nul.find("secret") == std::string::npos &&
      nul.find("dTpw") == std::string::npos)
    abort(); /* admitted without the secret in the input */
  const auto policy = gstsse::parse_cors_origins(in);
  const auto cors = gstsse::decide_cors(policy, nul.c_str());
  if (cors.allow_credentials && cors.allow_origin == "*")
    abort();

  /* The whole admission, with the input as every header and the method. */
  gstsse::AdmissionConfig acfg;
  acfg.access = cfg;
  acfg.cors = policy;
  acfg.max_clients_per_address = 2;
  acfg.max_request_header_bytes = 64;
  gstsse::AdmissionRequest areq;
  areq.method = in.size() % 2 ? "GET" : nul;
  areq.header_bytes = in.size();
  areq.origin = nul.c_str();
  areq.remote = nul.c_str();
  areq.credentials = req;
  areq.clients_from = [](const char *remote) { return static_cast<unsigned>(remote[0] & 3); };
  const auto adm = gstsse::decide_admission(acfg, areq);
  if (adm.open_stream && (adm.status != 200 || areq.method != "GET"))
    abort();
  if (adm.status == 200 && areq.method == "GET" && in.size() > 64)
    abort(); /* over the header limit */
  return 0;
}
