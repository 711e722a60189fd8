/* Whether a request to a stream's path is admitted, and the status and
 * headers of the answer: method, header size, credentials, CORS and the
 * client limits, in that order.
 *
 * Plain C++: no GLib, no GObject. It reads untrusted input and is fuzzed
 * (tests/fuzz/fuzz-requests.cpp). The server thread calls it for each
 * request (stream.cpp), then applies the answer to libsoup's message. */
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "access.h"

namespace gstsse {

struct AdmissionConfig {
  /* The stream's path: the one a signed token must grant. Set from the
   * stream, never from the request, so that every caller (the stream's own
   * path, the multiplexed endpoint for each stream it asks) checks the
   * path of the stream whose config this is. */
  std::string path;
  unsigned max_clients = 0;              /* 0: unlimited */
  unsigned max_clients_per_address = 0;  /* 0: unlimited */
  unsigned max_request_header_bytes = 0; /* 0: unlimited */
  unsigned retry_ms = 0;                 /* Retry-After of 503 and 429, rounded down to >= 1 s */
  AccessConfig access;
  CorsPolicy cors;
};

struct AdmissionRequest {
  std::string method;      /* "GET", "HEAD", "OPTIONS"... */
  size_t header_bytes = 0; /* the request's header names and values, +4 each */
  const char *origin = nullptr;
  const char *remote = nullptr; /* the peer's address; null: unknown */
  AccessRequest credentials;
  unsigned num_clients = 0; /* the stream's clients now */
  /* Clients of the stream from @remote; asked only when that limit is set. */
  std::function<unsigned(const char *remote)> clients_from;
};

struct AdmissionHeader {
  std::string name, value;
  bool append = false; /* add beside any of that name (Vary), else replace */
};

struct Admission {
  unsigned status = 0;
  const char *reason_phrase = nullptr; /* null: the standard one */
  std::vector<AdmissionHeader> headers;
  /* 200 to GET: open the event stream (HEAD gets the same headers only). */
  bool open_stream = false;
  /* Why it was refused, for the log; empty when not worth logging. */
  std::string refusal;
  /* Admitted by a signed token: when it expires (seconds since the epoch;
   * the client is then sent `event: expired` and closed); 0: never. */
  int64_t expires_at_s = 0;
};

Admission decide_admission(const AdmissionConfig &cfg, const AdmissionRequest &req);

}  // namespace gstsse
