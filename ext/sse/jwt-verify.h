/* Signed access tokens (JWT) checked with libjwt: the keys of the jwt-*
 * properties, loaded (OpenSSL reads the PEM public keys, whose type
 * decides the algorithm) and swapped in whole, and the check of a token
 * for a path: signature (libjwt; HS256 also compared here in constant
 * time, as libjwt 1.10 compares with strcmp), then the claims
 * (jwt-rules.h).
 *
 * Threads: update() from application threads (the element's properties,
 * also while PLAYING), check() from the server thread or any other. The
 * keyring is immutable once built and held behind a shared pointer that
 * update() swaps under a mutex: a check uses the keys it started with,
 * the next one the new keys. Nothing here logs; nothing returns a token
 * or a secret in a message. */
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "access.h"
#include "defaults.h"
#include "jwt-rules.h"

namespace gstsse {

/* What the jwt-* properties say. */
struct JwtSettings {
  std::string keys; /* jwt-key: comma-separated secrets / PEM paths / inline PEM; empty: off */
  std::string audience, issuer;
  unsigned leeway_s = defaults::kJwtLeewayS;
  bool require_exp = defaults::kJwtRequireExp;
};

/* Tokens longer than this are refused unread. */
constexpr size_t kMaxTokenBytes = 8192;

class JwtAccess final : public TokenVerifier {
 public:
  JwtAccess();
  ~JwtAccess() override;

  /* Builds the keyring of @s and swaps it in. Keys that cannot be used are
   * left out (tokens they would verify are refused); false, with @error
   * saying which and why, when there was one. */
  bool update(const JwtSettings &s, std::string *error);
  JwtSettings settings() const;
  /* The error of the last update(); empty when every key was usable. */
  std::string error() const;

  bool configured() const override;
  TokenCheck check(std::string_view token, std::string_view path) const override;
  /* The same at @now_s (seconds since the epoch), for tests. */
  TokenCheck check_at(std::string_view token, std::string_view path, int64_t now_s) const;

  struct Keyring;

 private:
  std::shared_ptr<const Keyring> ring() const;
  mutable std::mutex mutex_;
  std::shared_ptr<const Keyring> ring_;
};

}  // namespace gstsse
