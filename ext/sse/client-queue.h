/* The per-client send queue of ssesink and its memory policy.
 *
 * Plain C++: no GLib, no GObject. Lives on the server thread. Events are
 * shared, immutable and encoded once; a queue only holds references, so a
 * client costs its queue's references plus the bytes handed to the socket
 * layer but not yet written ("in flight").
 *
 * Every byte a client has not yet written counts against its limit: queued
 * events plus in-flight bytes. Over the hard limit the client must be
 * disconnected as slow; the queue says so and the server acts. */
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>

namespace gstsse {

template <typename Event>
class ClientQueue {
 public:
  using EventPtr = std::shared_ptr<const Event>;

  ClientQueue(size_t hard_limit, size_t in_flight_max) : hard_limit_(hard_limit), in_flight_max_(in_flight_max) {}

  /* Queues @ev. Returns false when the client is now over its hard limit
   * (the event is not queued). A hard limit of 0 means unlimited. */
  bool push(EventPtr ev) {
    const size_t size = ev->size();
    if (hard_limit_ && unsent_bytes() + size > hard_limit_)
      return false;
    queued_bytes_ += size;
    queue_.push_back(std::move(ev));
    return true;
  }

  /* Next event to hand to the socket layer, or nullptr when the queue is
   * empty or enough bytes are already in flight. Always lets one event go
   * when nothing is in flight, however large. */
  EventPtr pop_for_write() {
    if (queue_.empty() || (in_flight_ > 0 && in_flight_ >= in_flight_max_))
      return nullptr;
    EventPtr ev = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= ev->size();
    in_flight_ += ev->size();
    return ev;
  }

  /* Bytes handed out by pop_for_write() or written directly, now on the
   * wire. */
  void wrote(size_t bytes) { in_flight_ = bytes > in_flight_ ? 0 : in_flight_ - bytes; }

  /* Bytes given to the socket layer without going through the queue (the
   * stream prelude, keepalives). */
  void add_in_flight(size_t bytes) { in_flight_ += bytes; }

  size_t unsent_bytes() const { return queued_bytes_ + in_flight_; }
  size_t queued_bytes() const { return queued_bytes_; }
  size_t in_flight_bytes() const { return in_flight_; }
  size_t queued_events() const { return queue_.size(); }
  bool empty() const { return queue_.empty(); }
  void set_hard_limit(size_t bytes) { hard_limit_ = bytes; }

 private:
  std::deque<EventPtr> queue_;
  size_t queued_bytes_ = 0;
  size_t in_flight_ = 0;
  size_t hard_limit_;
  size_t in_flight_max_;
};

}  // namespace gstsse
