/* The bounded queue between the streaming thread and the connection that
 * publishes events to an upstream server (nchan): what waits while the
 * upstream is slow or down.
 *
 * Plain C++, no GLib: unit-tested on its own (tests/check/unit/).
 *
 * Bounds: the queued bytes and the age of the oldest media item. Whatever
 * goes over them is dropped from the oldest end, and then everything up to
 * the next key item too, so what the upstream gets after a loss starts where
 * a decoder can start. Control items (the stream description, end of stream)
 * are small and never dropped.
 *
 * T needs: `size_t size`, `bool media`, `bool key`, `int64_t made_us`. */
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>

namespace gstsse {

template <typename T>
class PublishQueue {
 public:
  struct Limits {
    uint64_t max_bytes = 0; /* 0: no byte limit */
    int64_t max_age_us = 0; /* 0: no age limit */
  };

  explicit PublishQueue(Limits limits = {}) : limits_(limits) {}

  /* Appends @item, then trims to the limits. Returns how many media items
   * were dropped (possibly @item itself). */
  uint64_t push(T item, int64_t now_us) {
    if (item.media) {
      if (skip_to_key_ && !item.key) {
        dropped_++;
        return 1;
      }
      if (item.key)
        skip_to_key_ = false;
    }
    bytes_ += item.size;
    items_.push_back(std::move(item));
    return trim(now_us);
  }

  /* Drops what is over the limits at @now_us; returns how many. */
  uint64_t trim(int64_t now_us) {
    uint64_t n = 0;
    bool in_gap = false;
    for (size_t i = 0; i < items_.size();) {
      const T &x = items_[i];
      if (!x.media) {
        i++;
        continue;
      }
      const bool over = limits_.max_bytes && bytes_ > limits_.max_bytes;
      const bool old = limits_.max_age_us && now_us - x.made_us > limits_.max_age_us;
      if (!over && !old && !(in_gap && !x.key))
        break;
      bytes_ -= x.size;
      items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(i));
      n++;
      in_gap = true;
    }
    /* Lost the tail of a group: later non-key items cannot be decoded. */
    if (in_gap && !has_media())
      skip_to_key_ = true;
    dropped_ += n;
    return n;
  }

  bool empty() const { return items_.empty(); }
  const T &front() const { return items_.front(); }

  /* Removes and returns the oldest item, to send it. */
  T take() {
    T item = std::move(items_.front());
    items_.pop_front();
    bytes_ -= item.size;
    return item;
  }

  /* Puts back an item take() returned whose sending failed, to retry it. */
  void put_back(T item) {
    bytes_ += item.size;
    items_.push_front(std::move(item));
  }

  /* Forgets everything queued (not counted as dropped). */
  void clear() {
    items_.clear();
    bytes_ = 0;
    skip_to_key_ = false;
  }

  size_t size() const { return items_.size(); }
  uint64_t bytes() const { return bytes_; }
  uint64_t dropped() const { return dropped_; }
  /* True after a loss emptied the queue: non-key media is dropped on push
   * until a key item comes. */
  bool skipping_to_key() const { return skip_to_key_; }

 private:
  bool has_media() const {
    for (const T &x : items_)
      if (x.media)
        return true;
    return false;
  }

  Limits limits_;
  std::deque<T> items_;
  uint64_t bytes_ = 0;
  uint64_t dropped_ = 0;
  bool skip_to_key_ = false;
};

}  // namespace gstsse
