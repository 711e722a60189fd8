/* Token rules without cryptography; see jwt-rules.h. */
#include "jwt-rules.h"

namespace gstsse {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

int b64url_value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '-')
    return 62;
  if (c == '_')
    return 63;
  return -1;
}

bool all_b64url(std::string_view s) {
  for (char c : s)
    if (b64url_value(c) < 0)
      return false;
  return true;
}

}  // namespace

const char *algorithm_of(KeyKind kind) {
  switch (kind) {
    case KeyKind::kHmac: return "HS256";
    case KeyKind::kRsa: return "RS256";
    case KeyKind::kEc: return "ES256";
  }
  return "";
}

bool parse_key_list(std::string_view spec, std::vector<KeyEntry> *out, std::string *error) {
  out->clear();
  size_t n = 0;
  while (!spec.empty()) {
    const size_t comma = spec.find(',');
    const std::string_view item = trim(spec.substr(0, comma));
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    n++;
    if (item.empty())
      continue;
    KeyEntry e;
    e.text.assign(item);
    if (starts_with(item, "-----BEGIN"))
      e.form = KeyEntry::Form::kPemInline;
    else if (starts_with(item, "/") || starts_with(item, "./") || starts_with(item, "../"))
      e.form = KeyEntry::Form::kPemFile;
    else if (item.size() < kMinSecretBytes) {
      *error = "key " + std::to_string(n) + " is a secret of " + std::to_string(item.size()) +
               " bytes; HS256 needs at least " + std::to_string(kMinSecretBytes);
      return false;
    }
    if (out->size() == kMaxKeys) {
      *error = "more than " + std::to_string(kMaxKeys) + " keys";
      return false;
    }
    out->push_back(std::move(e));
  }
  return true;
}

const char *describe(ClaimVerdict v) {
  switch (v) {
    case ClaimVerdict::kOk: return "valid";
    case ClaimVerdict::kNoExp: return "token has no exp";
    case ClaimVerdict::kExpired: return "token expired";
    case ClaimVerdict::kNotYetValid: return "token not yet valid";
    case ClaimVerdict::kWrongAudience: return "wrong audience";
    case ClaimVerdict::kWrongIssuer: return "wrong issuer";
    case ClaimVerdict::kPathNotGranted: return "path not granted";
  }
  return "?";
}

bool path_granted(const std::vector<std::string> &grants, std::string_view path) {
  for (const std::string &g : grants) {
    if (!g.empty() && g.back() == '*') {
      if (starts_with(path, std::string_view(g).substr(0, g.size() - 1)))
        return true;
    } else if (!path.empty() && g == path) {
      return true;
    }
  }
  return false;
}

ClaimVerdict check_claims(const ClaimRules &rules, const JwtClaims &claims, std::string_view path, int64_t now_s) {
  const int64_t leeway = rules.leeway_s < 0 ? 0 : rules.leeway_s;
  if (!claims.has_exp && rules.require_exp)
    return ClaimVerdict::kNoExp;
  /* Compared without overflow: claims come from the token. */
  if (claims.has_exp && now_s - leeway > claims.exp)
    return ClaimVerdict::kExpired;
  if (claims.has_nbf && now_s + leeway < claims.nbf)
    return ClaimVerdict::kNotYetValid;
  if (!rules.audience.empty()) {
    bool found = false;
    for (const auto &a : claims.aud)
      found |= a == rules.audience;
    if (!found)
      return ClaimVerdict::kWrongAudience;
  }
  if (!rules.issuer.empty() && (!claims.has_iss || claims.iss != rules.issuer))
    return ClaimVerdict::kWrongIssuer;
  if (!claims.has_paths || !path_granted(claims.paths, path))
    return ClaimVerdict::kPathNotGranted;
  return ClaimVerdict::kOk;
}

bool split_compact_jws(std::string_view token, std::string_view *header, std::string_view *payload,
                       std::string_view *signature) {
  const size_t a = token.find('.');
  if (a == std::string_view::npos)
    return false;
  const size_t b = token.find('.', a + 1);
  if (b == std::string_view::npos || token.find('.', b + 1) != std::string_view::npos)
    return false;
  *header = token.substr(0, a);
  *payload = token.substr(a + 1, b - a - 1);
  *signature = token.substr(b + 1);
  return !header->empty() && !payload->empty() && all_b64url(*header) && all_b64url(*payload) && all_b64url(*signature);
}

bool base64url_decode(std::string_view in, std::string *out) {
  out->clear();
  if (in.size() % 4 == 1)
    return false;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = b64url_value(c);
    if (v < 0)
      return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  /* The bits left over must be zero (a canonical encoding). */
  return (acc & ((1u << bits) - 1)) == 0;
}

}  // namespace gstsse
