/* How ssesink frames a client's response body and resumes partial writes.
 *
 * Plain C++: no GLib, no GObject. ssesink writes each client's body itself
 * (libsoup sends only the response headers), one write per run of queued
 * events. An HTTP/1.1 body is chunked: the run goes out as one chunk, its
 * size line built here per write, so the events themselves stay unframed and
 * shared by every client; an HTTP/1.0 body is close-delimited and the events
 * go as they are. A frame remembers how much of it the socket took, so a
 * partial non-blocking write resumes at the right byte, and reports how many
 * of the written bytes were event bytes (what the client's queue and the
 * byte counters count). */
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gstsse {

class BodyFrame {
 public:
  /* Starts a frame of @payload event bytes (> 0). @chunked: frame them as
   * one chunk; @last: the frame ends the body (a chunked body gets its last
   * chunk, `0\r\n\r\n`, in the same write). */
  void start(size_t payload, bool chunked, bool last) {
    payload_left_ = payload;
    last_ = last;
    head_len_ = head_off_ = tail_off_ = 0;
    tail_ = "";
    if (chunked) {
      char hex[2 * sizeof(size_t)];
      size_t n = 0;
      for (size_t v = payload; v != 0 || n == 0; v >>= 4)
        hex[n++] = "0123456789abcdef"[v & 0xf];
      while (n > 0)
        head_[head_len_++] = hex[--n];
      head_[head_len_++] = '\r';
      head_[head_len_++] = '\n';
      tail_ = last ? std::string_view("\r\n0\r\n\r\n") : std::string_view("\r\n");
    }
    active_ = true;
  }

  /* Something of the frame is still to be written. */
  bool active() const { return active_; }
  /* The frame ends the body. */
  bool last() const { return last_; }

  std::string_view head_left() const { return std::string_view(head_ + head_off_, head_len_ - head_off_); }
  size_t payload_left() const { return payload_left_; }
  std::string_view tail_left() const { return tail_.substr(tail_off_); }

  /* Records that the socket took the next @n bytes of the frame (at most
   * what is left). Returns how many of them were event bytes. */
  size_t advance(size_t n) {
    const size_t from_head = n < head_len_ - head_off_ ? n : head_len_ - head_off_;
    head_off_ += from_head;
    n -= from_head;
    const size_t from_payload = n < payload_left_ ? n : payload_left_;
    payload_left_ -= from_payload;
    n -= from_payload;
    tail_off_ += n < tail_.size() - tail_off_ ? n : tail_.size() - tail_off_;
    active_ = head_off_ < head_len_ || payload_left_ > 0 || tail_off_ < tail_.size();
    return from_payload;
  }

  /* Fills @out (at most @max entries of a {pointer, size} aggregate such as
   * GOutputVector) with what is left to write: the rest of the head, the
   * unwritten payload from @events (the frame's events not yet written, in
   * order, the first one written up to @first_written), then the rest of the
   * tail if all of the payload fitted. Event must provide data() and
   * size(); @events holds pointers to them. Returns the entries used. */
  template <typename Vec, typename Events>
  size_t gather(const Events &events, size_t first_written, Vec *out, size_t max) const {
    size_t used = 0;
    const std::string_view head = head_left();
    if (!head.empty() && used < max)
      out[used++] = Vec{head.data(), head.size()};
    size_t left = payload_left_;
    size_t skip = first_written;
    for (const auto &ev : events) {
      if (left == 0 || used == max)
        break;
      size_t len = ev->size() - skip;
      if (len > left)
        len = left;
      if (len > 0)
        out[used++] = Vec{ev->data() + skip, len};
      left -= len;
      skip = 0;
    }
    const std::string_view tail = tail_left();
    if (left == 0 && !tail.empty() && used < max)
      out[used++] = Vec{tail.data(), tail.size()};
    return used;
  }

 private:
  char head_[2 * sizeof(size_t) + 2] = {};
  size_t head_len_ = 0, head_off_ = 0;
  size_t payload_left_ = 0;
  std::string_view tail_;
  size_t tail_off_ = 0;
  bool last_ = false;
  bool active_ = false;
};

}  // namespace gstsse
