/* The HTTP side of ssesink: one libsoup server per address and port, on its
 * own thread, serving any number of streams (one per ssesink), each on its
 * own path.
 *
 * Threads:
 *  - The server thread owns the SoupServer, every SoupServerMessage, every
 *    client connection and all per-client state. Nothing else touches them.
 *    libsoup reads a stream request and writes the response headers; then
 *    the connection is taken from it and the body is written here, one
 *    non-blocking write per run of events (body-frame.h).
 *  - The streaming thread calls Stream::publish(), Stream::set_caps() and
 *    Stream::set_stream_info(): they queue under a short lock and wake the
 *    server thread; they never wait for a client.
 *  - Application threads call Server::acquire()/add_stream()/remove_stream(),
 *    which run their work on the server thread and wait for it, and the
 *    read-only Stream getters. */
#pragma once

#include <gio/gio.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "access.h"
#include "client-queue.h"
#include "event.h"
#include "loop-thread.h"

namespace gstsse {

/* Why a client went away; mirrors GstSseSinkClientRemoveReason. */
enum class RemoveReason { kClosed = 0, kSlow = 1, kError = 2, kShutdown = 3, kEos = 4 };

struct StreamConfig {
  std::string path = "/stream";
  unsigned max_clients = 0;         /* 0: unlimited */
  unsigned keepalive_interval = 15; /* seconds; 0: off */
  unsigned retry_ms = 2000;
  std::string cors_origin;              /* "*" or a comma-separated list of origins; empty: no CORS headers */
  AccessConfig access;                  /* token and/or Basic credentials; empty: open */
  unsigned max_clients_per_address = 0; /* 0: unlimited */
  unsigned max_request_header_bytes = 16384;
  uint64_t max_client_bytes = 8 * 1024 * 1024;  /* hard limit; 0: none */
  uint64_t soft_max_client_bytes = 1024 * 1024; /* 0: none */
  unsigned max_client_lag_ms = 0;               /* hard; 0: none */
  unsigned soft_max_client_lag_ms = 3000;       /* 0: none */
  RecoverPolicy recover_policy = RecoverPolicy::kKeyframe;
  unsigned write_timeout_ms = 15000; /* no progress while data waits; 0: none */
  uint64_t backlog_bytes = 32 * 1024 * 1024;
  unsigned backlog_time_ms = 10000;
  bool request_keyframe = false;
  unsigned keyframe_request_interval_ms = 1000;
  std::string web_root; /* empty: serve the player compiled into the plugin */
};

struct ClientStats {
  uint32_t id = 0;
  std::string remote_address;
  uint64_t bytes_sent = 0;
  uint64_t events_sent = 0;
  uint64_t events_dropped = 0;
  uint64_t queued_bytes = 0;
  int64_t connected_us = 0; /* monotonic time of connection */
};

class Server;

class Stream : public EventSink {
 public:
  using AddedFn = std::function<void(uint32_t id, const std::string &remote)>;
  using RemovedFn = std::function<void(uint32_t id, RemoveReason reason)>;
  using KeyframeFn = std::function<void()>;

  Stream(StreamConfig config, uint64_t first_seq);
  ~Stream() override;

  /* Called on the server thread, with no lock held. Set before add_stream. */
  AddedFn on_client_added;
  RemovedFn on_client_removed;
  /* A client joined and request_keyframe is set (rate-limited). */
  KeyframeFn on_keyframe_wanted;

  /* Streaming thread (or whoever holds the element's chunk lock: events
   * keep the order of these calls). set_caps() and set_stream_info() queue
   * a `stream` event when what it says changes: @caps, and @fields, more
   * members of its JSON (StreamInfo::json_fields(), stream-info.h). */
  void publish(std::vector<EventPtr> events) override;
  void set_caps(const std::string &caps) override;
  void set_stream_info(const std::string &fields) override;

  /* Any thread. */
  unsigned num_clients() const { return num_clients_.load(); }
  uint64_t bytes_served() const { return bytes_served_.load(); }
  bool client_stats(uint32_t id, ClientStats *out) const;
  const StreamConfig &config() const { return config_; }
  uint64_t first_seq() const { return first_seq_; }

 private:
  friend class Server;
  struct Client;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  StreamConfig config_;
  uint64_t first_seq_;
  std::atomic<unsigned> num_clients_{0};
  std::atomic<uint64_t> bytes_served_{0};
};

/* Settings of a listening server; every stream sharing it must agree. */
struct ServerConfig {
  std::string cert_file, key_file;     /* PEM; both empty: plain HTTP */
  GTlsCertificate *cert = nullptr;     /* instead of the files (not owned) */
  unsigned request_timeout_ms = 10000; /* time to send the request headers; 0: none */
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

  /* Serves @stream at its path; fails if another stream has that path. */
  bool add_stream(const std::shared_ptr<Stream> &stream, GError **error);
  /* Stops serving @stream: its clients are closed (reason shutdown) and
   * client-removed is emitted for each before this returns. */
  void remove_stream(const std::shared_ptr<Stream> &stream);

  int port() const { return port_; }
  GMainContext *context() const { return thread_.context(); }

  struct Impl;

 private:
  Server() = default;
  bool start(const std::string &address, int port, GError **error);
  ServerConfig config_;

  LoopThread thread_;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace gstsse
