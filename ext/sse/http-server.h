/* The HTTP side of ssesink: one libsoup server per address and port, on its
 * own LoopThread, serving any number of streams (one per ssesink, stream.h),
 * each on its own path, and the player's files on every other path.
 *
 * Owns: the registry of running servers (elements on one port share one),
 * listening (TLS included), the request-header timeout, routing a request
 * to its stream, the web files (web-files.h), and the metrics page of every
 * stream on the port with the server's own counters (metrics.h; the streams'
 * metrics-path, docs/operations.md).
 *
 * Threads: the server thread owns the SoupServer, every SoupServerMessage,
 * every client connection and all per-client state; nothing else touches
 * them. Application threads call acquire(), add_stream() and
 * remove_stream(), which run their work on the server thread and wait for
 * it. The last reference must not be dropped on the server thread. */
#pragma once

#include <gio/gio.h>

#include <memory>
#include <string>

#include "defaults.h"
#include "loop-thread.h"
#include "stream.h"

namespace gstsse {

/* Settings of a listening server; every stream sharing it must agree. */
struct ServerConfig {
  std::string cert_file, key_file;                           /* PEM; both empty: plain HTTP */
  GTlsCertificate *cert = nullptr;                           /* instead of the files (not owned) */
  unsigned request_timeout_ms = defaults::kRequestTimeoutMs; /* time to send the request headers; 0: none */
  bool same_as(const ServerConfig &o) const {
    return cert_file == o.cert_file && key_file == o.key_file && cert == o.cert &&
           request_timeout_ms == o.request_timeout_ms;
  }
};

class Server {
 public:
  /* Returns the running server for @address:@port, or starts one (binding
   * every address @address resolves to). Port 0 always starts a new server
   * on a free port. On failure returns nullptr and sets @error (G_IO_ERROR,
   * message naming the address, the port and the system's reason). */
  static std::shared_ptr<Server> acquire(const std::string &address, int port, const ServerConfig &config,
                                         GError **error);

  ~Server();
  Server(const Server &) = delete;
  Server &operator=(const Server &) = delete;

  /* Serves @stream at its path; fails if another stream has that path. */
  bool add_stream(const std::shared_ptr<Stream> &stream, GError **error);
  /* Stops serving @stream: after eos, clients still writing their last
   * events get up to a second to finish; then its clients are closed
   * (reason shutdown) and client-removed is emitted for each before this
   * returns. */
  void remove_stream(const std::shared_ptr<Stream> &stream);

  int port() const { return port_; }
  /* The server thread's context. */
  GMainContext *context() const { return thread_.context(); }

  struct Impl;

 private:
  Server() = default;
  bool start(const std::string &address, int port, GError **error);
  bool setup(const std::string &address, int port, GError **error);
  ServerConfig config_;

  LoopThread thread_;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace gstsse
