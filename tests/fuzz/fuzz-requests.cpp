/* libFuzzer target: everything ssesink parses from a request: the
 * Last-Event-ID decision, cookies, Authorization, CORS lists and origins,
 * and the admission that puts them together. */
#include <cstdint>
#include <cstdlib>
#include <string>

#include "access.h"
#include "admission.h"
#include "resume.h"

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

  std::string v;
  gstsse::find_cookie(in, "sse_token", &v);
  gstsse::parse_basic_auth(in, &v);
  gstsse::parse_bearer(in, &v);
  const std::string nul = in.substr(0, in.find('\0'));
  gstsse::AccessConfig cfg;
  cfg.token = "secret";
  cfg.basic_auth = "u:p";
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
