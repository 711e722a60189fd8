/* The authorization callback (auth-url) of one stream: for each new
 * request to the stream (its events or its snapshot), one POST to the
 * application with the path, the client's address and its credentials
 * (auth-url.h), answered from a cache per credential for auth-cache-ms.
 * While it waits, the request is paused; 2xx lets it on to the stream's own
 * checks, 401/403 are passed on, and anything else (no answer within
 * auth-timeout-ms, the application down, another status) refuses with 503,
 * or admits with auth-fail-open.
 *
 * Threads: the server thread only. It owns its SoupSession, made on the
 * server thread's GMainContext, so the POSTs' callbacks run there; nothing
 * blocks. Made by Server::add_stream, dropped with the stream's handler
 * (remove_stream): requests still waiting then get 503. */
#pragma once

#include <libsoup/soup.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "access.h"
#include "auth-url.h"

namespace gstsse {

class AuthGate : public std::enable_shared_from_this<AuthGate> {
 public:
  using AdmitFn = std::function<void(SoupServerMessage *msg, GHashTable *query)>;

  /* @path: the stream's; @cors_origin: its cors-origin (the CORS headers of
   * a refusal); @log: the element, named in log lines (not owned). */
  AuthGate(AuthUrlConfig config, std::string path, const std::string &cors_origin, GObject *log);
  ~AuthGate();
  AuthGate(const AuthGate &) = delete;
  AuthGate &operator=(const AuthGate &) = delete;

  /* A request to the stream: @admit runs (now, or once the application
   * answered) when it may go on; else its status is set here. Methods other
   * than GET and HEAD go on at once (the stream answers them). */
  void check(SoupServerMessage *msg, GHashTable *query, AdmitFn admit);

  /* POSTs made so far, for tests' figures and the log. */
  uint64_t calls() const { return calls_; }

 private:
  struct Pending;
  void answered(uint64_t id, unsigned status, bool timed_out);
  void decide(SoupServerMessage *msg, GHashTable *query, const AdmitFn &admit, unsigned status, bool cached);
  void refuse(SoupServerMessage *msg, unsigned status);

  const AuthUrlConfig config_;
  const std::string path_;
  const CorsPolicy cors_;
  GObject *log_;
  SoupSession *session_ = nullptr;
  AuthCache cache_;
  std::map<uint64_t, std::unique_ptr<Pending>> pending_;
  uint64_t next_id_ = 1;
  uint64_t calls_ = 0;
};

}  // namespace gstsse
