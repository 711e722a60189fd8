/* One stream of the server (one per ssesink): its clients, the fan-out of
 * its events to them, joins and resumes from its backlog, and the ticker
 * that sends keepalives and drops clients that stopped reading.
 *
 * Threads:
 *  - The chunk pump calls the EventSink methods (streaming thread, or an
 *    idle flush on this server's thread): they queue under a short lock and
 *    wake the server thread; they never wait for a client.
 *  - The server thread (http-server.cpp) calls attach(), handle() and
 *    detach(), and runs everything else here: the clients (client-conn.h)
 *    and the backlog are its alone.
 *  - Any thread reads the getters, client_stats() and client_ids(); the application
 *    thread that stops the element calls wait_drained(). */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "access.h"
#include "admission-http.h"
#include "auth-url.h"
#include "client-conn.h"
#include "client-queue.h"
#include "defaults.h"
#include "event.h"
#include "metrics.h"

namespace gstsse {

struct StreamConfig {
  std::string path = defaults::kPath;
  unsigned max_clients = defaults::kMaxClients;           /* 0: unlimited */
  unsigned keepalive_ms = defaults::kKeepaliveIntervalMs; /* 0: off */
  unsigned retry_ms = defaults::kRetryMs;
  std::string cors_origin; /* "*" or a comma-separated list of origins; empty: no CORS headers */
  AccessConfig access;     /* token and/or Basic credentials; empty: open */
  AuthUrlConfig auth_url;  /* the application asked first (auth-gate.h, http-server.cpp); url empty: not */
  unsigned max_clients_per_address = defaults::kMaxClientsPerAddress; /* 0: unlimited */
  unsigned max_request_header_bytes = defaults::kMaxRequestHeaderBytes;
  uint64_t max_client_bytes = defaults::kMaxClientBytes;           /* hard limit; 0: none */
  uint64_t soft_max_client_bytes = defaults::kSoftMaxClientBytes;  /* 0: none */
  unsigned max_client_lag_ms = defaults::kMaxClientLagMs;          /* hard; 0: none */
  unsigned soft_max_client_lag_ms = defaults::kSoftMaxClientLagMs; /* 0: none */
  RecoverPolicy recover_policy = defaults::kRecoverPolicy;
  unsigned write_timeout_ms = defaults::kWriteTimeoutMs; /* no progress while data waits; 0: none */
  uint64_t backlog_bytes = defaults::kBacklogBytes;
  unsigned backlog_time_ms = defaults::kBacklogTimeMs;
  bool request_keyframe = defaults::kRequestKeyframe;
  unsigned keyframe_request_interval_ms = defaults::kKeyframeRequestIntervalMs;
  /* kAuto: gzip for clients that accept it; the chunk pump must then make
   * media and eos events with their pieces (ChunkPump::Config::deflate). */
  Compression compression = defaults::kCompression;
  std::string web_root;          /* empty: serve the player compiled into the plugin */
  GObject *log_object = nullptr; /* the element, named in every log line (not owned) */
  /* GET here: the server's metrics (http-server.h); empty: none. Read with
   * metrics_token when set, else with access. */
  std::string metrics_path = defaults::kMetricsPath;
  std::string metrics_token;
  /* GET here: this stream multiplexed with the others of the same mux_path
   * (mux-hub.h); empty: not offered there. */
  std::string mux_path = defaults::kMuxPath;
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

class Stream;

/* Sees every batch of events a stream dispatches, after its own clients
 * had them (the multiplexed endpoint, mux-hub.h). Server thread. */
class StreamTap {
 public:
  virtual void tap_events(Stream &stream, const std::vector<EventPtr> &batch) = 0;

 protected:
  ~StreamTap() = default;
};

/* Where a client starts in a stream: what Stream::plan_join() decided. */
struct JoinPlan {
  std::string stream_json;      /* the stream event's JSON now; empty: caps not known yet */
  bool ended = false;           /* eos was dispatched: only eos follows */
  const char *reset = nullptr;  /* the Last-Event-ID cannot be resumed from: why (resume.h) */
  bool resumed = false;         /* the events continue after the id: no wait for a key chunk */
  std::vector<EventPtr> events; /* backlog media to send now; none: wait for the next key chunk */
};

class Stream : public EventSink {
 public:
  using AddedFn = std::function<void(uint32_t id, const std::string &remote)>;
  using RemovedFn = std::function<void(uint32_t id, const std::string &remote, RemoveReason reason)>;
  using KeyframeFn = std::function<void()>;

  Stream(StreamConfig config, uint64_t first_seq);
  ~Stream() override;
  Stream(const Stream &) = delete;
  Stream &operator=(const Stream &) = delete;

  /* Called on the server thread, with no lock held. Set before add_stream. */
  AddedFn on_client_added;
  RemovedFn on_client_removed;
  /* A client joined and request_keyframe is set (rate-limited). */
  KeyframeFn on_keyframe_wanted;
  /* Snapshots (snapshot.h), set before add_stream, server thread: a
   * request for <path>/snapshot.jpg with the latest key chunk held (null:
   * none), and each key chunk as it is dispatched. Unset: 404. */
  std::function<void(SoupServerMessage *, GHashTable *, const EventPtr &latest_key)> snapshot_handler;
  std::function<void(const EventPtr &)> on_key_chunk;

  /* EventSink. Events keep the order of these calls. set_caps() and
   * set_stream_info() queue a `stream` event when what it says changes. */
  void publish(std::vector<EventPtr> events) override;
  void set_caps(const std::string &caps) override;
  void set_stream_info(const std::string &fields) override;

  /* Any thread. */
  unsigned num_clients() const { return num_clients_.load(); }
  uint64_t bytes_served() const { return bytes_served_.load(); }
  bool client_stats(uint32_t id, ClientStats *out) const;
  /* Server thread: the stream's metrics now, the live clients' counters
   * summed with those of the clients gone (metrics.h). */
  StreamSample metrics_sample() const;
  /* Set before add_stream; called by metrics_sample(): the publisher's
   * figures, false when there is none. Any thread may run it. */
  std::function<bool(PublisherSample *)> publisher_metrics;
  /* The ids of the clients connected now, in the order they came (read
   * under the clients mutex, like client_stats()). */
  std::vector<uint32_t> client_ids() const;
  const StreamConfig &config() const { return config_; }
  uint64_t first_seq() const { return first_seq_; }

  /* Server thread (Server::add_stream / remove_stream). attach(): start
   * dispatching on @ctx; @tls: the server speaks HTTPS. handle(): a request
   * to this stream's path. detach(): stop, closing every client (reason
   * shutdown); the stream can be dropped after it. */
  void attach(GMainContext *ctx, bool tls);
  void handle(SoupServerMessage *msg, GHashTable *query);
  void handle_snapshot(SoupServerMessage *msg, GHashTable *query);
  void detach();

  /* For the multiplexed endpoint (mux-hub.h, mux-client.h); server thread.
   * admit(): decide_admission() of this stream for @req (its counts
   * filled in here). plan_join(): where a client with @last_event_id
   * (empty: none) starts, counted as a join, resume or reset.
   * add_viewer(): @conn receives this stream: a client of it (num-clients,
   * metrics, get-stats, client-added; a keyframe request); returns its id
   * here. remove_viewer(): it stopped (client-removed with @reason).
   * set_tap(): who sees the dispatched events (nullptr: nobody). */
  Admission admit(AdmissionRequest req) const;
  JoinPlan plan_join(std::string_view last_event_id);
  uint32_t add_viewer(const ClientPtr &conn);
  void remove_viewer(uint32_t id, RemoveReason reason);
  void set_tap(StreamTap *tap);

  /* Not on the server thread: after eos, waits up to @timeout_ms while
   * clients are still writing their last events (and `event: eos`). */
  void wait_drained(unsigned timeout_ms);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  const StreamConfig config_;
  const uint64_t first_seq_;
  std::atomic<unsigned> num_clients_{0};
  std::atomic<uint64_t> bytes_served_{0};
};

}  // namespace gstsse
