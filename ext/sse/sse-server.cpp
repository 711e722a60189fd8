/* libsoup server thread, per-stream client fan-out; see sse-server.h. */
#include "sse-server.h"

#include <gst/gst.h>
#include <libsoup/soup.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <map>

#include "body-frame.h"
#include "client-queue.h"
#include "event-encoder.h"
#include "resume.h"
#include "web-files.h"

GST_DEBUG_CATEGORY_EXTERN(gst_sse_sink_debug);
#define GST_CAT_DEFAULT gst_sse_sink_debug

namespace gstsse {
namespace {

/* Bytes taken from a client's queue for one write. Small enough that the
 * queue, where policy can still act, holds most of a slow client's backlog. */
constexpr size_t kInFlightMax = 128 * 1024;

/* Vectors per write: a frame's head and tail plus its events; a frame with
 * more events goes out in several writes. */
constexpr size_t kMaxVectors = 64;

}  // namespace

/* ------------------------------------------------------------------------ */

struct Stream::Client : std::enable_shared_from_this<Stream::Client> {
  /* What every event touches first, together: a client costs cache misses
   * before it costs instructions. */
  bool closing = false;         /* nothing more is written; removal is under way */
  bool ended = false;           /* the eos event is taken for writing */
  bool started = false;         /* has its first key chunk (or resumed) */
  bool chunked = true;          /* HTTP/1.1: chunked body; HTTP/1.0: close-delimited */
  int fd = -1;                  /* plain HTTP: written with sendmsg(); -1: through out (TLS) */
  GSource *writable = nullptr;  /* armed while the socket takes nothing */
  int64_t last_write_us = 0;    /* last time a write of new events began */
  int64_t last_progress_us = 0; /* last time the socket took something, or data began to wait */
  /* Written on the server thread only; get-stats reads them (relaxed) while
   * Impl::mutex keeps the client alive. */
  std::atomic<uint64_t> bytes_sent{0}, events_sent{0}, events_dropped{0}, unsent_bytes{0};
  BodyFrame frame; /* the write in progress */
  ClientQueue<Event> queue;

  Stream::Impl *owner = nullptr;
  uint32_t id = 0;
  bool removed = false;
  RemoveReason reason = RemoveReason::kClosed;
  /* Until libsoup has written the response headers: the request. */
  SoupServerMessage *msg = nullptr;
  gulong headers_id = 0, finished_id = 0;
  /* Then the connection, taken from libsoup; the body is written here. */
  GIOStream *conn = nullptr;
  GPollableOutputStream *out = nullptr;
  GSocket *sock = nullptr;
  std::string remote;
  std::string stream_json; /* the stream event it got last; empty: none yet */
  int64_t connected_us = 0;

  Client(QueueLimits limits, ClientQueue<Event>::GapFactory gap) : queue(limits, kInFlightMax, std::move(gap)) {}
};

namespace {
/* Adds @n to a counter that only the server thread writes. */
inline void bump(std::atomic<uint64_t> &counter, uint64_t n) {
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}
}  // namespace

struct Stream::Impl {
  Stream *self;

  /* Streaming thread -> server thread hand-off. */
  std::mutex pending_mutex;
  std::vector<EventPtr> pending;
  LoopSource wake; /* guarded by pending_mutex: publish() wakes it */
  LoopSource ticker;

  /* Guards the clients map, which get-stats looks clients up in. */
  mutable std::mutex mutex;
  std::map<uint32_t, std::shared_ptr<Client>> clients;
  uint32_t next_id = 1;

  /* Server thread only: the same clients in a vector, walked for every
   * event without a lock. Removed clients are pruned before the next walk. */
  std::vector<std::shared_ptr<Client>> live;
  size_t live_removed = 0;
  bool walking = false; /* dispatch() is walking live: do not prune */

  /* What the stream event says; set from the streaming thread. */
  std::mutex description_mutex;
  StreamDescription description;
  /* Server thread only: the JSON of the last stream event dispatched, which
   * a joining client gets in its prelude; empty until caps are known. */
  std::string current_stream_json;

  /* Server thread only. */
  std::deque<EventPtr> backlog; /* consecutive media events, oldest first */
  size_t backlog_bytes = 0;
  uint64_t latest_key_seq = 0; /* 0: no key chunk in the backlog */
  uint64_t last_seq = 0;       /* newest media id published; 0: none */
  bool eos = false;
  EventPtr eos_event;
  int64_t last_keyframe_request_us = 0;
  CorsPolicy cors_policy;
  bool tls = false; /* the server speaks HTTPS; set before the first client */

  explicit Impl(Stream *s) : self(s) {}

  void announce();
  QueueLimits limits() const;
  void handle(SoupServerMessage *msg, GHashTable *query);
  void join(const std::shared_ptr<Client> &c, const char *last_event_id);
  void dispatch();
  void add_to_backlog(const EventPtr &ev);
  void deliver(const std::shared_ptr<Client> &c, const EventPtr &ev, int64_t now);
  void pump(const std::shared_ptr<Client> &c, int64_t now);
  bool write_nonblocking(Client *c, const GOutputVector *v, size_t n, gsize *written);
  void wait_writable(const std::shared_ptr<Client> &c);
  void close_client(const std::shared_ptr<Client> &c, RemoveReason reason);
  void on_headers_written(const std::shared_ptr<Client> &c);
  void on_finished(const std::shared_ptr<Client> &c);
  void finish(const std::shared_ptr<Client> &c, RemoveReason reason);
  void forget(const std::shared_ptr<Client> &c);
  void prune();
  std::vector<std::shared_ptr<Client>> snapshot();
  void tick();
  void shutdown_all();
};

Stream::Stream(StreamConfig config, uint64_t first_seq)
    : impl_(std::make_unique<Impl>(this)), config_(std::move(config)), first_seq_(first_seq) {
  impl_->cors_policy = parse_cors_origins(config_.cors_origin);
}

Stream::~Stream() = default;

void Stream::publish(std::vector<EventPtr> events) {
  if (events.empty())
    return;
  std::lock_guard<std::mutex> lock(impl_->pending_mutex);
  for (auto &e : events)
    impl_->pending.push_back(std::move(e));
  impl_->wake.wake();
}

void Stream::set_caps(const std::string &caps) {
  {
    std::lock_guard<std::mutex> lock(impl_->description_mutex);
    if (!impl_->description.set_caps(caps))
      return;
  }
  impl_->announce();
}

void Stream::set_stream_info(const std::string &fields) {
  {
    std::lock_guard<std::mutex> lock(impl_->description_mutex);
    if (!impl_->description.set_fields(fields))
      return;
  }
  impl_->announce();
}

/* Queues a stream event with the current description, in order with the
 * media events. Clients waiting for caps get their prelude with it; the
 * others learn of the change in-band. Nothing is sent before caps are
 * known: the prelude of a client always has them. */
void Stream::Impl::announce() {
  /* Queued under the lock: of two racing changes, the last one queued is
   * the latest description. */
  std::lock_guard<std::mutex> lock(description_mutex);
  if (description.caps.empty())
    return;
  self->publish({make_stream_event(description.json(self->first_seq_, self->config_.path))});
}

bool Stream::client_stats(uint32_t id, ClientStats *out) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto it = impl_->clients.find(id);
  if (it == impl_->clients.end())
    return false;
  const Client &c = *it->second;
  out->id = c.id;
  out->remote_address = c.remote;
  out->bytes_sent = c.bytes_sent.load(std::memory_order_relaxed);
  out->events_sent = c.events_sent.load(std::memory_order_relaxed);
  out->events_dropped = c.events_dropped.load(std::memory_order_relaxed);
  out->queued_bytes = c.unsent_bytes.load(std::memory_order_relaxed);
  out->connected_us = c.connected_us;
  return true;
}

QueueLimits Stream::Impl::limits() const {
  const StreamConfig &cfg = self->config_;
  QueueLimits l;
  l.hard_bytes = static_cast<size_t>(cfg.max_client_bytes);
  l.soft_bytes = static_cast<size_t>(cfg.soft_max_client_bytes);
  l.hard_lag_us = int64_t{cfg.max_client_lag_ms} * 1000;
  l.soft_lag_us = int64_t{cfg.soft_max_client_lag_ms} * 1000;
  l.policy = cfg.recover_policy;
  return l;
}

void Stream::Impl::prune() {
  if (live_removed == 0 || walking)
    return;
  live.erase(std::remove_if(live.begin(), live.end(), [](const std::shared_ptr<Client> &c) { return c->removed; }),
             live.end());
  live_removed = 0;
}

/* The clients, for a walk that may remove some (server thread). */
std::vector<std::shared_ptr<Stream::Client>> Stream::Impl::snapshot() {
  prune();
  return live;
}

void Stream::Impl::handle(SoupServerMessage *msg, GHashTable *query) {
  const StreamConfig &cfg = self->config_;
  const char *method = soup_server_message_get_method(msg);
  SoupMessageHeaders *req_headers = soup_server_message_get_request_headers(msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
  const char *remote = soup_server_message_get_remote_host(msg);

  /* CORS headers go on every answer, errors included, so a page can tell a
   * 401 from a network failure. */
  const CorsDecision cors = decide_cors(cors_policy, soup_message_headers_get_one(req_headers, "Origin"));
  if (!cors.allow_origin.empty())
    soup_message_headers_replace(headers, "Access-Control-Allow-Origin", cors.allow_origin.c_str());
  if (cors.allow_credentials)
    soup_message_headers_replace(headers, "Access-Control-Allow-Credentials", "true");
  if (cors.vary_origin)
    soup_message_headers_append(headers, "Vary", "Origin");

  if (method == SOUP_METHOD_OPTIONS) {
    soup_message_headers_replace(headers, "Allow", "GET, HEAD, OPTIONS");
    if (!cors.allow_origin.empty()) {
      soup_message_headers_replace(headers, "Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
      soup_message_headers_replace(headers, "Access-Control-Allow-Headers",
                                   "Last-Event-ID, Authorization, Cache-Control");
      soup_message_headers_replace(headers, "Access-Control-Max-Age", "600");
    }
    soup_server_message_set_status(msg, SOUP_STATUS_NO_CONTENT, nullptr);
    return;
  }
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
    soup_message_headers_replace(headers, "Allow", "GET, HEAD, OPTIONS");
    soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, nullptr);
    return;
  }

  size_t header_bytes = 0;
  soup_message_headers_foreach(
      req_headers,
      [](const char *name, const char *value, gpointer data) {
        *static_cast<size_t *>(data) += strlen(name) + strlen(value) + 4;
      },
      &header_bytes);
  if (cfg.max_request_header_bytes && header_bytes > cfg.max_request_header_bytes) {
    soup_server_message_set_status(msg, 431, "Request Header Fields Too Large");
    return;
  }

  AccessRequest areq;
  areq.authorization = soup_message_headers_get_one(req_headers, "Authorization");
  areq.cookie = soup_message_headers_get_one(req_headers, "Cookie");
  areq.query_token = query ? static_cast<const char *>(g_hash_table_lookup(query, "token")) : nullptr;
  switch (check_access(cfg.access, areq)) {
    case AccessResult::kAllowed: break;
    case AccessResult::kMissing:
      GST_INFO("refusing %s: no credentials", remote);
      if (!cfg.access.basic_auth.empty())
        soup_message_headers_replace(headers, "WWW-Authenticate", "Basic realm=\"ssesink\", charset=\"UTF-8\"");
      else
        soup_message_headers_replace(headers, "WWW-Authenticate", "Bearer realm=\"ssesink\"");
      soup_server_message_set_status(msg, SOUP_STATUS_UNAUTHORIZED, nullptr);
      return;
    case AccessResult::kDenied:
      GST_INFO("refusing %s: wrong credentials", remote);
      soup_server_message_set_status(msg, SOUP_STATUS_FORBIDDEN, nullptr);
      return;
  }

  if (cfg.max_clients && self->num_clients_.load() >= cfg.max_clients) {
    GST_INFO("refusing %s: max-clients (%u) reached", remote, cfg.max_clients);
    soup_message_headers_replace(headers, "Retry-After", std::to_string(std::max(1u, cfg.retry_ms / 1000)).c_str());
    soup_server_message_set_status(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, nullptr);
    return;
  }
  if (cfg.max_clients_per_address && remote) {
    unsigned same = 0;
    {
      std::lock_guard<std::mutex> lock(mutex);
      for (const auto &kv : clients)
        same += kv.second->remote == remote;
    }
    if (same >= cfg.max_clients_per_address) {
      GST_INFO("refusing %s: max-clients-per-address (%u) reached", remote, cfg.max_clients_per_address);
      soup_message_headers_replace(headers, "Retry-After", std::to_string(std::max(1u, cfg.retry_ms / 1000)).c_str());
      soup_server_message_set_status(msg, 429, "Too Many Requests");
      return;
    }
  }

  soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
  soup_message_headers_replace(headers, "Content-Type", "text/event-stream");
  soup_message_headers_replace(headers, "Cache-Control", "no-cache");
  soup_message_headers_replace(headers, "X-Accel-Buffering", "no");
  if (method == SOUP_METHOD_HEAD)
    return;

  /* The stream never ends by itself; when it does end, close. libsoup
   * writes these headers; the body is written here (pump()). */
  const bool chunked = soup_server_message_get_http_version(msg) != SOUP_HTTP_1_0;
  soup_message_headers_replace(headers, "Connection", "close");
  soup_message_headers_set_encoding(headers, chunked ? SOUP_ENCODING_CHUNKED : SOUP_ENCODING_EOF);

  if (GSocket *sock = soup_server_message_get_socket(msg))
    g_socket_set_option(sock, IPPROTO_TCP, TCP_NODELAY, 1, nullptr);

  auto c = std::make_shared<Client>(
      limits(), [](const GapInfo &g) { return make_gap_event(g.events, g.bytes, g.first_seq, g.last_seq); });
  c->owner = this;
  c->msg = SOUP_SERVER_MESSAGE(g_object_ref(msg));
  c->chunked = chunked;
  c->remote = soup_server_message_get_remote_host(msg) ? soup_server_message_get_remote_host(msg) : "";
  c->connected_us = c->last_write_us = c->last_progress_us = g_get_monotonic_time();
  /* The handlers are disconnected when the connection is taken, or in
   * forget(), before the client can go. */
  c->headers_id = g_signal_connect(msg, "wrote-headers", G_CALLBACK(+[](SoupServerMessage *, gpointer d) {
                                     auto *cl = static_cast<Client *>(d);
                                     cl->owner->on_headers_written(cl->shared_from_this());
                                   }),
                                   c.get());
  c->finished_id = g_signal_connect(msg, "finished", G_CALLBACK(+[](SoupServerMessage *, gpointer d) {
                                      auto *cl = static_cast<Client *>(d);
                                      cl->owner->on_finished(cl->shared_from_this());
                                    }),
                                    c.get());
  {
    std::lock_guard<std::mutex> lock(mutex);
    c->id = next_id++;
    clients[c->id] = c;
  }
  live.push_back(c);
  self->num_clients_++;

  /* Last-Event-ID: the header EventSource sends, or a query parameter for
   * clients and proxies that cannot set headers. */
  const char *last_id = soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Last-Event-ID");
  if ((!last_id || !*last_id) && query)
    last_id = static_cast<const char *>(g_hash_table_lookup(query, "lastEventId"));
  GST_INFO("client %u (%s) connected to %s%s%.40s", c->id, c->remote.c_str(), cfg.path.c_str(),
           last_id ? ", Last-Event-ID " : "", last_id ? last_id : "");
  join(c, last_id);
  pump(c, c->connected_us);

  if (self->on_client_added)
    self->on_client_added(c->id, c->remote);

  if (cfg.request_keyframe && self->on_keyframe_wanted) {
    const int64_t now = g_get_monotonic_time();
    if (last_keyframe_request_us == 0 ||
        now - last_keyframe_request_us >= int64_t{cfg.keyframe_request_interval_ms} * 1000) {
      last_keyframe_request_us = now;
      self->on_keyframe_wanted();
    }
  }
}

void Stream::Impl::join(const std::shared_ptr<Client> &c, const char *last_event_id) {
  /* Until caps are known the client only gets headers; the prelude follows
   * with the first stream event. The prelude has the description as of the
   * events dispatched so far, so it matches the backlog the client gets. */
  const int64_t now = g_get_monotonic_time();
  if (!current_stream_json.empty()) {
    c->stream_json = current_stream_json;
    deliver(c, make_prelude_event(self->config_.retry_ms, c->stream_json), now);
  }
  if (eos) {
    deliver(c, eos_event, now);
    return;
  }

  BacklogView view;
  view.run_first_seq = self->first_seq_;
  view.last_seq = last_seq;
  view.backlog_first = backlog.empty() ? 0 : backlog.front()->seq;
  const ResumeDecision d = decide_resume(last_event_id ? last_event_id : "", view);

  uint64_t from = latest_key_seq; /* 0: wait for the next key chunk */
  if (d.kind == ResumeDecision::Kind::kResume) {
    from = d.next_seq;
    c->started = true;
  } else if (d.kind == ResumeDecision::Kind::kReset) {
    deliver(c, make_reset_event(d.reason, last_event_id, self->first_seq_), now);
    GST_INFO("client %u: Last-Event-ID %.40s: %s, joining at the latest key chunk", c->id, last_event_id, d.reason);
  }
  if (from == 0 || backlog.empty() || from > backlog.back()->seq)
    return;
  for (size_t i = from - backlog.front()->seq; i < backlog.size() && !c->closing; i++)
    deliver(c, backlog[i], now);
}

void Stream::Impl::deliver(const std::shared_ptr<Client> &c, const EventPtr &ev, int64_t now) {
  if (c->closing || c->ended)
    return;
  if (ev->kind == Event::Kind::kStream) {
    if (c->stream_json == ev->note)
      return;
    if (c->stream_json.empty()) {
      c->stream_json = ev->note;
      deliver(c, make_prelude_event(self->config_.retry_ms, ev->note), now);
      return;
    }
    c->stream_json = ev->note;
  } else if (ev->is_media() && !c->started) {
    if (!ev->key)
      return; /* joins start at a key chunk */
    c->started = true;
  }
  const auto result = c->queue.push(ev, now);
  c->events_dropped.store(c->queue.dropped_events(), std::memory_order_relaxed);
  c->unsent_bytes.store(c->queue.unsent_bytes(), std::memory_order_relaxed);
  if (result == ClientQueue<Event>::Result::kOverHardLimit) {
    GST_INFO("client %u (%s): %" G_GSIZE_FORMAT " bytes unsent, over the hard limit; disconnecting", c->id,
             c->remote.c_str(), c->queue.unsent_bytes());
    close_client(c, RemoveReason::kSlow);
  }
}

/* Writes what the client has queued until its socket takes no more: each
 * run of queued events (up to kInFlightMax) is one frame, written with one
 * writev of the shared event bytes plus, for a chunked body, the frame's
 * size line and CRLF. */
void Stream::Impl::pump(const std::shared_ptr<Client> &c, int64_t now) {
  if (c->closing || !c->conn || c->writable)
    return;
  for (;;) {
    if (!c->frame.active()) {
      size_t payload = 0;
      uint64_t events = 0;
      bool last = false;
      while (EventPtr ev = c->queue.pop_for_write()) {
        payload += ev->size();
        events++;
        if (ev->kind == Event::Kind::kEos) {
          last = true;
          break;
        }
      }
      if (events == 0)
        break;
      if (last) {
        c->ended = true;
        c->reason = RemoveReason::kEos;
      }
      /* The write timeout counts from when data starts to wait. */
      c->last_write_us = c->last_progress_us = now;
      bump(c->events_sent, events);
      c->frame.start(payload, c->chunked, last);
    }

    GOutputVector v[kMaxVectors];
    const size_t n = c->frame.gather(c->queue.in_flight_events(), c->queue.front_written(), v, kMaxVectors);
    if (n == 0) { /* the frame and the queue disagree: a bug, not the client's fault */
      GST_ERROR("client %u (%s): nothing to write for an unfinished frame", c->id, c->remote.c_str());
      finish(c, RemoveReason::kError);
      return;
    }
    gsize written = 0;
    if (!write_nonblocking(c.get(), v, n, &written)) {
      finish(c, c->ended ? c->reason : RemoveReason::kClosed);
      return;
    }
    if (written == 0) {
      wait_writable(c);
      break;
    }
    const size_t payload = c->frame.advance(written);
    c->queue.wrote(payload);
    c->last_progress_us = now;
    bump(c->bytes_sent, payload);
    bump(self->bytes_served_, payload);
    if (!c->frame.active() && c->frame.last()) {
      c->unsent_bytes.store(0, std::memory_order_relaxed);
      finish(c, RemoveReason::kEos);
      return;
    }
  }
  c->unsent_bytes.store(c->queue.unsent_bytes(), std::memory_order_relaxed);
}

/* One non-blocking write of @n vectors; false on error (logged). Plain TCP
 * goes straight to sendmsg(): GIO's pollable writev costs as much again in
 * user space for the same system call. */
bool Stream::Impl::write_nonblocking(Client *c, const GOutputVector *v, size_t n, gsize *written) {
  *written = 0;
  if (c->fd >= 0) {
    struct iovec iov[kMaxVectors];
    for (size_t i = 0; i < n; i++) {
      iov[i].iov_base = const_cast<void *>(v[i].buffer);
      iov[i].iov_len = v[i].size;
    }
    struct msghdr m = {};
    m.msg_iov = iov;
    m.msg_iovlen = n;
    ssize_t sent;
    do
      sent = sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (sent < 0 && errno == EINTR);
    if (sent >= 0) {
      *written = static_cast<gsize>(sent);
      return true;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return true;
    GST_INFO("client %u (%s): write failed: %s", c->id, c->remote.c_str(), g_strerror(errno));
    return false;
  }
  GError *error = nullptr;
  const GPollableReturn r = g_pollable_output_stream_writev_nonblocking(c->out, v, n, written, nullptr, &error);
  if (r == G_POLLABLE_RETURN_FAILED) {
    GST_INFO("client %u (%s): write failed: %s", c->id, c->remote.c_str(), error ? error->message : "?");
    g_clear_error(&error);
    return false;
  }
  if (r == G_POLLABLE_RETURN_WOULD_BLOCK)
    *written = 0;
  return true;
}

void Stream::Impl::wait_writable(const std::shared_ptr<Client> &c) {
  c->writable = g_pollable_output_stream_create_source(c->out, nullptr);
  /* The source goes (finish()) before the client can. */
  g_source_set_callback(c->writable, G_SOURCE_FUNC(+[](GObject *, gpointer d) -> gboolean {
                          auto *cl = static_cast<Client *>(d);
                          g_source_unref(cl->writable);
                          cl->writable = nullptr;
                          cl->owner->pump(cl->shared_from_this(), g_get_monotonic_time());
                          return G_SOURCE_REMOVE;
                        }),
                        c.get(), nullptr);
  g_source_attach(c->writable, g_main_context_get_thread_default());
}

/* libsoup has written the response headers: the connection is ours from
 * here on, and the body is written by pump(). */
void Stream::Impl::on_headers_written(const std::shared_ptr<Client> &c) {
  SoupServerMessage *msg = c->msg;
  g_signal_handler_disconnect(msg, c->headers_id);
  g_signal_handler_disconnect(msg, c->finished_id);
  c->headers_id = c->finished_id = 0;
  if (GSocket *sock = soup_server_message_get_socket(msg))
    c->sock = G_SOCKET(g_object_ref(sock));
  c->conn = soup_server_message_steal_connection(msg);
  c->msg = nullptr;
  g_object_unref(msg); /* libsoup holds its own while it emits */
  if (!c->conn) {
    finish(c, RemoveReason::kClosed);
    return;
  }
  c->out = G_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(c->conn));
  if (!tls && c->sock)
    c->fd = g_socket_get_fd(c->sock);
  if (c->closing) { /* closed while the headers were being written */
    finish(c, c->reason);
    return;
  }
  pump(c, g_get_monotonic_time());
}

void Stream::Impl::add_to_backlog(const EventPtr &ev) {
  const StreamConfig &cfg = self->config_;
  backlog.push_back(ev);
  backlog_bytes += ev->size();
  last_seq = ev->seq;
  if (ev->key)
    latest_key_seq = ev->seq;
  /* Trim by age and size, but keep the latest GOP for joins unless it alone
   * is twice the byte limit (a stream that never sends a key again). */
  const int64_t max_age = int64_t{cfg.backlog_time_ms} * 1000;
  while (!backlog.empty()) {
    const EventPtr &front = backlog.front();
    const bool too_big = cfg.backlog_bytes && backlog_bytes > cfg.backlog_bytes;
    const bool too_old = max_age && ev->made_us - front->made_us > max_age;
    const bool protects_key = latest_key_seq != 0 && front->seq >= latest_key_seq;
    const bool way_too_big = cfg.backlog_bytes && backlog_bytes > 2 * cfg.backlog_bytes;
    if (!(too_big || too_old) || (protects_key && !way_too_big))
      break;
    if (front->seq == latest_key_seq)
      latest_key_seq = 0;
    backlog_bytes -= front->size();
    backlog.pop_front();
  }
}

void Stream::Impl::dispatch() {
  std::vector<EventPtr> batch;
  {
    std::lock_guard<std::mutex> lock(pending_mutex);
    batch.swap(pending);
  }
  if (batch.empty())
    return;
  for (const auto &ev : batch) {
    if (ev->is_media()) {
      add_to_backlog(ev);
    } else if (ev->kind == Event::Kind::kEos) {
      eos = true;
      eos_event = ev;
    } else if (ev->kind == Event::Kind::kStream) {
      current_stream_json = ev->note;
    }
  }
  /* One pass over the clients, each queued and written while its state is
   * in cache. No client joins during the walk; some may be removed, and stay
   * in live (skipped: they are closing) until the next prune. */
  prune();
  walking = true;
  const size_t n = live.size();
  const int64_t now = g_get_monotonic_time();
  for (size_t i = 0; i < n; i++) {
    const std::shared_ptr<Client> &c = live[i];
    for (const auto &ev : batch)
      deliver(c, ev, now);
    pump(c, now);
  }
  walking = false;
}

void Stream::Impl::close_client(const std::shared_ptr<Client> &c, RemoveReason reason) {
  if (c->closing)
    return;
  c->closing = true;
  c->reason = reason;
  if (c->conn) {
    finish(c, reason);
    return;
  }
  /* libsoup still has the connection (its headers are not written yet):
   * make that write fail now, and on_finished() removes the client. */
  if (GSocket *sock = c->msg ? soup_server_message_get_socket(c->msg) : nullptr)
    g_socket_shutdown(sock, TRUE, TRUE, nullptr);
}

/* Closes a client's connection and removes it: client-removed (@reason). */
void Stream::Impl::finish(const std::shared_ptr<Client> &c, RemoveReason reason) {
  if (c->removed)
    return;
  c->closing = true;
  if (c->writable) {
    g_source_destroy(c->writable);
    g_source_unref(c->writable);
    c->writable = nullptr;
  }
  if (c->conn) {
    /* Anything but a complete body: cut the connection now, whatever the
     * peer has left unread. */
    if (reason != RemoveReason::kEos && c->sock)
      g_socket_shutdown(c->sock, TRUE, TRUE, nullptr);
    g_io_stream_close(c->conn, nullptr, nullptr);
    g_clear_object(&c->conn);
    c->out = nullptr;
    c->fd = -1;
  }
  g_clear_object(&c->sock);
  GST_INFO("client %u (%s) removed, reason %d, %" G_GUINT64_FORMAT " bytes sent", c->id, c->remote.c_str(),
           static_cast<int>(reason), c->bytes_sent.load(std::memory_order_relaxed));
  forget(c);
  if (self->on_client_removed)
    self->on_client_removed(c->id, reason);
}

void Stream::Impl::forget(const std::shared_ptr<Client> &c) {
  c->removed = true;
  live_removed++;
  {
    std::lock_guard<std::mutex> lock(mutex);
    clients.erase(c->id);
  }
  self->num_clients_--;
  if (c->msg) {
    g_signal_handler_disconnect(c->msg, c->headers_id);
    g_signal_handler_disconnect(c->msg, c->finished_id);
    g_clear_object(&c->msg);
  }
}

/* libsoup finished a request whose connection we never took: the client
 * went before its headers were written, or was closed then. */
void Stream::Impl::on_finished(const std::shared_ptr<Client> &c) {
  const RemoveReason reason = c->closing ? c->reason : RemoveReason::kClosed;
  GST_INFO("client %u (%s) removed before its headers were written, reason %d", c->id, c->remote.c_str(),
           static_cast<int>(reason));
  forget(c);
  if (self->on_client_removed)
    self->on_client_removed(c->id, reason);
}

void Stream::Impl::tick() {
  const StreamConfig &cfg = self->config_;
  const int64_t now = g_get_monotonic_time();
  for (auto &c : snapshot()) {
    if (c->closing || c->ended)
      continue;
    if (cfg.write_timeout_ms && c->frame.active() && now - c->last_progress_us > int64_t{cfg.write_timeout_ms} * 1000) {
      GST_INFO("client %u (%s): nothing written for %u ms; disconnecting", c->id, c->remote.c_str(),
               cfg.write_timeout_ms);
      close_client(c, RemoveReason::kSlow);
      continue;
    }
    if (c->queue.check(now) == ClientQueue<Event>::Result::kOverHardLimit) {
      close_client(c, RemoveReason::kSlow);
      continue;
    }
    if (cfg.keepalive_interval && c->queue.unsent_bytes() == 0 && !c->frame.active() &&
        now - c->last_write_us >= int64_t{cfg.keepalive_interval} * G_USEC_PER_SEC) {
      deliver(c, make_keepalive_event(), now);
      pump(c, now);
    }
  }
}

void Stream::Impl::shutdown_all() {
  for (auto &c : snapshot()) {
    if (c->conn) {
      finish(c, RemoveReason::kShutdown);
      continue;
    }
    close_client(c, RemoveReason::kShutdown);
    forget(c);
    if (self->on_client_removed)
      self->on_client_removed(c->id, RemoveReason::kShutdown);
  }
  backlog.clear();
  backlog_bytes = 0;
  latest_key_seq = 0;
}
/* ------------------------------------------------------------------------ */

struct Server::Impl {
  SoupServer *soup = nullptr;
  std::string key; /* registry key, empty when not shared (port 0) */
  std::map<std::string, std::shared_ptr<Stream>> streams;

  void serve_web(SoupServerMessage *msg, const char *path, GHashTable *query);

  /* Slowloris defence: a connection has request_timeout to send its request
   * headers, from the moment libsoup starts reading a request (also the
   * next request on a kept-alive connection), or it is closed. */
  void watch_request_timeouts(unsigned timeout_ms) {
    struct Ctx {
      unsigned timeout_ms;
    };
    auto *ctx = new Ctx{timeout_ms};
    g_signal_connect_data(
        soup, "request-started", G_CALLBACK(+[](SoupServer *, SoupServerMessage *msg, gpointer data) {
          const unsigned ms = static_cast<Ctx *>(data)->timeout_ms;
          GSource *timer = g_timeout_source_new(ms);
          g_source_set_callback(
              timer,
              [](gpointer m) -> gboolean {
                auto *sm = SOUP_SERVER_MESSAGE(m);
                if (GSocket *sock = soup_server_message_get_socket(sm)) {
                  GST_INFO("closing a connection: no complete request within the request timeout");
                  g_socket_shutdown(sock, TRUE, TRUE, nullptr);
                }
                g_object_set_data(G_OBJECT(sm), "ssesink-request-timer", nullptr);
                return G_SOURCE_REMOVE;
              },
              g_object_ref(msg), g_object_unref);
          g_source_attach(timer, g_main_context_get_thread_default());
          /* Destroyed (and the message unreffed) when the headers are in or the message goes. */
          g_object_set_data_full(G_OBJECT(msg), "ssesink-request-timer", timer, [](gpointer t) {
            g_source_destroy(static_cast<GSource *>(t));
            g_source_unref(static_cast<GSource *>(t));
          });
          /* Headers in, or the message gone: the timer (and its ref) goes. */
          for (const char *signal : {"got-headers", "finished"})
            g_signal_connect(msg, signal, G_CALLBACK(+[](SoupServerMessage *m, gpointer) {
                               g_object_set_data(G_OBJECT(m), "ssesink-request-timer", nullptr);
                             }),
                             nullptr);
        }),
        ctx, [](gpointer d, GClosure *) { delete static_cast<Ctx *>(d); }, static_cast<GConnectFlags>(0));
  }
};

namespace {

std::string html_escape(const std::string &s) {
  gchar *e = g_markup_escape_text(s.c_str(), -1);
  std::string out = e;
  g_free(e);
  return out;
}

std::string url_escape(const std::string &s) {
  gchar *e = g_uri_escape_string(s.c_str(), "/", FALSE);
  std::string out = e;
  g_free(e);
  return out;
}

}  // namespace

/* GET / is the player, pointed at the stream through a <meta name="sse-src">
 * tag; with several streams it is a list of them, each linking to the player
 * with ?src=. Other paths are the player's files. */
void Server::Impl::serve_web(SoupServerMessage *msg, const char *raw_path, GHashTable *query) {
  const char *method = soup_server_message_get_method(msg);
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow", "GET, HEAD");
    soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, nullptr);
    return;
  }
  /* Decode once; an encoded '/' or NUL is refused. */
  gchar *decoded = g_uri_unescape_string(raw_path, "/");
  if (!decoded || streams.empty()) {
    g_free(decoded);
    soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, nullptr);
    return;
  }
  const std::string path = decoded;
  g_free(decoded);

  std::string root;
  for (const auto &kv : streams)
    if (!kv.second->config().web_root.empty()) {
      root = kv.second->config().web_root;
      break;
    }

  WebFile file;
  const bool want_src = query && g_hash_table_contains(query, "src");
  if (path == "/" && streams.size() > 1 && !want_src) {
    std::string html =
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>Live streams</title></head>\n<body><h1>Live streams</h1>\n<ul>\n";
    for (const auto &kv : streams) {
      const std::string p = html_escape(kv.first);
      html += "<li><a href=\"/?src=" + html_escape(url_escape(kv.first)) + "\">" + p + "</a> (<a href=\"" +
              html_escape(url_escape(kv.first)) + "\">events</a>)</li>\n";
    }
    html += "</ul>\n</body></html>\n";
    file.content_type = "text/html; charset=utf-8";
    file.body = html;
  } else if (!web_lookup(root, path, &file)) {
    soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, nullptr);
    return;
  } else if (path == "/" && !want_src) {
    const std::string meta = "<meta name=\"sse-src\" content=\"" + html_escape(streams.begin()->first) + "\">\n";
    const size_t at = file.body.find("</head>");
    file.body.insert(at == std::string::npos ? 0 : at, meta);
  }

  SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
  soup_message_headers_replace(headers, "Cache-Control", "no-cache");
  soup_message_headers_replace(headers, "X-Content-Type-Options", "nosniff");
  soup_server_message_set_response(msg, file.content_type.c_str(), SOUP_MEMORY_COPY, file.body.data(),
                                   file.body.size());
  soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
}

namespace {
std::mutex g_registry_mutex;
std::map<std::string, std::weak_ptr<Server>> g_registry;

}  // namespace

std::shared_ptr<Server> Server::acquire(const std::string &address, int port, const ServerConfig &config,
                                        GError **error) {
  std::lock_guard<std::mutex> lock(g_registry_mutex);
  const std::string key = port ? address + ":" + std::to_string(port) : std::string();
  if (!key.empty()) {
    auto it = g_registry.find(key);
    if (it != g_registry.end())
      if (auto existing = it->second.lock()) {
        if (!existing->config_.same_as(config)) {
          g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                      "Another ssesink serves %s port %d with different TLS or request-timeout settings; elements "
                      "sharing a port must agree on them",
                      address.c_str(), port);
          return nullptr;
        }
        return existing;
      }
  }
  std::shared_ptr<Server> server(new Server());
  server->config_ = config;
  if (config.cert)
    g_object_ref(config.cert);
  if (!server->start(address, port, error))
    return nullptr;
  server->impl_->key = key;
  if (!key.empty())
    g_registry[key] = server;
  return server;
}

bool Server::start(const std::string &address, int port, GError **error) {
  impl_ = std::make_unique<Impl>();
  auto setup = [this, address, port](GError **out) {
    GError *err = nullptr;
    GTlsCertificate *cert = config_.cert ? G_TLS_CERTIFICATE(g_object_ref(config_.cert)) : nullptr;
    if (!cert && !config_.cert_file.empty()) {
      cert = g_tls_certificate_new_from_files(
          config_.cert_file.c_str(), config_.key_file.empty() ? config_.cert_file.c_str() : config_.key_file.c_str(),
          &err);
      if (!cert)
        g_prefix_error(&err, "Could not load TLS certificate %s / key %s: ", config_.cert_file.c_str(),
                       config_.key_file.empty() ? config_.cert_file.c_str() : config_.key_file.c_str());
    }
    if (cert && !g_tls_backend_supports_tls(g_tls_backend_get_default()))
      g_set_error(&err, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                  "TLS is not available: install glib-networking (GIO's TLS backend)");
    impl_->soup = soup_server_new("server-header", "gst-sse ", cert ? "tls-certificate" : nullptr, cert, nullptr);
    if (cert)
      g_object_unref(cert);
    const auto listen_opts = cert ? SOUP_SERVER_LISTEN_HTTPS : static_cast<SoupServerListenOptions>(0);
    if (config_.request_timeout_ms)
      impl_->watch_request_timeouts(config_.request_timeout_ms);

    /* Our own sockets: a deep listen backlog for join storms, and errors
     * that name the address we tried. */
    GList *addrs = nullptr;
    if (err) {
      /* TLS setup failed: nothing to listen on */
    } else if (GInetAddress *ia = g_inet_address_new_from_string(address.c_str())) {
      addrs = g_list_append(nullptr, ia);
    } else {
      GResolver *resolver = g_resolver_get_default();
      addrs = g_resolver_lookup_by_name(resolver, address.c_str(), nullptr, &err);
      g_object_unref(resolver);
      if (!addrs)
        g_prefix_error(&err, "Could not resolve address \"%s\": ", address.c_str());
    }
    int bound_port = port;
    int listening = 0;
    for (GList *l = addrs; l && !err; l = l->next) {
      auto *ia = G_INET_ADDRESS(l->data);
      gchar *ia_str = g_inet_address_to_string(ia);
      GError *e = nullptr;
      GSocketAddress *sa = g_inet_socket_address_new(ia, static_cast<guint16>(bound_port));
      GSocket *sock = g_socket_new(g_inet_address_get_family(ia), G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &e);
      if (sock) {
        g_socket_set_listen_backlog(sock, 4096);
        if (g_socket_bind(sock, sa, TRUE, &e) && g_socket_listen(sock, &e) &&
            soup_server_listen_socket(impl_->soup, sock, listen_opts, &e)) {
          if (GSocketAddress *local = g_socket_get_local_address(sock, nullptr)) {
            bound_port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
            g_object_unref(local);
          }
          listening++;
        }
        g_object_unref(sock);
      }
      g_object_unref(sa);
      if (e) {
        if (listening == 0 && !l->next)
          g_propagate_prefixed_error(&err, e, "Could not listen on %s port %d: ", ia_str, port);
        else {
          GST_WARNING("could not listen on %s port %d: %s", ia_str, bound_port, e->message);
          g_error_free(e);
        }
      }
      g_free(ia_str);
    }
    g_resolver_free_addresses(addrs);
    if (!err && listening == 0)
      g_set_error(&err, G_IO_ERROR, G_IO_ERROR_FAILED, "No address to listen on for \"%s\"", address.c_str());
    port_ = bound_port;

    /* Anything not claimed by a stream's path: the player and its files. */
    soup_server_add_handler(
        impl_->soup, nullptr,
        [](SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer data) {
          static_cast<Server *>(data)->impl_->serve_web(msg, path, query);
        },
        this, nullptr);

    if (!err)
      return true;
    g_propagate_error(out, err);
    return false;
  };
  auto teardown = [this] {
    /* What libsoup still has to close finishes after this, on the thread. */
    soup_server_disconnect(impl_->soup);
    g_clear_object(&impl_->soup);
  };
  if (!thread_.start("sse-server", setup, teardown, error))
    return false;
  GST_INFO("listening on %s port %d", address.c_str(), port_);
  return true;
}

Server::~Server() {
  if (!impl_)
    return;
  if (!impl_->key.empty()) {
    /* Only a started server has a key; acquire() holds the lock when a
     * server that failed to start is destroyed. */
    std::lock_guard<std::mutex> lock(g_registry_mutex);
    {
      auto it = g_registry.find(impl_->key);
      if (it != g_registry.end() && it->second.expired())
        g_registry.erase(it);
    }
  }
  thread_.stop();
  if (config_.cert)
    g_object_unref(config_.cert);
}

bool Server::add_stream(const std::shared_ptr<Stream> &stream, GError **error) {
  bool ok = true;
  const std::string path = stream->config().path;
  thread_.run([&] {
    if (impl_->streams.count(path)) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS, "Path \"%s\" is already served by another ssesink on port %d",
                  path.c_str(), port_);
      ok = false;
      return;
    }
    impl_->streams[path] = stream;
    Stream::Impl *si = stream->impl_.get();
    si->tls = config_.cert != nullptr || !config_.cert_file.empty();
    {
      std::lock_guard<std::mutex> lock(si->pending_mutex);
      si->wake = LoopSource::wake_source(context(), [si] { si->dispatch(); });
    }
    si->ticker = LoopSource::timer(context(), 1000, [si] { si->tick(); });
    soup_server_add_handler(
        impl_->soup, path.c_str(),
        [](SoupServer *, SoupServerMessage *msg, const char *req_path, GHashTable *query, gpointer data) {
          auto *s = static_cast<Stream::Impl *>(data);
          if (s->self->config().path != req_path) {
            soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, nullptr);
            return;
          }
          s->handle(msg, query);
        },
        si, nullptr);
  });
  return ok;
}

void Server::remove_stream(const std::shared_ptr<Stream> &stream) {
  /* After EOS, gst-launch -e and most applications go to NULL at once:
   * give clients still writing their last events and `event: eos` a short
   * grace, so the response ends cleanly instead of being cut. */
  Stream::Impl *si = stream->impl_.get();
  const int64_t deadline = g_get_monotonic_time() + 1000 * 1000;
  for (;;) {
    bool draining = false;
    thread_.run([&] {
      if (!si->eos)
        return;
      for (auto &c : si->snapshot())
        draining |= c->ended && !c->closing;
    });
    if (!draining || g_get_monotonic_time() > deadline)
      break;
    g_usleep(10 * 1000);
  }
  thread_.run([&] {
    const std::string &path = stream->config().path;
    auto it = impl_->streams.find(path);
    if (it == impl_->streams.end() || it->second != stream)
      return;
    soup_server_remove_handler(impl_->soup, path.c_str());
    {
      std::lock_guard<std::mutex> lock(si->pending_mutex);
      si->wake.destroy();
      si->pending.clear();
    }
    si->ticker.destroy();
    si->shutdown_all();
    impl_->streams.erase(it);
  });
}

}  // namespace gstsse
