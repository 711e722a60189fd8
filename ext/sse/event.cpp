/* Event and its kinds; see event.h. */
#include "event.h"

#include <time.h>

#include <algorithm>
#include <mutex>

namespace gstsse {
namespace {

std::mutex g_seq_mutex;
uint64_t g_last_first_seq = 0;

EventPtr control_event(std::string wire) {
  /* Small and made per client: stored blocks, always (a copy, no deflate). */
  return std::make_shared<const Event>(Event::Kind::kControl, 0, false, std::move(wire), Event::Pack::kStored);
}

Event::Pack deflated(bool on) {
  return on ? Event::Pack::kDeflate : Event::Pack::kNone;
}

}  // namespace

int64_t monotonic_us() {
  /* What GLib's g_get_monotonic_time() reads, so the two can be compared. */
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

Event::Event(Kind k, uint64_t s, bool is_key, std::string wire, Pack pack, bool taggable)
    : Event(k, s, is_key, std::move(wire), monotonic_us(), pack, taggable) {}

Event::Event(Kind k, uint64_t s, bool is_key, std::string wire, int64_t made, Pack pack, bool taggable)
    : kind(k), seq(s), key(is_key), made_us(made), wire_(std::move(wire)) {
  size_t offset = 0, length = 0;
  if (taggable && find_data_field(wire_, &offset, &length))
    tag_at_ = offset - 6; /* the start of its "data: " line */
  if (pack == Pack::kNone)
    return;
  gzip_ = pack == Pack::kDeflate ? deflate_event(wire_) : stored_blocks(wire_);
  has_gzip_ = true;
}

const GzipPiece &Event::mux_tail() const {
  if (!mux_tail_) {
    std::string plain = mux_head_text_;
    plain += wire().substr(tag_at_);
    mux_tail_ = std::make_unique<GzipPiece>(deflate_event(plain));
  }
  return *mux_tail_;
}

std::string_view Event::mux_gzip() const {
  if (mux_head)
    return {};
  return tag_at_ ? std::string_view(mux_tail().bytes) : std::string_view(gzip_.bytes);
}

uint32_t Event::mux_crc() const {
  if (mux_head)
    return 0; /* crc32() of nothing */
  return tag_at_ ? mux_tail().crc : gzip_.crc;
}

size_t Event::mux_plain() const {
  if (mux_head)
    return 0;
  return tag_at_ ? mux_head_text_.size() + mux_size() : size();
}

EventPtr make_media_event(const MediaEventFields &f, const uint8_t *ts, size_t size, bool deflate) {
  return std::make_shared<const Event>(Event::Kind::kMedia, f.seq, f.key, encode_media_event(f, ts, size),
                                       deflated(deflate), true);
}

EventPtr make_stream_event(const std::string &json, bool deflate) {
  auto ev = std::make_shared<Event>(Event::Kind::kStream, 0, false, encode_named_event("stream", json),
                                    deflated(deflate), true);
  ev->note = json;
  return ev;
}

EventPtr make_eos_event(bool deflate) {
  return std::make_shared<const Event>(Event::Kind::kEos, 0, false, encode_eos_event(), deflated(deflate), true);
}

EventPtr make_prelude_event(unsigned retry_ms, std::string_view stream_json) {
  return control_event(encode_retry(retry_ms) + encode_named_event("stream", stream_json));
}

EventPtr make_gap_event(uint64_t events, uint64_t bytes, uint64_t first, uint64_t last) {
  return control_event(encode_gap_event(events, bytes, first, last));
}

EventPtr make_reset_event(std::string_view reason, std::string_view last_event_id, uint64_t epoch) {
  return control_event(encode_reset_event(reason, last_event_id, epoch));
}

EventPtr make_expired_event(std::string_view reason) {
  return std::make_shared<const Event>(Event::Kind::kExpired, 0, false, encode_expired_event(reason),
                                       Event::Pack::kStored);
}

EventPtr make_keepalive_event() {
  /* One for every client and stream: it never changes. */
  static const EventPtr keepalive = control_event(encode_keepalive());
  return keepalive;
}

uint64_t next_run_first_seq() {
  std::lock_guard<std::mutex> lock(g_seq_mutex);
  /* The wall clock, as g_get_real_time() reads it. */
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  const auto now = static_cast<uint64_t>(ts.tv_sec) * 1000000 + static_cast<uint64_t>(ts.tv_nsec / 1000);
  g_last_first_seq = std::max(now, g_last_first_seq + 1);
  return g_last_first_seq;
}

}  // namespace gstsse
