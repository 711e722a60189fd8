/* The authorization callback's rules; see auth-url.h. */
#include "auth-url.h"

#include "event-encoder.h" /* json_append_string */

namespace gstsse {

std::string auth_request_json(const AuthQuestion &q) {
  std::string j = "{\"path\":";
  json_append_string(j, q.path);
  if (q.address) {
    j += ",\"address\":";
    json_append_string(j, q.address);
  }
  j += ",\"headers\":{";
  bool first = true;
  for (const auto &h : {std::make_pair("authorization", q.authorization), std::make_pair("cookie", q.cookie)}) {
    if (!h.second)
      continue;
    if (!first)
      j += ",";
    first = false;
    json_append_string(j, h.first);
    j += ":";
    json_append_string(j, h.second);
  }
  j += "}";
  if (q.token) {
    j += ",\"token\":";
    json_append_string(j, q.token);
  }
  return j + "}";
}

std::string auth_cache_key(const AuthQuestion &q) {
  /* Each part with its length, so that no two questions share a key. */
  std::string k;
  for (const char *part : {q.path.c_str(), q.authorization, q.cookie, q.token}) {
    if (!part) {
      k += "-;";
      continue;
    }
    const std::string_view v(part);
    k += std::to_string(v.size()) + ":";
    k += v;
    k += ";";
  }
  return k;
}

AuthVerdict auth_verdict(unsigned status) {
  if (status >= 200 && status < 300)
    return AuthVerdict::kAdmit;
  if (status == 401 || status == 403)
    return AuthVerdict::kRefuse;
  return AuthVerdict::kFailed;
}

unsigned AuthCache::lookup(const std::string &key, int64_t now_us) {
  auto it = entries_.find(key);
  if (it == entries_.end())
    return 0;
  if (now_us >= it->second.expires_us) {
    entries_.erase(it);
    return 0;
  }
  return it->second.status;
}

void AuthCache::store(const std::string &key, unsigned status, int64_t now_us, unsigned ttl_ms) {
  if (ttl_ms == 0)
    return;
  if (entries_.size() >= kMaxEntries && !entries_.count(key)) {
    for (auto it = entries_.begin(); it != entries_.end();)
      it = now_us >= it->second.expires_us ? entries_.erase(it) : std::next(it);
    if (entries_.size() >= kMaxEntries) {
      auto oldest = entries_.begin();
      for (auto it = entries_.begin(); it != entries_.end(); ++it)
        if (it->second.expires_us < oldest->second.expires_us)
          oldest = it;
      entries_.erase(oldest);
    }
  }
  entries_[key] = Entry{status, now_us + int64_t{ttl_ms} * 1000};
}

}  // namespace gstsse
