/* A blocking Server-Sent Events client for tests, on libsoup's sync API:
 * a real HTTP client over loopback; the body is parsed by the one wire
 * parser the tests and bench share (tests/common/sse-parse.h, WHATWG "event
 * stream interpretation"). Used by the test's own thread. */
#pragma once

#include <libsoup/soup.h>

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "sse-parse.h"

struct SseEvent {
  std::string event; /* empty for unnamed (media) events */
  std::string id;
  std::string data;
  std::string retry;
};

class SseClient {
 public:
  /* Sends GET (or @method) for @path on 127.0.0.1:@port. @timeout_s bounds every read. */
  SseClient(int port, const std::string &path = "/stream", const char *method = "GET",
            std::vector<std::pair<std::string, std::string>> headers = {}, unsigned timeout_s = 20);
  ~SseClient();
  SseClient(const SseClient &) = delete;
  SseClient &operator=(const SseClient &) = delete;

  unsigned status() const { return status_; }
  std::string header(const char *name) const;
  /* Next event; false at end of stream or on error (see error()). */
  bool next(SseEvent *ev);
  /* Next unnamed event with data, skipping named ones (stored in named()). */
  bool next_media(SseEvent *ev);
  const std::vector<SseEvent> &named() const { return named_; }
  const std::string &error() const { return error_; }
  bool ended_cleanly() const { return eof_; }
  void close();

 private:
  SoupSession *session_ = nullptr;
  SoupMessage *msg_ = nullptr;
  GInputStream *body_ = nullptr;
  sseparse::SseParser parser_{sseparse::SseParser::kWholeLines};
  std::deque<SseEvent> ready_; /* parsed, not yet returned by next() */
  unsigned status_ = 0;
  bool eof_ = false;
  std::string error_;
  std::vector<SseEvent> named_;
};

/* Decoded media payload of an event's JSON `data` field, and its other fields. */
struct MediaFields {
  uint64_t seq = 0;
  bool key = false;
  bool pts_null = true;
  int64_t pts = 0;
  int64_t ts = 0;
  std::vector<uint8_t> ts_bytes;
};
bool parse_media(const std::string &json, MediaFields *out, std::string *err);

/* Runs `ffmpeg -v error -i FILE -f null -` on @ts; returns ffmpeg's stderr
 * (empty when the stream decodes cleanly) and the exit status in @status. */
std::string ffmpeg_decode_errors(const std::vector<uint8_t> &ts, int *status);
/* `ffprobe` picture types of the video frames of @ts, e.g. "IPPP...". */
std::string ffprobe_pict_types(const std::vector<uint8_t> &ts);
