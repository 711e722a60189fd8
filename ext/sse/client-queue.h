/* The per-client send queue of ssesink and its slow-client policy.
 *
 * Plain C++: no GLib, no GObject. Lives on the server thread. Events are
 * shared, immutable and encoded once; a queue holds references, so a client
 * costs its references plus the bytes handed to the socket layer and not yet
 * written ("in flight").
 *
 * A client's backlog is its unsent bytes (queued + in flight) and its lag
 * (age of the oldest unsent event). Past the soft limit the recover policy
 * acts on the queued media events; past the hard limit the client must go
 * (the server disconnects it as slow). Recovering always leaves a decodable
 * stream behind: the client is told with a gap event placed right before the
 * event it continues with. */
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>

namespace gstsse {

/* Mirrors GstSseSinkRecoverPolicy. */
enum class RecoverPolicy {
  kNone = 0,     /* nothing at the soft limit; the hard limit disconnects */
  kKeyframe = 1, /* drop queued media up to the newest key chunk, or until the next one */
  kLatest = 2,   /* drop all queued media; continue with the next event */
};

struct QueueLimits {
  size_t soft_bytes = 0; /* 0: no soft limit */
  size_t hard_bytes = 0; /* 0: no hard limit */
  int64_t soft_lag_us = 0;
  int64_t hard_lag_us = 0;
  RecoverPolicy policy = RecoverPolicy::kKeyframe;
};

/* What a recovery dropped, for the gap event. */
struct GapInfo {
  uint64_t events = 0;
  uint64_t bytes = 0;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
};

/* Event must provide: size_t size(), bool is_media(), bool key, uint64_t
 * seq, int64_t made_us (monotonic time it was made). Bytes are counted as
 * the client's wire sends them: size(), or what the queue's SizeFn says
 * (a gzip client: the event's gzip piece). */
template <typename Event>
class ClientQueue {
 public:
  using EventPtr = std::shared_ptr<const Event>;
  using GapFactory = std::function<EventPtr(const GapInfo &)>;
  /* The bytes @e costs on this client's wire; nullptr: e.size(). */
  using SizeFn = size_t (*)(const Event &e);
  enum class Result { kOk, kOverHardLimit };

  ClientQueue(QueueLimits limits, size_t in_flight_max, GapFactory make_gap = nullptr, SizeFn size_of = nullptr)
      : limits_(limits), in_flight_max_(in_flight_max), make_gap_(std::move(make_gap)), size_of_(size_of) {}

  /* The bytes @e costs on the wire of this client. */
  size_t sz(const Event &e) const { return size_of_ ? size_of_(e) : e.size(); }

  /* Queues @ev, applies the recover policy, and says whether the client is
   * now over its hard limit. @now_us is on the clock of Event::made_us. */
  Result push(EventPtr ev, int64_t now_us) {
    if (ev->is_media() && skipping_) {
      if (!ev->key) {
        note_drop(*ev);
        return check_hard(now_us);
      }
      skipping_ = false;
      emit_gap();
    }
    queued_bytes_ += sz(*ev);
    queue_.push_back(std::move(ev));
    if (over_soft(now_us))
      recover();
    return check_hard(now_us);
  }

  /* Re-checks the limits as time passes with no new event. */
  Result check(int64_t now_us) {
    if (over_soft(now_us))
      recover();
    return check_hard(now_us);
  }

  /* Next event to hand to the socket layer, or nullptr when the queue is
   * empty or enough is in flight. One event always goes when nothing is in
   * flight, however large. */
  EventPtr pop_for_write() {
    if (queue_.empty() || (in_flight_ > 0 && in_flight_ >= in_flight_max_))
      return nullptr;
    EventPtr ev = queue_.front();
    queue_.pop_front();
    queued_bytes_ -= sz(*ev);
    in_flight_ += sz(*ev);
    inflight_.push_back(ev);
    return ev;
  }

  /* @bytes of what pop_for_write() handed out are now written. */
  void wrote(size_t bytes) {
    /* Events of no bytes on this wire (a mux gzip client's tag heads) go
     * with the bytes before them. */
    while (!inflight_.empty()) {
      const size_t left = sz(*inflight_.front()) - front_written_;
      if (bytes < left || (bytes == 0 && left > 0)) {
        front_written_ += bytes;
        in_flight_ -= bytes;
        return;
      }
      bytes -= left;
      in_flight_ -= left;
      front_written_ = 0;
      inflight_.pop_front();
    }
  }

  /* What pop_for_write() handed out and is not yet written, oldest first;
   * front_written() bytes of the first one are written. */
  const std::deque<EventPtr> &in_flight_events() const { return inflight_; }
  size_t front_written() const { return front_written_; }

  size_t unsent_bytes() const { return queued_bytes_ + in_flight_; }
  size_t queued_bytes() const { return queued_bytes_; }
  size_t in_flight_bytes() const { return in_flight_; }
  size_t queued_events() const { return queue_.size(); }
  bool empty() const { return queue_.empty(); }
  bool skipping() const { return skipping_; }
  uint64_t dropped_events() const { return dropped_events_; }
  uint64_t dropped_bytes() const { return dropped_bytes_; }
  /* Gap events queued: one per recovery that dropped something. */
  uint64_t gaps() const { return gaps_; }

  /* Drops the queued (not in flight) events for which @drop(ev, index)
   * says so, called in queue order (index 0: the next to go out); the rest
   * keep their order. Dropped media count in dropped_events(). For an
   * owner with a recover policy of its own (the multiplexed client, whose
   * queue has policy kNone). */
  template <typename Pred>
  void drop_queued(Pred drop) {
    std::deque<EventPtr> kept;
    for (size_t i = 0; i < queue_.size(); i++) {
      EventPtr &ev = queue_[i];
      if (!drop(*ev, i)) {
        kept.push_back(std::move(ev));
        continue;
      }
      queued_bytes_ -= sz(*ev);
      if (ev->is_media()) {
        dropped_events_++;
        dropped_bytes_ += sz(*ev);
      }
    }
    queue_.swap(kept);
  }

  /* Age of the oldest unsent event; 0 when everything is written. */
  int64_t lag_us(int64_t now_us) const {
    const Event *oldest = !inflight_.empty() ? inflight_.front().get()
                          : !queue_.empty()  ? queue_.front().get()
                                             : nullptr;
    return oldest ? now_us - oldest->made_us : 0;
  }

 private:
  bool over_soft(int64_t now_us) const {
    return (limits_.soft_bytes && unsent_bytes() > limits_.soft_bytes) ||
           (limits_.soft_lag_us && lag_us(now_us) > limits_.soft_lag_us);
  }

  Result check_hard(int64_t now_us) const {
    if ((limits_.hard_bytes && unsent_bytes() > limits_.hard_bytes) ||
        (limits_.hard_lag_us && lag_us(now_us) > limits_.hard_lag_us))
      return Result::kOverHardLimit;
    return Result::kOk;
  }

  void note_drop(const Event &ev) {
    if (gap_.events == 0)
      gap_.first_seq = ev.seq;
    gap_.last_seq = ev.seq;
    gap_.events++;
    gap_.bytes += sz(ev);
    dropped_events_++;
    dropped_bytes_ += sz(ev);
  }

  /* Queues the gap event for what was dropped since the last one. */
  void emit_gap() {
    if (gap_.events == 0)
      return;
    if (make_gap_) {
      EventPtr gap = make_gap_(gap_);
      gaps_++;
      queued_bytes_ += sz(*gap);
      queue_.push_back(std::move(gap));
    }
    gap_ = GapInfo{};
  }

  void recover() {
    if (limits_.policy == RecoverPolicy::kNone)
      return;
    /* Keep what is not media (stream and eos events) in order. */
    std::deque<EventPtr> kept;
    size_t resume_at = queue_.size(); /* index of the event to continue with */
    if (limits_.policy == RecoverPolicy::kKeyframe) {
      for (size_t i = queue_.size(); i-- > 0;)
        if (queue_[i]->is_media() && queue_[i]->key) {
          resume_at = i;
          break;
        }
    }
    bool dropped_any = false;
    for (size_t i = 0; i < queue_.size(); i++) {
      EventPtr &ev = queue_[i];
      if (i < resume_at && ev->is_media()) {
        note_drop(*ev);
        queued_bytes_ -= sz(*ev);
        dropped_any = true;
        continue;
      }
      kept.push_back(std::move(ev));
    }
    queue_.swap(kept);
    if (!dropped_any)
      return;
    if (limits_.policy == RecoverPolicy::kKeyframe && !has_queued_key()) {
      /* Nothing decodable queued: drop deltas as they come, until a key. */
      skipping_ = true;
      return;
    }
    /* The gap goes right before the event the client continues with. */
    insert_gap_before_first_media();
  }

  bool has_queued_key() const {
    for (const auto &ev : queue_)
      if (ev->is_media() && ev->key)
        return true;
    return false;
  }

  void insert_gap_before_first_media() {
    if (gap_.events == 0 || !make_gap_)
      return;
    EventPtr gap = make_gap_(gap_);
    gaps_++;
    gap_ = GapInfo{};
    size_t at = 0;
    while (at < queue_.size() && !queue_[at]->is_media())
      at++;
    queued_bytes_ += sz(*gap);
    queue_.insert(queue_.begin() + static_cast<std::ptrdiff_t>(at), std::move(gap));
  }

  QueueLimits limits_;
  size_t in_flight_max_;
  GapFactory make_gap_;
  SizeFn size_of_;
  std::deque<EventPtr> queue_;
  std::deque<EventPtr> inflight_;
  size_t front_written_ = 0;
  size_t queued_bytes_ = 0;
  size_t in_flight_ = 0;
  bool skipping_ = false;
  GapInfo gap_;
  uint64_t dropped_events_ = 0;
  uint64_t dropped_bytes_ = 0;
  uint64_t gaps_ = 0;
};

}  // namespace gstsse
