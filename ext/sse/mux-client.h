/* One client of the multiplexed endpoint (mux-hub.h): one connection that
 * receives several streams, each event tagged with its stream's path.
 *
 * Owns what the connection receives of each stream (its join or resume,
 * the stream event it has, whether it started at a key chunk, is skipping
 * after a drop, or ended), the checkpoint ids (`id: m1;/a=N;/b=M`, at the
 * first media event, when a stream is not in the last one yet, and at
 * least every kCheckpointUs), and its slow-client policy: one queue (a
 * ClientConn of its own) with the limits of the first stream asked for;
 * past the soft limit every queued media event of every stream is
 * dropped and each stream skips to its next key chunk, with a tagged
 * `gap` in front; past the hard limit it is closed as slow.
 *
 * Nothing of an event is copied per client: a stream's shared event is
 * written from its tag_at() on (event.h) behind a tag head made once per
 * event (make_mux_tag(), the hub shares it among its clients). A gzip
 * client sends the tag head and the event from its tag_at() on deflated
 * as one run, made once per event the first time one asks
 * (Event::mux_gzip()), and its own lines as stored blocks.
 *
 * Threads: the server thread only. */
#pragma once

#include <libsoup/soup.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "client-conn.h"
#include "event.h"
#include "mux-id.h"
#include "stream.h"

namespace gstsse {

class MuxClient;

/* Who keeps the mux clients (the hub): told when one is gone. */
class MuxOwner {
 public:
  virtual void mux_client_gone(MuxClient &c) = 0;

 protected:
  ~MuxOwner() = default;
};

/* Checkpoints are written at most this often (and when a stream is new). */
constexpr int64_t kCheckpointUs = 250 * 1000;

/* The head a mux client writes in front of @ev (a stream's media, stream
 * or eos event): its text before tag_at() without the `id:` line, then
 * `data: <path>`. A media event's is a kTag (dropped with it) whose note is
 * @path. Made once per event and shared. */
EventPtr make_mux_tag(const Event &ev, const std::string &path);

class MuxClient final : public ClientOwner {
 public:
  struct Setup {
    MuxOwner *owner = nullptr;
    uint32_t id = 0;
    std::string mux_path;
    std::string remote;
    bool tls = false;
    QueueLimits limits; /* of the first stream asked for */
    unsigned retry_ms = 0, keepalive_ms = 0, write_timeout_ms = 0;
    std::vector<std::string> wanted; /* asked for by name; empty: every stream */
    std::string last_event_id;       /* what the client sent; empty: none */
    std::atomic<uint64_t> *served = nullptr;
    int64_t expires_at_s = 0; /* the earliest signed token's expiry (wall clock, s); 0: never */
    bool gzip = false;        /* Content-Encoding: gzip (every stream it joins has gzip pieces) */
  };

  explicit MuxClient(Setup s);
  ~MuxClient();
  MuxClient(const MuxClient &) = delete;
  MuxClient &operator=(const MuxClient &) = delete;

  /* Takes @msg (a 200 to GET, headers set); keeps a reference to read its
   * request again when a stream added later admits it (@query_token: its
   * ?token=). Then the prelude: `retry:`, `event: streams`. */
  void attach(SoupServerMessage *msg, const char *query_token, const std::vector<std::string> &streams,
              const std::vector<std::string> &missing);
  /* It would receive a stream at @path added now. */
  bool wants(const std::string &path) const;
  bool follows(const Stream &stream) const { return find(stream) != nullptr; }
  /* Starts receiving @stream: its stream event, a tagged reset if its
   * position in the Last-Event-ID cannot be resumed, its key-frame join or
   * resume. @admit: ask the stream's admission first (a stream added
   * later); false when it refuses. */
  bool join(Stream &stream, bool admit);
  /* @batch as @stream dispatched it; @tags[i]: make_mux_tag() of batch[i],
   * or null for what has none. */
  void deliver(Stream &stream, const std::vector<EventPtr> &batch, const std::vector<EventPtr> &tags, int64_t now);
  /* @stream leaves the server: a tagged eos unless it ended already. */
  void stream_removed(Stream &stream);
  /* Write timeout, lag limits, keepalive. */
  void tick(int64_t now);
  /* A signed token of the request runs out at @expires_at_s (wall clock,
   * s; 0: never): the earliest one closes the connection, `event: expired`. */
  void expire_at(int64_t expires_at_s);
  void pump(int64_t now) { conn_->pump(now); }
  void close(RemoveReason reason) { conn_->finish(reason); }

  bool gone() const { return gone_; }
  uint32_t id() const { return id_; }
  const std::string &mux_path() const { return mux_path_; }

  /* ClientOwner */
  void client_ending(ClientConn &) override {}
  void client_removed(ClientConn &c, RemoveReason reason, bool was_ending) override;

 private:
  /* A stream it receives. */
  struct Member {
    Stream *stream = nullptr;
    std::string path;
    uint64_t epoch = 0;
    uint32_t viewer = 0; /* its client id in the stream; 0: no longer counted there */
    std::string stream_json;
    bool started = false, ended = false, skipping = false;
    bool checkpointed = false; /* in the last checkpoint */
    uint64_t last_seq = 0;     /* last media seq queued; 0: none yet */
    GapInfo gap;               /* skipped since the drop */
  };

  Member *find(const Stream &stream) const;
  void deliver_one(Member &m, const EventPtr &ev, const EventPtr &tag, int64_t now);
  void end_member(Member &m, const EventPtr &ev, const EventPtr &tag, RemoveReason why, int64_t now);
  void checkpoint(int64_t now);
  bool all_named_ended() const;
  void push(EventPtr ev, int64_t now);
  bool over_soft(int64_t now) const;
  void recover(int64_t now);
  EventPtr own(Event::Kind kind, std::string wire) const;

  MuxOwner *owner_;
  const uint32_t id_;
  const std::string mux_path_;
  const QueueLimits limits_;
  const unsigned retry_ms_, keepalive_ms_, write_timeout_ms_;
  const std::vector<std::string> wanted_;
  std::string last_event_id_;
  bool id_malformed_ = false;
  const bool gzip_;
  std::map<std::string, uint64_t> positions_; /* from the Last-Event-ID, until used */
  std::set<std::string> ended_;               /* named paths that ended */
  ClientPtr conn_;
  SoupServerMessage *msg_ = nullptr; /* the request, for later admissions */
  std::string query_token_;
  mutable std::vector<Member> members_; /* small: linear lookups */
  int64_t last_checkpoint_us_ = 0;
  bool uncovered_ = false; /* a stream sent media and is in no checkpoint yet */
  bool gone_ = false;
  int64_t expires_us_ = 0; /* monotonic; 0: never */
  uint64_t skipped_ = 0;   /* media dropped while skipping */
};

}  // namespace gstsse
