/* The rules of the authorization callback (auth-url): what ssesink asks the
 * application (the JSON body of its POST), what each answer means, and the
 * cache of answers per credential. The HTTP side is auth-gate.h.
 *
 * Plain C++: no GLib, no GObject. AuthCache belongs to one gate and is used
 * on the server thread only; the rest are pure functions. */
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "defaults.h"

namespace gstsse {

/* The auth-* properties. */
struct AuthUrlConfig {
  std::string url;                                /* http:// or https://; empty: no callback */
  unsigned cache_ms = defaults::kAuthCacheMs;     /* how long an answer is reused; 0: never */
  unsigned timeout_ms = defaults::kAuthTimeoutMs; /* sent to answered; 0: libsoup's own */
  bool fail_open = defaults::kAuthFailOpen;       /* application down or failing: admit */
  std::string ca_file;                            /* https: PEM of the CAs to trust; empty: the system's */
};

/* What the request carries that the application may decide on; null
 * members are left out of the body. */
struct AuthQuestion {
  std::string path;              /* the stream's path */
  const char *address = nullptr; /* the client's IP address */
  const char *authorization = nullptr;
  const char *cookie = nullptr;
  const char *token = nullptr; /* ?token= */
};

/* {"path":"/cam1","address":"192.0.2.7","headers":{"authorization":"...",
 * "cookie":"..."},"token":"..."} */
std::string auth_request_json(const AuthQuestion &q);
/* The cache key: the credentials and the path (not the address: a
 * credential's answer is reused from any address). */
std::string auth_cache_key(const AuthQuestion &q);

enum class AuthVerdict {
  kAdmit,  /* 2xx: on to the stream's own checks */
  kRefuse, /* 401 or 403 from the application: that status to the client */
  kFailed, /* anything else, no answer, or the timeout: fail_open decides */
};
/* @status: the application's HTTP status, 0 when there was no answer. */
AuthVerdict auth_verdict(unsigned status);

/* Answers (the application's status) per cache key, for cache_ms. Holds at
 * most kMaxEntries; past that, expired entries go, then the oldest. */
class AuthCache {
 public:
  static constexpr size_t kMaxEntries = 4096;
  /* The cached status for @key at @now_us, or 0. */
  unsigned lookup(const std::string &key, int64_t now_us);
  void store(const std::string &key, unsigned status, int64_t now_us, unsigned ttl_ms);
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    unsigned status;
    int64_t expires_us;
  };
  std::map<std::string, Entry> entries_;
};

}  // namespace gstsse
