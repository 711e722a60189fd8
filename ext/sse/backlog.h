/* The backlog of a stream: its recent media events, kept for clients that
 * join (from the latest key chunk) or resume (after their Last-Event-ID).
 *
 * Owns the subtlest memory rule of the server: trim by age and size, but
 * keep the latest GOP whole so a joining client can start at its key chunk,
 * unless that GOP alone is over twice the byte limit (a stream that never
 * sends a key again must not grow without bound).
 *
 * Plain C++, no GLib, header-only so tests can use it with their own event
 * type. Not thread-safe: the server thread owns a stream's backlog. */
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

namespace gstsse {

struct BacklogLimits {
  uint64_t bytes = 0; /* 0: no size limit */
  int64_t age_us = 0; /* 0: no age limit */
};

/* EventPtr: a pointer-like type to an event with size(), bool key, uint64_t
 * seq and int64_t made_us (monotonic time it was made), and optionally
 * memory(): the bytes it holds in all its forms (plain and gzip), counted
 * instead of size() when present. Events are added with consecutive ids. */
template <typename EventPtr>
class Backlog {
 public:
  explicit Backlog(BacklogLimits limits = {}) : limits_(limits) {}

  /* Appends a media event and trims what the limits no longer allow, ages
   * measured from @ev's creation. */
  void add(const EventPtr &ev) {
    events_.push_back(ev);
    bytes_ += held(*ev, 0);
    last_seq_ = ev->seq;
    if (ev->key)
      latest_key_seq_ = ev->seq;
    while (!events_.empty() && should_drop_front(ev->made_us)) {
      if (events_.front()->seq == latest_key_seq_)
        latest_key_seq_ = 0;
      bytes_ -= held(*events_.front(), 0);
      events_.pop_front();
    }
  }

  void clear() {
    events_.clear();
    bytes_ = 0;
    latest_key_seq_ = 0;
  }

  bool empty() const { return events_.empty(); }
  size_t size() const { return events_.size(); }
  uint64_t bytes() const { return bytes_; }
  /* Oldest and newest id held; 0 when empty. */
  uint64_t first_seq() const { return events_.empty() ? 0 : events_.front()->seq; }
  uint64_t back_seq() const { return events_.empty() ? 0 : events_.back()->seq; }
  /* The newest id ever added (also after it was trimmed); 0: none. */
  uint64_t last_seq() const { return last_seq_; }
  /* The latest key chunk held; 0: none (a joining client waits for one). */
  uint64_t latest_key_seq() const { return latest_key_seq_; }

  /* Index of event @seq, which must be held (first_seq() <= @seq <= back_seq()). */
  size_t index_of(uint64_t seq) const { return static_cast<size_t>(seq - first_seq()); }
  const EventPtr &operator[](size_t i) const { return events_[i]; }
  /* Whether @seq is held. */
  bool holds(uint64_t seq) const { return !events_.empty() && seq >= first_seq() && seq <= back_seq(); }

 private:
  template <typename E>
  static auto held(const E &e, int) -> decltype(static_cast<uint64_t>(e.memory())) {
    return e.memory();
  }
  template <typename E>
  static uint64_t held(const E &e, long) {
    return e.size();
  }

  bool should_drop_front(int64_t now_us) const {
    const auto &front = events_.front();
    const bool too_big = limits_.bytes && bytes_ > limits_.bytes;
    const bool too_old = limits_.age_us && now_us - front->made_us > limits_.age_us;
    if (!(too_big || too_old))
      return false;
    /* The latest GOP stays, unless it alone is way over the size limit. */
    const bool protects_key = latest_key_seq_ != 0 && front->seq >= latest_key_seq_;
    const bool way_too_big = limits_.bytes && bytes_ > 2 * limits_.bytes;
    return !protects_key || way_too_big;
  }

  BacklogLimits limits_;
  std::deque<EventPtr> events_; /* consecutive media events, oldest first */
  uint64_t bytes_ = 0;
  uint64_t latest_key_seq_ = 0;
  uint64_t last_seq_ = 0;
};

}  // namespace gstsse
