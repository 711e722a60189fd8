/* Who may read a stream, and what the browser is told about it: token and
 * HTTP Basic checks and the CORS decision.
 *
 * Plain C++: no GLib, no GObject. Everything here reads untrusted input
 * (headers, query strings) and is fuzzed (tests/fuzz/). */
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gstsse {

/* Compares in time that depends only on the lengths, not on where the
 * strings differ. */
bool constant_time_equals(std::string_view a, std::string_view b);

/* The value of cookie @name in a Cookie header, or false. */
bool find_cookie(std::string_view cookie_header, std::string_view name, std::string *value);

/* "Basic <base64 user:password>" -> "user:password"; false when malformed. */
bool parse_basic_auth(std::string_view authorization, std::string *credentials);

/* "Bearer <token>" -> "token"; false otherwise. */
bool parse_bearer(std::string_view authorization, std::string *token);

struct AccessConfig {
  std::string token;      /* empty: no token needed */
  std::string basic_auth; /* "user:password"; empty: no Basic auth */
};

struct AccessRequest {
  const char *authorization = nullptr; /* header values, or null */
  const char *cookie = nullptr;
  const char *query_token = nullptr; /* ?token= */
};

enum class AccessResult { kAllowed, kMissing, kDenied };

/* kMissing: no credentials at all (401); kDenied: wrong ones (403). With
 * both a token and Basic auth configured, either one admits. */
AccessResult check_access(const AccessConfig &cfg, const AccessRequest &req);

/* Allowed origins: "*" (any, never with credentials) or a comma-separated
 * list of exact origins ("https://a.example, http://localhost:3000"). */
struct CorsPolicy {
  bool any = false;
  std::vector<std::string> origins;
};
CorsPolicy parse_cors_origins(std::string_view spec);

struct CorsDecision {
  std::string allow_origin; /* empty: send no CORS headers */
  bool allow_credentials = false;
  bool vary_origin = false; /* the answer depends on Origin */
};
CorsDecision decide_cors(const CorsPolicy &policy, const char *origin);

}  // namespace gstsse
