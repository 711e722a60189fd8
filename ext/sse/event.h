/* The events ssesink sends, and where they go.
 *
 * Owns: Event (one encoded SSE frame, immutable, shared by every client and
 * output that sends it), the make_*() helpers that build each kind from its
 * wire text (all wire text comes from event-encoder.h), the id of a run
 * (next_run_first_seq()), and EventSink, what every output implements: the
 * server's Stream and the NchanPublisher.
 *
 * Plain C++: no GLib. Events are made by the chunk pump (media, eos; on the
 * streaming thread, or on a loop thread for an idle flush), by the sinks
 * (stream) and by the server thread (prelude, gap, reset, keepalive), and
 * read from any thread: they never change once made.
 *
 * With compression on for the stream, an event also keeps its piece of a
 * gzip body (gzip-frame.h), made once with it: media, stream and eos events
 * deflated on their own (by the chunk pump or the stream, off the server
 * thread), a client's own events (prelude, keepalive, gap, reset: small,
 * made per client) as stored blocks, always. Gzip clients write those bytes
 * instead of the plain ones. */
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "event-encoder.h"
#include "gzip-frame.h"

namespace gstsse {

/* An encoded SSE frame, immutable and shared by every client that gets it:
 * every client's write points into the same bytes. */
struct Event {
  /* kMedia: a TS chunk; kStream: the stream description; kEos: end of
   * stream; kExpired: one client's token ran out (its body ends after it,
   * like after kEos); kControl: anything else (prelude, keepalive, gap,
   * reset); kTag: a multiplexed client's line in front of a media event
   * (its path tag, or a checkpoint id, mux-client.h), dropped with that
   * event. */
  enum class Kind { kMedia, kStream, kEos, kControl, kExpired, kTag };
  /* Its gzip piece: none, deflated, or stored blocks. */
  enum class Pack { kNone, kDeflate, kStored };
  /* made_us: the monotonic clock now (the clock of g_get_monotonic_time()). */
  /* @taggable: a shared media, stream or eos event, which a multiplexed
   * client sends from its first data line on (tag_at()). */
  Event(Kind k, uint64_t s, bool is_key, std::string wire, Pack pack = Pack::kNone, bool taggable = false);
  /* With an explicit creation time, for tests. */
  Event(Kind k, uint64_t s, bool is_key, std::string wire, int64_t made, Pack pack = Pack::kNone,
        bool taggable = false);
  Event(const Event &) = delete;
  Event &operator=(const Event &) = delete;
  /* The SSE text; HTTP framing, when a client needs it, is added per write. */
  const char *data() const { return wire_.data(); }
  size_t size() const { return wire_.size(); }
  std::string_view wire() const { return wire_; }
  bool is_media() const { return kind == Kind::kMedia; }
  /* The gzip piece (has_gzip()), and the CRC-32 of the plain bytes. */
  bool has_gzip() const { return has_gzip_; }
  const char *gzip_data() const { return gzip_.bytes.data(); }
  size_t gzip_size() const { return gzip_.bytes.size(); }
  uint32_t crc() const { return gzip_.crc; }
  /* Bytes held, both forms: what the backlog's memory bound counts. */
  size_t memory() const { return wire_.size() + gzip_.bytes.size(); }

  /* Where a multiplexed client's tag goes (its first data line): media,
   * stream and eos events; such a client writes its own head, the tag, and
   * then these bytes from here (mux_size()). 0 for the others: written
   * whole. */
  size_t tag_at() const { return tag_at_; }
  size_t mux_size() const { return wire_.size() - tag_at_; }
  /* What a multiplexed gzip client sends of this event, and the CRC-32
   * and length of its plain text. A shared event (tag_at() not 0): its
   * tag head (set_mux_head()) and its bytes from tag_at(), deflated as one
   * run, made the first time a mux gzip client asks and kept with the
   * event; its tag head event (mux_head) then sends nothing. Else the gzip
   * piece. Server thread only: nothing else reads these. */
  std::string_view mux_gzip() const;
  uint32_t mux_crc() const;
  size_t mux_plain() const;
  /* The tag head a mux client writes in front of this shared event
   * (make_mux_tag(); the first one set stays: it depends only on the
   * stream). */
  void set_mux_head(std::string_view head) const {
    if (mux_head_text_.empty())
      mux_head_text_ = head;
  }
  /* A tag head event (make_mux_tag()): no bytes of its own for a mux gzip
   * client (the event it heads carries them). Set before it is shared. */
  bool mux_head = false;

  Kind kind;
  uint64_t seq;
  bool key;
  int64_t made_us;  /* monotonic time of creation, for lag and backlog age */
  std::string note; /* kStream: the JSON, to skip sending a client the same twice; kTag: the path */
 private:
  const std::string wire_;
  const GzipPiece &mux_tail() const;

  GzipPiece gzip_;
  bool has_gzip_ = false;
  size_t tag_at_ = 0;
  mutable std::unique_ptr<GzipPiece> mux_tail_; /* server thread: see mux_gzip() */
  mutable std::string mux_head_text_;           /* server thread: set_mux_head() */
};
using EventPtr = std::shared_ptr<const Event>;

/* A TS chunk: `id:` @f.seq and the JSON of encode_media_event().
 * @deflate: also make its deflated piece (compression on). */
EventPtr make_media_event(const MediaEventFields &f, const uint8_t *ts, size_t size, bool deflate = false);
/* The `stream` event with @json (stream_event_json()); its note is @json. */
EventPtr make_stream_event(const std::string &json, bool deflate = false);
/* The `eos` event: publish it after the last media event. */
EventPtr make_eos_event(bool deflate = false);
/* What a joining client gets first: `retry:` and the `stream` event. */
EventPtr make_prelude_event(unsigned retry_ms, std::string_view stream_json);
/* The `gap` event: a client's queue dropped @events events (@bytes bytes),
 * ids @first to @last. */
EventPtr make_gap_event(uint64_t events, uint64_t bytes, uint64_t first, uint64_t last);
/* The `reset` event: a Last-Event-ID the stream cannot resume from. */
EventPtr make_reset_event(std::string_view reason, std::string_view last_event_id, uint64_t epoch);
/* `event: expired` with @reason: the client's signed token ran out; its
 * body ends after it. */
EventPtr make_expired_event(std::string_view reason);
/* An SSE comment that keeps idle connections and proxies awake. */
EventPtr make_keepalive_event();

/* First id for a new run of a stream: never below the wall clock in
 * microseconds and always above every id this process issued before, so ids
 * do not collide across pipeline restarts, in this process or the next.
 * Any thread. */
uint64_t next_run_first_seq();

/* The monotonic clock in microseconds, the same as g_get_monotonic_time(). */
int64_t monotonic_us();

/* Where the element's events go: each output (the server's Stream, the
 * NchanPublisher) implements it, and the chunk pump hands every event to
 * each of its sinks once.
 *
 * Threads: the chunk pump calls these with its lock held (from the
 * streaming thread, or the loop thread of an idle flush), so the calls keep
 * their order on the wire. They must not block on the network or on a
 * client: queue and wake the output's own thread. */
class EventSink {
 public:
  virtual ~EventSink() = default;
  /* Media, stream and eos events, in order. */
  virtual void publish(std::vector<EventPtr> events) = 0;
  /* Queue a `stream` event when what it says changes: @caps, or @fields,
   * more members of its JSON (StreamInfo::json_fields(), stream-info.h).
   * None is sent before caps are known. */
  virtual void set_caps(const std::string &caps) = 0;
  virtual void set_stream_info(const std::string &fields) = 0;
};

}  // namespace gstsse
