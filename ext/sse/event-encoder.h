/* Encodes Server-Sent Events for the ssesink wire protocol (docs/protocol.md).
 *
 * Plain C++: no GLib, no GObject. Every media chunk is encoded exactly once,
 * here, into the bytes that all clients share. */
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gstsse {

/* Base64 (RFC 4648, with padding) of @size bytes appended to @out. */
void base64_append(std::string &out, const uint8_t *data, size_t size);

/* Length of the Base64 text for @size input bytes. */
constexpr size_t base64_length(size_t size) {
  return (size + 2) / 3 * 4;
}

/* Appends @s as a JSON string literal (with quotes), escaping as RFC 8259
 * requires; the result never contains a raw newline, so it is safe in an SSE
 * `data:` line. */
void json_append_string(std::string &out, std::string_view s);

struct MediaEventFields {
  uint64_t seq = 0;
  bool key = false;
  int64_t pts_ns = -1; /* < 0: unknown, sent as null */
  int64_t ts_us = 0;   /* server wall clock when encoded */
};

/* `id: <seq>\ndata: {"seq":..,"key":..,"pts":..,"ts":..,"data":"<b64>"}\n\n` */
std::string encode_media_event(const MediaEventFields &f, const uint8_t *ts, size_t size);

/* The JSON of the `stream` event: protocol version, @caps (empty: null),
 * @epoch (first id of the run) and @path, then @fields when not empty: more
 * members, without braces or a leading comma (StreamInfo::json_fields(),
 * stream-info.h). */
std::string stream_event_json(std::string_view caps, uint64_t epoch, std::string_view path,
                              std::string_view fields = {});

/* What an output said in its last `stream` event, so that it sends one only
 * when something changed. Not thread-safe: the owner locks. */
struct StreamDescription {
  std::string caps;   /* empty: not known yet */
  std::string fields; /* StreamInfo::json_fields() */

  /* Each returns true when the value changed. */
  bool set_caps(std::string_view c);
  bool set_fields(std::string_view f);
  std::string json(uint64_t epoch, std::string_view path) const { return stream_event_json(caps, epoch, path, fields); }
};

/* Where the value of the first `data:` field of the encoded event @wire is:
 * sets @offset and @length and returns true, or returns false when there is
 * none. The value is what an SSE relay (nchan) publishes as the message. */
bool find_data_field(std::string_view wire, size_t *offset, size_t *length);

/* `event: <name>\ndata: <json>\n\n`. @json must be a single line. */
std::string encode_named_event(std::string_view name, std::string_view json);

/* `: <text>\n\n`: an SSE comment, ignored by clients, keeps proxies awake. */
std::string encode_comment(std::string_view text);

/* `retry: <ms>\n`: the reconnection delay, to be followed by an event. */
std::string encode_retry(unsigned ms);

/* `event: eos` with `{}`: the stream ended. */
std::string encode_eos_event();

/* `event: gap`: a client's queue dropped @events events of @bytes bytes,
 * ids @first to @last (docs/protocol.md). */
std::string encode_gap_event(uint64_t events, uint64_t bytes, uint64_t first, uint64_t last);
/* Its JSON alone. */
std::string gap_event_json(uint64_t events, uint64_t bytes, uint64_t first, uint64_t last);

/* `event: reset`: the client's Last-Event-ID @last_event_id (cut to 64
 * bytes) cannot be resumed from, for @reason; @epoch is the run's first id. */
std::string encode_reset_event(std::string_view reason, std::string_view last_event_id, uint64_t epoch);
/* `event: expired`, `{"reason":...}`: the client's token ran out. */
std::string encode_expired_event(std::string_view reason);
/* Its JSON alone. */
std::string reset_event_json(std::string_view reason, std::string_view last_event_id, uint64_t epoch);

/* The keepalive comment. */
std::string encode_keepalive();

/* The multiplexed endpoint (mux-client.h). A tag is a stream's path as an
 * extra first data line (no CR or LF in it). */
/* @head (an event's text up to its first data line, Event::tag_at()) with
 * any `id:` line left out, then the `data: <tag>` line. */
std::string encode_mux_head(std::string_view head, std::string_view tag);
/* `event: <name>\ndata: <tag>\ndata: <json>\n\n`. */
std::string encode_tagged_event(std::string_view name, std::string_view tag, std::string_view json);
/* `event: streams` of the prelude: `{"protocol":1,"streams":[...],"missing":[...]}`. */
std::string encode_streams_event(const std::vector<std::string> &streams, const std::vector<std::string> &missing);

}  // namespace gstsse
