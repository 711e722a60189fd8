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
 * byte counters count).
 *
 * A gzip body (gzip-frame.h) adds the gzip header before the first frame's
 * events and the trailer after the last one's: a frame can carry a short
 * @prefix and @suffix of the body's own around its events, inside its
 * chunk. */
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace gstsse {

class BodyFrame {
 public:
  /* At most this many bytes of prefix, and of suffix. */
  static constexpr size_t kMaxAffix = 16;

  /* Starts a frame of @payload event bytes (> 0). @chunked: frame them as
   * one chunk; @last: the frame ends the body (a chunked body gets its last
   * chunk, `0\r\n\r\n`, in the same write). @prefix and @suffix (at most
   * kMaxAffix bytes each, copied) go before and after the events. */
  void start(size_t payload, bool chunked, bool last, std::string_view prefix = {}, std::string_view suffix = {}) {
    payload_left_ = payload;
    last_ = last;
    head_len_ = head_off_ = tail_len_ = tail_off_ = 0;
    if (prefix.size() > kMaxAffix)
      prefix = prefix.substr(0, kMaxAffix);
    if (suffix.size() > kMaxAffix)
      suffix = suffix.substr(0, kMaxAffix);
    if (chunked) {
      char hex[2 * sizeof(size_t)];
      size_t n = 0;
      for (size_t v = payload + prefix.size() + suffix.size(); v != 0 || n == 0; v >>= 4)
        hex[n++] = "0123456789abcdef"[v & 0xf];
      while (n > 0)
        head_[head_len_++] = hex[--n];
      head_[head_len_++] = '\r';
      head_[head_len_++] = '\n';
    }
    if (!prefix.empty())
      std::memcpy(head_ + head_len_, prefix.data(), prefix.size());
    head_len_ += prefix.size();
    if (!suffix.empty())
      std::memcpy(tail_, suffix.data(), suffix.size());
    tail_len_ = suffix.size();
    if (chunked) {
      const std::string_view end = last ? std::string_view("\r\n0\r\n\r\n") : std::string_view("\r\n");
      std::memcpy(tail_ + tail_len_, end.data(), end.size());
      tail_len_ += end.size();
    }
    active_ = true;
  }

  /* Something of the frame is still to be written. */
  bool active() const { return active_; }
  /* The frame ends the body. */
  bool last() const { return last_; }

  std::string_view head_left() const { return std::string_view(head_ + head_off_, head_len_ - head_off_); }
  size_t payload_left() const { return payload_left_; }
  std::string_view tail_left() const { return std::string_view(tail_ + tail_off_, tail_len_ - tail_off_); }

  /* Records that the socket took the next @n bytes of the frame (at most
   * what is left). Returns how many of them were event bytes. */
  size_t advance(size_t n) {
    const size_t from_head = n < head_len_ - head_off_ ? n : head_len_ - head_off_;
    head_off_ += from_head;
    n -= from_head;
    const size_t from_payload = n < payload_left_ ? n : payload_left_;
    payload_left_ -= from_payload;
    n -= from_payload;
    tail_off_ += n < tail_len_ - tail_off_ ? n : tail_len_ - tail_off_;
    active_ = head_off_ < head_len_ || payload_left_ > 0 || tail_off_ < tail_len_;
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
    return gather(events, first_written, out, max,
                  [](const auto &ev) { return std::string_view(ev->data(), ev->size()); });
  }

  /* The same, with the bytes of each event as @bytes_of(event pointer)
   * says (a std::string_view): a gzip client's pieces. */
  template <typename Vec, typename Events, typename BytesOf>
  size_t gather(const Events &events, size_t first_written, Vec *out, size_t max, BytesOf bytes_of) const {
    size_t used = 0;
    const std::string_view head = head_left();
    if (!head.empty() && used < max)
      out[used++] = Vec{head.data(), head.size()};
    size_t left = payload_left_;
    size_t skip = first_written;
    for (const auto &ev : events) {
      if (left == 0 || used == max)
        break;
      const std::string_view bytes = bytes_of(ev);
      size_t len = bytes.size() - skip;
      if (len > left)
        len = left;
      if (len > 0)
        out[used++] = Vec{bytes.data() + skip, len};
      left -= len;
      skip = 0;
    }
    const std::string_view tail = tail_left();
    if (left == 0 && !tail.empty() && used < max)
      out[used++] = Vec{tail.data(), tail.size()};
    return used;
  }

 private:
  char head_[2 * sizeof(size_t) + 2 + kMaxAffix] = {};
  size_t head_len_ = 0, head_off_ = 0;
  size_t payload_left_ = 0;
  char tail_[kMaxAffix + 7] = {};
  size_t tail_len_ = 0, tail_off_ = 0;
  bool last_ = false;
  bool active_ = false;
};

}  // namespace gstsse
