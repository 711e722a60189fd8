/* The multiplexed endpoint of one server: `GET <mux-path>?paths=/a,/b`,
 * several streams over one event stream (docs/protocol.md, "Several
 * streams on one connection").
 *
 * Owns the mux paths of the server's streams (a stream is offered at its
 * mux_path; several share one), their handlers, the requests to them
 * (the paths asked for, each stream's own admission, the prelude), the mux
 * clients (mux-client.h), the streams added and removed while they are
 * connected, and a ticker for their keepalives and limits. It sees every
 * stream's dispatched events as its StreamTap and hands them to the
 * clients that receive that stream, with one tag head per event made only
 * when one does.
 *
 * Threads: the server thread only (http-server.cpp calls add_stream and
 * remove_stream there). */
#pragma once

#include <libsoup/soup.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "loop-thread.h"
#include "mux-client.h"
#include "stream.h"

namespace gstsse {

class MuxHub final : public StreamTap, public MuxOwner {
 public:
  MuxHub() = default;
  ~MuxHub();
  MuxHub(const MuxHub &) = delete;
  MuxHub &operator=(const MuxHub &) = delete;

  /* @stream joins the server (before it is in @streams, the server's
   * streams by path; @metrics_paths: the metrics paths served): checks that
   * its path, metrics path and mux path do not collide (false and @error
   * naming @port when they do; @tls: the server speaks HTTPS), serves its mux path on @soup, taps it, and
   * the connected clients that want it join it. */
  bool add_stream(SoupServer *soup, GMainContext *ctx, bool tls, const std::shared_ptr<Stream> &stream,
                  const std::map<std::string, std::shared_ptr<Stream>> &streams,
                  const std::map<std::string, unsigned> &metrics_paths, int port, GError **error);
  /* @stream leaves: its clients here get its eos; its mux path goes with
   * the last stream offered there (closing its clients). */
  void remove_stream(SoupServer *soup, const std::shared_ptr<Stream> &stream);

  /* StreamTap, MuxOwner */
  void tap_events(Stream &stream, const std::vector<EventPtr> &batch) override;
  void mux_client_gone(MuxClient &c) override;

  /* Body bytes written to mux clients. */
  uint64_t bytes_served() const { return served_.load(std::memory_order_relaxed); }

 private:
  /* The streams offered at a mux path, in the order they came. */
  struct Route {
    std::vector<std::shared_ptr<Stream>> streams;
  };

  void handle(SoupServerMessage *msg, const char *path, GHashTable *query);
  void open(SoupServerMessage *msg, GHashTable *query, const std::string &mux_path,
            const std::vector<Stream *> &present, const std::vector<std::string> &wanted,
            const std::vector<std::string> &missing, const StreamConfig &cfg, int64_t expires_at_s, bool gzip);
  void tick();
  void prune();

  std::map<std::string, Route> routes_;
  std::vector<std::shared_ptr<MuxClient>> clients_;
  size_t gone_ = 0;
  bool tls_ = false; /* the server speaks HTTPS */
  uint32_t next_id_ = 1;
  LoopSource ticker_;
  std::atomic<uint64_t> served_{0};
};

}  // namespace gstsse
