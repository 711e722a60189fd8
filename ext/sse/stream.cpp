/* A stream's clients and the fan-out of its events; see stream.h. */
#include "stream.h"

#include <gst/gst.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>

#include "admission.h"
#include "backlog.h"
#include "event-encoder.h"
#include "loop-thread.h"
#include "resume.h"

GST_DEBUG_CATEGORY_EXTERN(gst_sse_sink_debug);
#define GST_CAT_DEFAULT gst_sse_sink_debug

namespace gstsse {

struct Stream::Impl final : ClientOwner {
  Stream *self;
  GObject *log;

  /* Streaming thread -> server thread hand-off. */
  std::mutex pending_mutex;
  std::vector<EventPtr> pending;
  LoopSource wake; /* guarded by pending_mutex: publish() wakes it */
  LoopSource ticker;

  /* Guards the clients map, which get-stats looks clients up in. */
  mutable std::mutex mutex;
  std::map<uint32_t, ClientPtr> clients;
  uint32_t next_id = 1;

  /* Server thread only: the same clients in a vector, walked for every
   * event without a lock. Removed clients are pruned before the next walk. */
  std::vector<ClientPtr> live;
  size_t live_removed = 0;
  bool walking = false; /* dispatch() is walking live: do not prune */

  /* What the stream event says; set from the streaming thread. */
  std::mutex description_mutex;
  StreamDescription description;
  /* Server thread only: the JSON of the last stream event dispatched, which
   * a joining client gets in its prelude; empty until caps are known. */
  std::string current_stream_json;

  /* Server thread only. */
  GMainContext *context = nullptr; /* the server thread's; set by attach() */
  Backlog<EventPtr> backlog;
  EventPtr eos_event; /* set once eos is dispatched */
  int64_t last_keyframe_request_us = 0;
  AdmissionConfig admission;
  /* Metrics: bumped here, read by metrics_sample(). */
  StreamCounters counters;
  bool tls = false;         /* the server speaks HTTPS; set before the first client */
  StreamTap *tap = nullptr; /* sees each dispatched batch (the mux endpoint) */

  /* Drain after eos: clients writing their last frame (kEnding); the
   * server thread counts, wait_drained() waits. */
  std::mutex drain_mutex;
  std::condition_variable drained;
  bool eos = false;
  unsigned ending = 0;

  explicit Impl(Stream *s);

  void announce();
  QueueLimits limits() const;
  /* Whether @msg's body is gzip, with Vary (and, for HEAD, the
   * Content-Encoding a GET would get) set on its 200. */
  bool negotiate_encoding(SoupServerMessage *msg, bool head);
  void open(SoupServerMessage *msg, GHashTable *query, bool gzip, int64_t expires_at_s);
  void join(const ClientPtr &c, const char *last_event_id);
  void dispatch();
  void deliver(const ClientPtr &c, const EventPtr &ev, int64_t now);
  void want_keyframe();
  void prune();
  std::vector<ClientPtr> snapshot();
  void tick();
  void shutdown_all();

  /* ClientOwner */
  void client_ending(ClientConn &c) override;
  void client_removed(ClientConn &c, RemoveReason reason, bool was_ending) override;
};

Stream::Impl::Impl(Stream *s)
    : self(s),
      log(s->config_.log_object),
      backlog(BacklogLimits{s->config_.backlog_bytes, int64_t{s->config_.backlog_time_ms} * 1000}) {
  const StreamConfig &cfg = s->config_;
  admission.max_clients = cfg.max_clients;
  admission.max_clients_per_address = cfg.max_clients_per_address;
  admission.max_request_header_bytes = cfg.max_request_header_bytes;
  admission.retry_ms = cfg.retry_ms;
  admission.access = cfg.access;
  admission.path = cfg.path;
  admission.cors = parse_cors_origins(cfg.cors_origin);
}

Stream::Stream(StreamConfig config, uint64_t first_seq) : config_(std::move(config)), first_seq_(first_seq) {
  impl_ = std::make_unique<Impl>(this);
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
  self->publish({make_stream_event(description.json(self->first_seq_, self->config_.path),
                                   self->config_.compression != Compression::kNone)});
}

StreamSample Stream::metrics_sample() const {
  const Impl &si = *impl_;
  const StreamCounters &k = si.counters;
  StreamSample s;
  s.path = config_.path;
  s.viewers = num_clients_.load();
  s.connections = k.connections.get();
  for (size_t r = 0; r < s.ended.size(); r++)
    s.ended[r] = k.ended[r].get();
  s.bytes_sent = bytes_served_.load(std::memory_order_relaxed);
  s.events_sent = k.retired_events_sent.get();
  s.events_dropped = k.retired_events_dropped.get();
  s.gaps = k.retired_gaps.get();
  for (const ClientPtr &c : si.live) {
    if (c->phase() == ClientConn::Phase::kRemoved)
      continue; /* counted in retired_* */
    s.events_sent += c->events_sent.load(std::memory_order_relaxed);
    s.events_dropped += c->queue.dropped_events();
    s.gaps += c->queue.gaps();
  }
  s.resets = k.resets.get();
  s.resumes = k.resumes.get();
  s.keyframe_join = k.keyframe_join.sample();
  s.backlog_bytes = si.backlog.bytes();
  s.backlog_events = si.backlog.size();
  if (si.backlog.size() >= 2) {
    const int64_t span = si.backlog[si.backlog.size() - 1]->made_us - si.backlog[0]->made_us;
    if (span > 0)
      s.chunk_rate = static_cast<double>(si.backlog.size() - 1) * 1e6 / static_cast<double>(span);
  }
  s.chunks = k.chunks.get();
  s.key_chunks = k.key_chunks.get();
  s.key_interval_s = static_cast<double>(k.key_interval_us.load(std::memory_order_relaxed)) / 1e6;
  if (publisher_metrics)
    s.has_publisher = publisher_metrics(&s.publisher);
  return s;
}

bool Stream::client_stats(uint32_t id, ClientStats *out) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto it = impl_->clients.find(id);
  if (it == impl_->clients.end())
    return false;
  const ClientConn &c = *it->second;
  out->id = it->first; /* a multiplexed client has an id in each stream it receives */
  out->remote_address = c.remote();
  out->bytes_sent = c.bytes_sent.load(std::memory_order_relaxed);
  out->events_sent = c.events_sent.load(std::memory_order_relaxed);
  out->events_dropped = c.events_dropped.load(std::memory_order_relaxed);
  out->queued_bytes = c.unsent_bytes.load(std::memory_order_relaxed);
  out->connected_us = c.connected_us();
  return true;
}

std::vector<uint32_t> Stream::client_ids() const {
  std::vector<uint32_t> ids;
  std::lock_guard<std::mutex> lock(impl_->mutex);
  ids.reserve(impl_->clients.size());
  for (const auto &kv : impl_->clients) /* a map: ascending ids, the order they came */
    ids.push_back(kv.first);
  return ids;
}

void Stream::attach(GMainContext *ctx, bool tls) {
  Impl *si = impl_.get();
  si->tls = tls;
  si->context = ctx;
  {
    std::lock_guard<std::mutex> lock(si->pending_mutex);
    si->wake = LoopSource::wake_source(ctx, [si] { si->dispatch(); });
  }
  /* Keepalives are due at most a tick late: tick often enough for a short
   * interval, once a second otherwise. */
  const unsigned ka = config_.keepalive_ms;
  const unsigned tick_ms = ka ? std::clamp(ka, 100u, 1000u) : 1000u;
  si->ticker = LoopSource::timer(ctx, tick_ms, [si] { si->tick(); });
}

void Stream::detach() {
  {
    std::lock_guard<std::mutex> lock(impl_->pending_mutex);
    impl_->wake.destroy();
    impl_->pending.clear();
  }
  impl_->ticker.destroy();
  impl_->shutdown_all();
  impl_->context = nullptr;
}

void Stream::wait_drained(unsigned timeout_ms) {
  /* The streaming thread may have queued the eos just before stopping, and
   * the server thread not dispatched it yet: dispatch it now, so the wait
   * below sees it and the clients that are writing it. */
  if (GMainContext *ctx = impl_->context)
    run_on(ctx, [this] { impl_->dispatch(); });
  std::unique_lock<std::mutex> lock(impl_->drain_mutex);
  impl_->drained.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                          [this] { return !impl_->eos || impl_->ending == 0; });
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
  live.erase(std::remove_if(live.begin(), live.end(),
                            [](const ClientPtr &c) { return c->phase() == ClientConn::Phase::kRemoved; }),
             live.end());
  live_removed = 0;
}

/* The clients, for a walk that may remove some (server thread). */
std::vector<ClientPtr> Stream::Impl::snapshot() {
  prune();
  return live;
}

Admission Stream::admit(AdmissionRequest req) const {
  Impl *si = impl_.get();
  req.num_clients = num_clients_.load();
  req.clients_from = [si](const char *remote) {
    unsigned same = 0;
    std::lock_guard<std::mutex> lock(si->mutex);
    for (const auto &kv : si->clients)
      same += kv.second->remote() == remote;
    return same;
  };
  return decide_admission(si->admission, req);
}

void Stream::handle(SoupServerMessage *msg, GHashTable *query) {
  const Admission a = admit(read_admission_request(msg, query));
  apply_admission(a, msg);
  if (!a.refusal.empty())
    GST_INFO_OBJECT(impl_->log, "%s", a.refusal.c_str());
  if (a.status != SOUP_STATUS_OK)
    return;
  const bool gzip = impl_->negotiate_encoding(msg, !a.open_stream);
  if (a.open_stream)
    impl_->open(msg, query, gzip, a.expires_at_s);
}

bool Stream::Impl::negotiate_encoding(SoupServerMessage *msg, bool head) {
  if (self->config_.compression == Compression::kNone)
    return false;
  SoupMessageHeaders *req = soup_server_message_get_request_headers(msg);
  const bool gzip = accepts_gzip(soup_message_headers_get_one(req, "Accept-Encoding"));
  /* The body depends on Accept-Encoding: caches must know. One Vary header
   * (with Origin's, when CORS set it): clients read one. */
  SoupMessageHeaders *resp = soup_server_message_get_response_headers(msg);
  const char *vary = soup_message_headers_get_list(resp, "Vary");
  const std::string v = vary ? std::string(vary) + ", Accept-Encoding" : "Accept-Encoding";
  soup_message_headers_replace(resp, "Vary", v.c_str());
  /* A GET's client sets its own (client-conn.cpp). */
  if (head && gzip)
    soup_message_headers_replace(resp, "Content-Encoding", "gzip");
  return gzip;
}

void Stream::handle_snapshot(SoupServerMessage *msg, GHashTable *query) {
  if (!snapshot_handler) {
    soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, nullptr);
    return;
  }
  const Backlog<EventPtr> &b = impl_->backlog;
  const uint64_t key = b.latest_key_seq();
  snapshot_handler(msg, query, key && b.holds(key) ? b[b.index_of(key)] : nullptr);
}

/* A GET admitted: the client joins, and its body is written from here on. */
void Stream::Impl::open(SoupServerMessage *msg, GHashTable *query, bool gzip, int64_t expires_at_s) {
  const StreamConfig &cfg = self->config_;
  ClientConn::Setup setup;
  setup.owner = this;
  setup.log_object = log;
  setup.remote = soup_server_message_get_remote_host(msg) ? soup_server_message_get_remote_host(msg) : "";
  setup.limits = limits();
  setup.tls = tls;
  setup.served = &self->bytes_served_;
  setup.gzip = gzip;
  ClientPtr c;
  {
    std::lock_guard<std::mutex> lock(mutex);
    setup.id = next_id++;
    c = std::make_shared<ClientConn>(std::move(setup));
    clients[c->id()] = c;
  }
  c->attach(msg);
  if (expires_at_s > 0 && expires_at_s < INT64_MAX / 1000000) /* the wall clock's deadline on the ticker's clock */
    c->expires_us = c->connected_us() + std::max<int64_t>(0, expires_at_s * 1000000 - g_get_real_time());
  live.push_back(c);
  self->num_clients_++;
  counters.connections.add();

  /* Last-Event-ID: the header EventSource sends, or a query parameter for
   * clients and proxies that cannot set headers. */
  const char *last_id = soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Last-Event-ID");
  if ((!last_id || !*last_id) && query)
    last_id = static_cast<const char *>(g_hash_table_lookup(query, "lastEventId"));
  GST_INFO_OBJECT(log, "client %u (%s) connected to %s%s%s%.40s", c->id(), c->remote().c_str(), cfg.path.c_str(),
                  c->gzip() ? " (gzip)" : "", last_id ? ", Last-Event-ID " : "", last_id ? last_id : "");
  join(c, last_id);
  c->pump(c->connected_us());

  if (self->on_client_added)
    self->on_client_added(c->id(), c->remote());
  want_keyframe();
}

/* request-keyframe: ask upstream for a key unit, at most once an interval. */
void Stream::Impl::want_keyframe() {
  const StreamConfig &cfg = self->config_;
  if (!cfg.request_keyframe || !self->on_keyframe_wanted)
    return;
  const int64_t now = g_get_monotonic_time();
  if (last_keyframe_request_us == 0 ||
      now - last_keyframe_request_us >= int64_t{cfg.keyframe_request_interval_ms} * 1000) {
    last_keyframe_request_us = now;
    self->on_keyframe_wanted();
  }
}

JoinPlan Stream::plan_join(std::string_view last_event_id) {
  Impl *si = impl_.get();
  JoinPlan plan;
  plan.stream_json = si->current_stream_json;
  if (si->eos_event) {
    plan.ended = true;
    return plan;
  }
  BacklogView view;
  view.run_first_seq = first_seq_;
  view.last_seq = si->backlog.last_seq();
  view.backlog_first = si->backlog.first_seq();
  const ResumeDecision d = decide_resume(last_event_id, view);

  uint64_t from = si->backlog.latest_key_seq(); /* 0: wait for the next key chunk */
  if (d.kind == ResumeDecision::Kind::kResume) {
    from = d.next_seq;
    plan.resumed = true;
    si->counters.resumes.add();
  } else if (d.kind == ResumeDecision::Kind::kReset) {
    si->counters.resets.add();
    plan.reset = d.reason;
  }
  if (from == 0 || !si->backlog.holds(from))
    return plan;
  for (size_t i = si->backlog.index_of(from); i < si->backlog.size(); i++)
    plan.events.push_back(si->backlog[i]);
  return plan;
}

void Stream::Impl::join(const ClientPtr &c, const char *last_event_id) {
  /* Until caps are known the client only gets headers; the prelude follows
   * with the first stream event. The prelude has the description as of the
   * events dispatched so far, so it matches the backlog the client gets. */
  const int64_t now = g_get_monotonic_time();
  const JoinPlan plan = self->plan_join(last_event_id ? last_event_id : "");
  if (!plan.stream_json.empty()) {
    c->stream_json = plan.stream_json;
    deliver(c, make_prelude_event(self->config_.retry_ms, c->stream_json), now);
  }
  if (plan.ended) {
    deliver(c, eos_event, now);
    return;
  }
  c->started = plan.resumed;
  if (plan.reset) {
    deliver(c, make_reset_event(plan.reset, last_event_id, self->first_seq_), now);
    GST_INFO_OBJECT(log, "client %u: Last-Event-ID %.40s: %s, joining at the latest key chunk", c->id(), last_event_id,
                    plan.reset);
  }
  for (size_t i = 0; i < plan.events.size() && !c->closing(); i++)
    deliver(c, plan.events[i], now);
}

uint32_t Stream::add_viewer(const ClientPtr &conn) {
  Impl *si = impl_.get();
  uint32_t id;
  {
    std::lock_guard<std::mutex> lock(si->mutex);
    id = si->next_id++;
    si->clients[id] = conn;
  }
  num_clients_++;
  si->counters.connections.add();
  if (on_client_added)
    on_client_added(id, conn->remote());
  si->want_keyframe();
  return id;
}

void Stream::remove_viewer(uint32_t id, RemoveReason reason) {
  Impl *si = impl_.get();
  std::string remote;
  {
    std::lock_guard<std::mutex> lock(si->mutex);
    auto it = si->clients.find(id);
    if (it == si->clients.end())
      return;
    remote = it->second->remote();
    si->clients.erase(it);
  }
  num_clients_--;
  si->counters.ended[static_cast<size_t>(reason)].add();
  if (on_client_removed)
    on_client_removed(id, remote, reason);
}

void Stream::set_tap(StreamTap *tap) {
  impl_->tap = tap;
}

void Stream::Impl::deliver(const ClientPtr &c, const EventPtr &ev, int64_t now) {
  if (c->done())
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
    counters.keyframe_join.observe(now - c->connected_us());
  }
  const auto result = c->queue.push(ev, now);
  c->events_dropped.store(c->queue.dropped_events(), std::memory_order_relaxed);
  c->unsent_bytes.store(c->queue.unsent_bytes(), std::memory_order_relaxed);
  if (result == ClientQueue<Event>::Result::kOverHardLimit) {
    GST_INFO_OBJECT(log, "client %u (%s): %" G_GSIZE_FORMAT " bytes unsent, over the hard limit; disconnecting",
                    c->id(), c->remote().c_str(), c->queue.unsent_bytes());
    c->close(RemoveReason::kSlow);
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
      backlog.add(ev);
      counters.chunks.add();
      if (ev->key) {
        counters.key_chunks.add();
        counters.key_chunk(ev->made_us);
        if (self->on_key_chunk)
          self->on_key_chunk(ev);
      }
    } else if (ev->kind == Event::Kind::kEos) {
      eos_event = ev;
      std::lock_guard<std::mutex> lock(drain_mutex);
      eos = true;
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
    const ClientPtr &c = live[i];
    for (const auto &ev : batch)
      deliver(c, ev, now);
    c->pump(now);
  }
  walking = false;
  if (tap)
    tap->tap_events(*self, batch);
}

void Stream::Impl::tick() {
  const StreamConfig &cfg = self->config_;
  const int64_t now = g_get_monotonic_time();
  for (auto &c : snapshot()) {
    if (c->done())
      continue;
    if (c->expires_us && now >= c->expires_us) { /* its signed token ran out: told, then closed */
      GST_INFO_OBJECT(log, "client %u (%s): token expired; closing", c->id(), c->remote().c_str());
      deliver(c, make_expired_event("token expired"), now);
      c->pump(now);
      continue;
    }
    if (cfg.write_timeout_ms && c->writing() && now - c->last_progress_us() > int64_t{cfg.write_timeout_ms} * 1000) {
      GST_INFO_OBJECT(log, "client %u (%s): nothing written for %u ms; disconnecting", c->id(), c->remote().c_str(),
                      cfg.write_timeout_ms);
      c->close(RemoveReason::kSlow);
      continue;
    }
    if (c->queue.check(now) == ClientQueue<Event>::Result::kOverHardLimit) {
      c->close(RemoveReason::kSlow);
      continue;
    }
    if (cfg.keepalive_ms && c->queue.unsent_bytes() == 0 && !c->writing() &&
        now - c->last_write_us() >= int64_t{cfg.keepalive_ms} * 1000) {
      deliver(c, make_keepalive_event(), now);
      c->pump(now);
    }
  }
}

void Stream::Impl::shutdown_all() {
  for (auto &c : snapshot())
    c->finish(RemoveReason::kShutdown);
  backlog.clear();
}

void Stream::Impl::client_ending(ClientConn &) {
  std::lock_guard<std::mutex> lock(drain_mutex);
  ending++;
}

void Stream::Impl::client_removed(ClientConn &c, RemoveReason reason, bool was_ending) {
  live_removed++;
  {
    std::lock_guard<std::mutex> lock(mutex);
    clients.erase(c.id());
  }
  self->num_clients_--;
  counters.ended[static_cast<size_t>(reason)].add();
  counters.retired_events_sent.add(c.events_sent.load(std::memory_order_relaxed));
  counters.retired_events_dropped.add(c.queue.dropped_events());
  counters.retired_gaps.add(c.queue.gaps());
  if (was_ending) {
    std::lock_guard<std::mutex> lock(drain_mutex);
    if (--ending == 0)
      drained.notify_all();
  }
  if (self->on_client_removed)
    self->on_client_removed(c.id(), c.remote(), reason);
}

}  // namespace gstsse
