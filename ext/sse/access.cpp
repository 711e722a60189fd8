/* Access checks and CORS; see access.h. */
#include "access.h"

#include <cstdint>

namespace gstsse {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size())
    return false;
  for (size_t i = 0; i < prefix.size(); i++) {
    char a = s[i], b = prefix[i];
    if (a >= 'A' && a <= 'Z')
      a = static_cast<char>(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z')
      b = static_cast<char>(b - 'A' + 'a');
    if (a != b)
      return false;
  }
  return true;
}

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

bool base64_decode(std::string_view in, std::string *out) {
  if (in.empty() || in.size() % 4 != 0 || in.size() > 8192)
    return false;
  out->clear();
  for (size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; k++) {
      const char c = in[i + static_cast<size_t>(k)];
      if (c == '=' && i + 4 == in.size() && k >= 2) {
        v[k] = 0;
        pad++;
        continue;
      }
      if (pad)
        return false; /* data after padding */
      v[k] = b64_value(c);
      if (v[k] < 0)
        return false;
    }
    const uint32_t n = (uint32_t(v[0]) << 18) | (uint32_t(v[1]) << 12) | (uint32_t(v[2]) << 6) | uint32_t(v[3]);
    out->push_back(static_cast<char>(n >> 16));
    if (pad < 2)
      out->push_back(static_cast<char>((n >> 8) & 0xff));
    if (pad < 1)
      out->push_back(static_cast<char>(n & 0xff));
  }
  return true;
}

}  // namespace

bool constant_time_equals(std::string_view a, std::string_view b) {
  /* Walk the longer one so the time does not reveal a matching prefix. */
  const size_t n = a.size() > b.size() ? a.size() : b.size();
  unsigned diff = static_cast<unsigned>(a.size() ^ b.size());
  for (size_t i = 0; i < n; i++) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

bool find_cookie(std::string_view header, std::string_view name, std::string *value) {
  while (!header.empty()) {
    const size_t semi = header.find(';');
    std::string_view pair = trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos)
      continue;
    if (trim(pair.substr(0, eq)) != name)
      continue;
    std::string_view v = trim(pair.substr(eq + 1));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"')
      v = v.substr(1, v.size() - 2);
    value->assign(v);
    return true;
  }
  return false;
}

bool parse_basic_auth(std::string_view authorization, std::string *credentials) {
  std::string_view a = trim(authorization);
  if (!starts_with_ci(a, "basic "))
    return false;
  return base64_decode(trim(a.substr(6)), credentials);
}

bool parse_bearer(std::string_view authorization, std::string *token) {
  std::string_view a = trim(authorization);
  if (!starts_with_ci(a, "bearer "))
    return false;
  const std::string_view t = trim(a.substr(7));
  if (t.empty())
    return false;
  token->assign(t);
  return true;
}

AccessResult check_access(const AccessConfig &cfg, const AccessRequest &req, AccessGrant *grant) {
  const bool jwt = cfg.jwt && cfg.jwt->configured();
  if (cfg.token.empty() && cfg.basic_auth.empty() && !jwt)
    return AccessResult::kAllowed;
  bool offered = false;
  bool ok = false;
  bool expired = false;
  std::string why;
  const std::string_view path = req.path ? req.path : "";
  auto try_token = [&](std::string_view t) {
    offered = true;
    if (!cfg.token.empty() && constant_time_equals(t, cfg.token)) {
      ok = true;
      if (grant)
        grant->expires_at_s = 0;
      return;
    }
    if (!jwt || ok)
      return;
    const TokenCheck c = cfg.jwt->check(t, path);
    if (c.result == TokenCheck::Result::kValid) {
      ok = true;
      if (grant)
        grant->expires_at_s = c.expires_at_s;
      return;
    }
    expired |= c.result == TokenCheck::Result::kExpired;
    why = c.why;
  };
  std::string v;
  if (!cfg.token.empty() || jwt) {
    if (req.query_token)
      try_token(req.query_token);
    if (req.cookie && find_cookie(req.cookie, "sse_token", &v))
      try_token(v);
    if (req.authorization && parse_bearer(req.authorization, &v))
      try_token(v);
  }
  if (!cfg.basic_auth.empty() && req.authorization && parse_basic_auth(req.authorization, &v)) {
    offered = true;
    ok |= constant_time_equals(v, cfg.basic_auth);
  }
  if (ok)
    return AccessResult::kAllowed;
  if (grant)
    grant->why = why.empty() ? (offered ? "wrong credentials" : "no credentials") : why;
  if (expired)
    return AccessResult::kExpired;
  return offered ? AccessResult::kDenied : AccessResult::kMissing;
}

CorsPolicy parse_cors_origins(std::string_view spec) {
  CorsPolicy p;
  while (!spec.empty()) {
    const size_t comma = spec.find(',');
    const std::string_view item = trim(spec.substr(0, comma));
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    if (item == "*")
      p.any = true;
    else if (!item.empty())
      p.origins.emplace_back(item);
  }
  return p;
}

CorsDecision decide_cors(const CorsPolicy &policy, const char *origin) {
  CorsDecision d;
  d.vary_origin = !policy.origins.empty();
  if (origin && *origin) {
    for (const auto &o : policy.origins) {
      if (o == origin) {
        d.allow_origin = o;
        d.allow_credentials = true;
        return d;
      }
    }
  }
  if (policy.any)
    d.allow_origin = "*";
  return d;
}

}  // namespace gstsse
