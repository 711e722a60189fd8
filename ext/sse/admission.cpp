/* Request admission for a stream's path; see admission.h. */
#include "admission.h"

#include <algorithm>

namespace gstsse {
namespace {

void set(Admission &a, const char *name, std::string value) {
  a.headers.push_back({name, std::move(value), false});
}

std::string retry_after(unsigned retry_ms) {
  return std::to_string(std::max(1u, retry_ms / 1000));
}

/* Credentials and limits; false when refused (@a says how). */
bool admit(const AdmissionConfig &cfg, const AdmissionRequest &req, Admission &a) {
  const std::string remote = req.remote ? req.remote : "";
  AccessRequest creds = req.credentials;
  if (!cfg.path.empty())
    creds.path = cfg.path.c_str();
  AccessGrant grant;
  switch (check_access(cfg.access, creds, &grant)) {
    case AccessResult::kAllowed: a.expires_at_s = grant.expires_at_s; break;
    case AccessResult::kMissing:
      a.refusal = "refusing " + remote + ": no credentials";
      set(a, "WWW-Authenticate",
          cfg.access.basic_auth.empty() ? "Bearer realm=\"ssesink\"" : "Basic realm=\"ssesink\", charset=\"UTF-8\"");
      a.status = 401;
      return false;
    case AccessResult::kExpired:
      /* RFC 6750: a token that has expired (or is not valid yet): get a new one. */
      a.refusal = "refusing " + remote + ": " + grant.why;
      set(a, "WWW-Authenticate",
          "Bearer realm=\"ssesink\", error=\"invalid_token\", error_description=\"" + grant.why + "\"");
      a.status = 401;
      return false;
    case AccessResult::kDenied:
      a.refusal = "refusing " + remote + ": " + grant.why;
      a.status = 403;
      return false;
  }
  if (cfg.max_clients && req.num_clients >= cfg.max_clients) {
    a.refusal = "refusing " + remote + ": max-clients (" + std::to_string(cfg.max_clients) + ") reached";
    set(a, "Retry-After", retry_after(cfg.retry_ms));
    a.status = 503;
    return false;
  }
  if (cfg.max_clients_per_address && req.remote && req.clients_from &&
      req.clients_from(req.remote) >= cfg.max_clients_per_address) {
    a.refusal = "refusing " + remote + ": max-clients-per-address (" + std::to_string(cfg.max_clients_per_address) +
                ") reached";
    set(a, "Retry-After", retry_after(cfg.retry_ms));
    a.status = 429;
    a.reason_phrase = "Too Many Requests";
    return false;
  }
  return true;
}

}  // namespace

Admission decide_admission(const AdmissionConfig &cfg, const AdmissionRequest &req) {
  Admission a;
  /* CORS headers go on every answer, errors included, so a page can tell a
   * 401 from a network failure. */
  const CorsDecision cors = decide_cors(cfg.cors, req.origin);
  if (!cors.allow_origin.empty())
    set(a, "Access-Control-Allow-Origin", cors.allow_origin);
  if (cors.allow_credentials)
    set(a, "Access-Control-Allow-Credentials", "true");
  if (cors.vary_origin)
    a.headers.push_back({"Vary", "Origin", true});

  if (req.method == "OPTIONS") {
    set(a, "Allow", "GET, HEAD, OPTIONS");
    if (!cors.allow_origin.empty()) {
      set(a, "Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
      set(a, "Access-Control-Allow-Headers", "Last-Event-ID, Authorization, Cache-Control");
      set(a, "Access-Control-Max-Age", "600");
    }
    a.status = 204;
    return a;
  }
  if (req.method != "GET" && req.method != "HEAD") {
    set(a, "Allow", "GET, HEAD, OPTIONS");
    a.status = 405;
    return a;
  }
  if (cfg.max_request_header_bytes && req.header_bytes > cfg.max_request_header_bytes) {
    a.status = 431;
    a.reason_phrase = "Request Header Fields Too Large";
    return a;
  }
  if (!admit(cfg, req, a))
    return a;

  a.status = 200;
  set(a, "Content-Type", "text/event-stream");
  set(a, "Cache-Control", "no-cache");
  set(a, "X-Accel-Buffering", "no");
  a.open_stream = req.method == "GET";
  return a;
}

}  // namespace gstsse
