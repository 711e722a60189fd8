/* Who may read a stream, and what the browser is told about it: token and
 * HTTP Basic checks and the CORS decision.
 *
 * Plain C++: no GLib, no GObject. Everything here reads untrusted input
 * (headers, query strings) and is fuzzed (tests/fuzz/). */
#pragma once

#include <cstdint>
#include <memory>
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

/* What a signed token (JWT) says for a path: checked by JwtAccess
 * (jwt-verify.h, libjwt), which any thread may call. */
struct TokenCheck {
  enum class Result { kValid, kExpired, kDenied };
  Result result = Result::kDenied;
  int64_t expires_at_s = 0; /* kValid: when it stops being valid (exp + leeway); 0: never */
  std::string why;          /* for the log; never the token */
};
class TokenVerifier {
 public:
  virtual ~TokenVerifier() = default;
  /* Tokens are checked at all (a key is set, usable or not). */
  virtual bool configured() const = 0;
  virtual TokenCheck check(std::string_view token, std::string_view path) const = 0;
};

struct AccessConfig {
  std::string token;      /* empty: no token needed */
  std::string basic_auth; /* "user:password"; empty: no Basic auth */
  /* Signed tokens, read where the token is; null or not configured(): none.
   * Shared with the element, whose jwt-* properties change it while
   * running: each check uses the keys of that moment. */
  std::shared_ptr<const TokenVerifier> jwt;
};

struct AccessRequest {
  const char *authorization = nullptr; /* header values, or null */
  const char *cookie = nullptr;
  const char *query_token = nullptr; /* ?token= */
  /* The stream path asked for, which a signed token must grant (its
   * sse_paths claim); null: "" (granted by "*" only). */
  const char *path = nullptr;
};

/* kMissing: no credentials at all (401); kExpired: a signed token that has
 * expired or is not valid yet, and nothing else that admits (401, get a new
 * token); kDenied: wrong ones (403). With several configured (auth-token,
 * basic-auth, jwt-key), any one admits. */
enum class AccessResult { kAllowed, kMissing, kDenied, kExpired };

/* What an admitting (or refused) check learnt. */
struct AccessGrant {
  int64_t expires_at_s = 0; /* admitted by a signed token: when it expires; 0: never */
  std::string why;          /* refused: why, for the log (never a secret) */
};

AccessResult check_access(const AccessConfig &cfg, const AccessRequest &req, AccessGrant *grant = nullptr);

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
