/* A multiplexed client's streams, tags, checkpoints and slow policy; see
 * mux-client.h. */
#include "mux-client.h"

#include <gst/gst.h>

#include <algorithm>

GST_DEBUG_CATEGORY_EXTERN(gst_sse_sink_debug);
#define GST_CAT_DEFAULT gst_sse_sink_debug

namespace gstsse {

EventPtr make_mux_tag(const Event &ev, const std::string &path) {
  const bool media = ev.is_media();
  /* Stored blocks for gzip clients: a few bytes, made once. */
  auto tag = std::make_shared<Event>(media ? Event::Kind::kTag : Event::Kind::kControl, ev.seq, ev.key,
                                     encode_mux_head(ev.wire().substr(0, ev.tag_at()), path), ev.made_us,
                                     Event::Pack::kStored);
  if (media)
    tag->note = path;
  tag->mux_head = true;
  ev.set_mux_head(tag->wire());
  return tag;
}

namespace {

/* The queue applies only the hard limits: the soft ones are the client's
 * own policy (recover()). */
QueueLimits hard_only(QueueLimits l) {
  l.policy = RecoverPolicy::kNone;
  return l;
}

}  // namespace

MuxClient::MuxClient(Setup s)
    : owner_(s.owner),
      id_(s.id),
      mux_path_(s.mux_path),
      limits_(s.limits),
      retry_ms_(s.retry_ms),
      keepalive_ms_(s.keepalive_ms),
      write_timeout_ms_(s.write_timeout_ms),
      wanted_(std::move(s.wanted)),
      last_event_id_(std::move(s.last_event_id)),
      gzip_(s.gzip) {
  ClientConn::Setup cs;
  cs.owner = this;
  cs.id = s.id;
  cs.remote = s.remote;
  cs.limits = hard_only(s.limits);
  cs.tls = s.tls;
  cs.mux = true;
  cs.gzip = s.gzip;
  cs.served = s.served;
  conn_ = std::make_shared<ClientConn>(std::move(cs));
  expire_at(s.expires_at_s);
  if (!last_event_id_.empty()) {
    std::vector<MuxPosition> pos;
    id_malformed_ = !decode_mux_id(last_event_id_, &pos);
    for (auto &p : pos)
      positions_[p.path] = p.seq;
  }
}

MuxClient::~MuxClient() {
  if (msg_)
    g_object_unref(msg_);
}

EventPtr MuxClient::own(Event::Kind kind, std::string wire) const {
  return std::make_shared<const Event>(kind, 0, false, std::move(wire),
                                       gzip_ ? Event::Pack::kStored : Event::Pack::kNone);
}

void MuxClient::attach(SoupServerMessage *msg, const char *query_token, const std::vector<std::string> &streams,
                       const std::vector<std::string> &missing) {
  msg_ = SOUP_SERVER_MESSAGE(g_object_ref(msg));
  query_token_ = query_token ? query_token : "";
  conn_->attach(msg);
  const int64_t now = g_get_monotonic_time();
  push(own(Event::Kind::kControl, encode_retry(retry_ms_) + encode_streams_event(streams, missing)), now);
  GST_INFO("mux client %u (%s) connected to %s: %zu streams, %zu missing%s%.60s", id_, conn_->remote().c_str(),
           mux_path_.c_str(), streams.size(), missing.size(), last_event_id_.empty() ? "" : ", Last-Event-ID ",
           last_event_id_.c_str());
}

bool MuxClient::wants(const std::string &path) const {
  if (gone_ || conn_->done())
    return false;
  for (const Member &m : members_)
    if (m.path == path)
      return false;
  return wanted_.empty() || std::find(wanted_.begin(), wanted_.end(), path) != wanted_.end();
}

MuxClient::Member *MuxClient::find(const Stream &stream) const {
  for (Member &m : members_)
    if (m.stream == &stream)
      return &m;
  return nullptr;
}

bool MuxClient::join(Stream &stream, bool admit) {
  const StreamConfig &cfg = stream.config();
  if (gone_)
    return false;
  if (gzip_ && cfg.compression == Compression::kNone) { /* its events have no gzip pieces */
    GST_INFO_OBJECT(cfg.log_object, "mux client %u (%s): not joining %s: gzip, and its compression is none", id_,
                    conn_->remote().c_str(), cfg.path.c_str());
    return false;
  }
  if (admit && !cfg.auth_url.url.empty()) { /* as MuxHub::handle refuses it */
    GST_INFO_OBJECT(cfg.log_object, "mux client %u (%s): not joining %s: it has an auth-url", id_,
                    conn_->remote().c_str(), cfg.path.c_str());
    return false;
  }
  if (admit) {
    AdmissionRequest req = read_admission_request(msg_, nullptr);
    req.method = "GET";
    req.remote = conn_->remote().c_str();
    req.credentials.query_token = query_token_.empty() ? nullptr : query_token_.c_str();
    const Admission a = stream.admit(req);
    if (a.status != 200) {
      GST_INFO_OBJECT(cfg.log_object, "mux client %u (%s): not joining %s: %u %s", id_, conn_->remote().c_str(),
                      cfg.path.c_str(), a.status, a.refusal.c_str());
      return false;
    }
    expire_at(a.expires_at_s);
  }
  /* Where it starts: its position in the Last-Event-ID (used once), a
   * reset for a malformed one, else a key-frame join. */
  std::string from;
  if (id_malformed_ && !last_event_id_.empty()) {
    from = "-";
  } else if (auto it = positions_.find(cfg.path); it != positions_.end()) {
    from = std::to_string(it->second);
    positions_.erase(it);
  }
  Member fresh;
  fresh.stream = &stream;
  fresh.path = cfg.path;
  fresh.epoch = stream.first_seq();
  fresh.viewer = stream.add_viewer(conn_);
  members_.push_back(std::move(fresh));
  ended_.erase(cfg.path);
  Member &m = members_.back();
  const JoinPlan plan = stream.plan_join(from);
  const int64_t now = g_get_monotonic_time();
  if (!plan.stream_json.empty()) {
    m.stream_json = plan.stream_json;
    push(own(Event::Kind::kControl, encode_tagged_event("stream", m.path, m.stream_json)), now);
  }
  if (plan.ended) {
    end_member(m, nullptr, nullptr, RemoveReason::kEos, now);
    return true;
  }
  m.started = plan.resumed;
  if (plan.reset) {
    push(own(Event::Kind::kControl,
             encode_tagged_event("reset", m.path, reset_event_json(plan.reset, last_event_id_, m.epoch))),
         now);
    GST_INFO_OBJECT(cfg.log_object, "mux client %u: Last-Event-ID %.40s: %s for %s, joining at the latest key chunk",
                    id_, last_event_id_.c_str(), plan.reset, m.path.c_str());
  }
  for (const EventPtr &ev : plan.events) {
    if (conn_->done())
      break;
    deliver_one(m, ev, make_mux_tag(*ev, m.path), now);
  }
  return true;
}

void MuxClient::deliver(Stream &stream, const std::vector<EventPtr> &batch, const std::vector<EventPtr> &tags,
                        int64_t now) {
  Member *m = find(stream);
  for (size_t i = 0; m && i < batch.size() && !conn_->done(); i++)
    deliver_one(*m, batch[i], tags[i], now);
}

void MuxClient::deliver_one(Member &m, const EventPtr &ev, const EventPtr &tag, int64_t now) {
  if (m.ended || conn_->done() || !tag)
    return;
  switch (ev->kind) {
    case Event::Kind::kStream:
      if (m.stream_json == ev->note)
        return;
      m.stream_json = ev->note;
      push(tag, now);
      push(ev, now);
      return;
    case Event::Kind::kMedia:
      if (!m.started) {
        if (!ev->key)
          return; /* joins start at a key chunk */
        m.started = true;
      } else if (m.skipping) {
        if (!ev->key) {
          if (m.gap.events == 0)
            m.gap.first_seq = ev->seq;
          m.gap.last_seq = ev->seq;
          m.gap.events++;
          m.gap.bytes += ev->mux_size();
          skipped_++;
          return;
        }
        m.skipping = false;
        push(own(Event::Kind::kControl,
                 encode_tagged_event("gap", m.path,
                                     gap_event_json(m.gap.events, m.gap.bytes, m.gap.first_seq, m.gap.last_seq))),
             now);
        m.gap = GapInfo{};
      }
      if (last_checkpoint_us_ == 0 || uncovered_ || now - last_checkpoint_us_ >= kCheckpointUs)
        checkpoint(now);
      push(tag, now);
      push(ev, now);
      if (!m.checkpointed)
        uncovered_ = true;
      m.last_seq = ev->seq;
      return;
    case Event::Kind::kEos: end_member(m, ev, tag, RemoveReason::kEos, now); return;
    default: return;
  }
}

/* @m ended (@ev: the stream's eos, null when it left without one). */
void MuxClient::end_member(Member &m, const EventPtr &ev, const EventPtr &tag, RemoveReason why, int64_t now) {
  m.ended = true;
  if (m.viewer) {
    const uint32_t viewer = m.viewer;
    m.viewer = 0;
    m.stream->remove_viewer(viewer, why);
  }
  if (!wanted_.empty())
    ended_.insert(m.path);
  if (all_named_ended()) {
    /* Its own eos (tag_at() 0): the body ends with it. */
    push(own(Event::Kind::kEos, encode_tagged_event("eos", m.path, "{}")), now);
    return;
  }
  if (ev && tag) {
    push(tag, now);
    push(ev, now);
  } else {
    push(own(Event::Kind::kControl, encode_tagged_event("eos", m.path, "{}")), now);
  }
}

bool MuxClient::all_named_ended() const {
  if (wanted_.empty())
    return false;
  for (const std::string &p : wanted_)
    if (!ended_.count(p))
      return false;
  return true;
}

void MuxClient::stream_removed(Stream &stream) {
  Member *m = find(stream);
  if (!m)
    return;
  const int64_t now = g_get_monotonic_time();
  if (!m->ended && !conn_->done())
    end_member(*m, nullptr, nullptr, RemoveReason::kShutdown, now);
  if (m->viewer) { /* the body had ended: still counted there */
    const uint32_t viewer = m->viewer;
    m->viewer = 0;
    stream.remove_viewer(viewer, RemoveReason::kShutdown);
  }
  members_.erase(members_.begin() + (m - members_.data()));
  conn_->pump(now);
}

/* `id: m1;<path>=<seq>...` before the next event: the last media seq of
 * every stream queued so far, the streams in the order they joined. */
void MuxClient::checkpoint(int64_t now) {
  std::vector<MuxPosition> positions;
  for (Member &m : members_) {
    m.checkpointed = m.last_seq != 0;
    if (m.last_seq != 0 && !m.ended)
      positions.push_back({m.path, m.last_seq});
  }
  push(own(Event::Kind::kTag, "id: " + encode_mux_id(positions) + "\n"), now);
  last_checkpoint_us_ = now;
  uncovered_ = false;
}

void MuxClient::push(EventPtr ev, int64_t now) {
  if (conn_->done())
    return;
  const auto result = conn_->queue.push(std::move(ev), now);
  conn_->events_dropped.store(conn_->queue.dropped_events() + skipped_, std::memory_order_relaxed);
  conn_->unsent_bytes.store(conn_->queue.unsent_bytes(), std::memory_order_relaxed);
  if (result == ClientQueue<Event>::Result::kOverHardLimit) {
    GST_INFO("mux client %u (%s): %zu bytes unsent, over the hard limit; disconnecting", id_, conn_->remote().c_str(),
             conn_->queue.unsent_bytes());
    conn_->close(RemoveReason::kSlow);
    return;
  }
  if (over_soft(now))
    recover(now);
}

bool MuxClient::over_soft(int64_t now) const {
  const auto &q = conn_->queue;
  return (limits_.soft_bytes && q.unsent_bytes() > limits_.soft_bytes) ||
         (limits_.soft_lag_us && q.lag_us(now) > limits_.soft_lag_us);
}

/* Past the soft limit: every queued media event goes, with its tag and the
 * queued checkpoints; each stream that lost some skips to its next key
 * chunk. A media event whose tag is already out stays (the front one). Its
 * position goes back to just before what was dropped, so a checkpoint
 * written while it skips resumes it from there. */
void MuxClient::recover(int64_t now) {
  if (limits_.policy == RecoverPolicy::kNone)
    return;
  Member *cur = nullptr;
  std::vector<Member *> hit;
  conn_->queue.drop_queued([&](const Event &ev, size_t i) {
    if (ev.kind == Event::Kind::kTag) {
      if (!ev.note.empty()) {
        cur = nullptr;
        for (Member &m : members_)
          if (m.path == ev.note && !m.ended)
            cur = &m;
      }
      return true;
    }
    if (!ev.is_media() || i == 0)
      return false;
    if (cur) {
      if (cur->gap.events == 0) {
        cur->gap.first_seq = ev.seq;
        hit.push_back(cur);
      }
      cur->gap.last_seq = ev.seq;
      cur->gap.events++;
      cur->gap.bytes += ev.mux_size();
    }
    return true;
  });
  for (Member *m : hit) {
    m->skipping = true;
    m->last_seq = m->gap.first_seq - 1;
  }
  last_checkpoint_us_ = 0; /* the next media event carries a checkpoint */
  conn_->events_dropped.store(conn_->queue.dropped_events() + skipped_, std::memory_order_relaxed);
  conn_->unsent_bytes.store(conn_->queue.unsent_bytes(), std::memory_order_relaxed);
  GST_DEBUG("mux client %u (%s): over the soft limit; %zu streams skip to their next key chunk", id_,
            conn_->remote().c_str(), hit.size());
  (void)now;
}

void MuxClient::expire_at(int64_t expires_at_s) {
  if (expires_at_s <= 0 || expires_at_s >= INT64_MAX / 1000000)
    return;
  const int64_t at = g_get_monotonic_time() + std::max<int64_t>(0, expires_at_s * 1000000 - g_get_real_time());
  if (expires_us_ == 0 || at < expires_us_)
    expires_us_ = at;
}

void MuxClient::tick(int64_t now) {
  if (gone_ || conn_->done())
    return;
  if (expires_us_ && now >= expires_us_) { /* a signed token ran out: told, then closed */
    GST_INFO("mux client %u (%s): token expired; closing", id_, conn_->remote().c_str());
    push(make_expired_event("token expired"), now);
    conn_->pump(now);
    return;
  }
  if (write_timeout_ms_ && conn_->writing() && now - conn_->last_progress_us() > int64_t{write_timeout_ms_} * 1000) {
    GST_INFO("mux client %u (%s): nothing written for %u ms; disconnecting", id_, conn_->remote().c_str(),
             write_timeout_ms_);
    conn_->close(RemoveReason::kSlow);
    return;
  }
  if (conn_->queue.check(now) == ClientQueue<Event>::Result::kOverHardLimit) {
    conn_->close(RemoveReason::kSlow);
    return;
  }
  if (over_soft(now))
    recover(now);
  if (keepalive_ms_ && conn_->queue.unsent_bytes() == 0 && !conn_->writing() &&
      now - conn_->last_write_us() >= int64_t{keepalive_ms_} * 1000) {
    push(make_keepalive_event(), now);
    conn_->pump(now);
  }
}

void MuxClient::client_removed(ClientConn &, RemoveReason reason, bool) {
  gone_ = true;
  for (Member &m : members_)
    if (m.viewer) {
      const uint32_t viewer = m.viewer;
      m.viewer = 0;
      m.stream->remove_viewer(viewer, reason);
    }
  owner_->mux_client_gone(*this);
}

}  // namespace gstsse
