/* One client of a stream: its connection, from the request libsoup hands
 * over to the connection taken from libsoup, and the writes of its body.
 *
 * Owns the client's phase (an explicit enum: the one place that says
 * whether libsoup or we hold the connection, whether the body is ending,
 * whether the client is gone), the handles of each phase, the write pump
 * (one non-blocking writev per run of queued events, body-frame.h) and the
 * close. Its queue and delivery state belong to the stream that feeds it
 * (stream.cpp), which decides what goes in; this class decides when and
 * how it goes out.
 *
 * A gzip client (Setup::gzip) gets `Content-Encoding: gzip`: its queue
 * counts and its writes send each event's shared gzip piece (event.h), its
 * first frame starts with the gzip header and its last one (eos) ends with
 * the trailer (gzip-frame.h), whose CRC-32 and length grow per event taken.
 *
 * A multiplexed client (Setup::mux) writes each shared event from its
 * tag_at() on (event.h): its owner queues the tag line in front of it.
 *
 * Threads: the server thread only, apart from the counters, which
 * Stream::client_stats() reads (relaxed) from any thread. */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "body-frame.h"
#include "client-queue.h"
#include "event.h"

namespace gstsse {

/* Why a client went away; mirrors GstSseSinkClientRemoveReason (the
 * values are checked there). */
enum class RemoveReason { kClosed = 0, kSlow = 1, kError = 2, kShutdown = 3, kEos = 4, kExpired = 5 };

class ClientConn;

/* The stream a client belongs to: told when the client starts writing its
 * last frame and when it is gone (server thread). */
class ClientOwner {
 public:
  virtual void client_ending(ClientConn &c) = 0;
  /* @c is removed (@was_ending: after client_ending()): forget it and
   * emit client-removed. */
  virtual void client_removed(ClientConn &c, RemoveReason reason, bool was_ending) = 0;

 protected:
  ~ClientOwner() = default;
};

class ClientConn : public std::enable_shared_from_this<ClientConn> {
 public:
  enum class Phase : uint8_t {
    kHeaders, /* libsoup writes the response headers; we hold its message */
    kOpen,    /* the connection is ours; the body is written here */
    kEnding,  /* the eos event is taken for writing: the last frame goes out */
    kClosing, /* closed while libsoup still had it: removed when its message finishes */
    kRemoved, /* gone: nothing more is written, the stream has forgotten it */
  };

  struct Setup {
    ClientOwner *owner = nullptr;
    GObject *log_object = nullptr; /* the element, for log lines */
    uint32_t id = 0;
    std::string remote;
    QueueLimits limits;
    bool tls = false;  /* written through GIO, not sendmsg() */
    bool gzip = false; /* Content-Encoding: gzip (events have their pieces) */
    /* A multiplexed client (mux-client.h): events go from their tag_at()
     * (the client queues its own tag lines in front), and only an eos
     * event of its own (tag_at() 0) ends the body, not a stream's. */
    bool mux = false;
    std::atomic<uint64_t> *served = nullptr; /* the stream's byte counter */
  };

  explicit ClientConn(Setup s);
  ~ClientConn();
  ClientConn(const ClientConn &) = delete;
  ClientConn &operator=(const ClientConn &) = delete;

  /* Takes @msg (a 200 to GET, headers set): its body is chunked unless the
   * request was HTTP/1.0. Call once, before anything else. */
  void attach(SoupServerMessage *msg);
  /* Writes what is queued until the socket takes no more (nothing before
   * the connection is ours). The caller holds a reference: the client may
   * be removed in it. */
  void pump(int64_t now);
  /* Closes the client for @reason: at once when the connection is ours,
   * else when libsoup's message finishes. */
  void close(RemoveReason reason);
  /* Closes whatever it holds and removes it, now: client-removed (@reason). */
  void finish(RemoveReason reason);

  Phase phase() const { return phase_; }
  /* Nothing more goes in: closing, or gone. */
  bool closing() const { return phase_ >= Phase::kClosing; }
  /* Nothing more goes in: the last frame is out, or going, or it is closing. */
  bool done() const { return phase_ >= Phase::kEnding; }
  /* A frame is partly written. */
  bool writing() const { return frame_.active(); }
  bool gzip() const { return gzip_; }
  uint32_t id() const { return id_; }
  const std::string &remote() const { return remote_; }
  int64_t connected_us() const { return connected_us_; }
  int64_t last_write_us() const { return last_write_us_; }
  int64_t last_progress_us() const { return last_progress_us_; }

  /* Members in the order a dispatch touches them: a client costs cache
   * misses before it costs instructions. */
 private:
  Phase phase_ = Phase::kHeaders;
  bool chunked_ = true; /* HTTP/1.1: chunked body; HTTP/1.0: close-delimited */
  bool gzip_ = false;   /* the body is gzip: pieces, header, trailer */
  bool mux_ = false;    /* Setup::mux */
  bool gzip_header_sent_ = false;
  GzipTrailer trailer_; /* gzip: CRC-32 and length of what was taken for writing */

 public:
  bool started = false;   /* has its first key chunk (or resumed); the stream's */
  int64_t expires_us = 0; /* monotonic time its signed token runs out; 0: never; the stream's */

 private:
  int fd_ = -1;                  /* kOpen, kEnding, plain HTTP: written with sendmsg() */
  GSource *writable_ = nullptr;  /* armed while the socket takes nothing */
  int64_t last_write_us_ = 0;    /* last time a write of new events began */
  int64_t last_progress_us_ = 0; /* last time the socket took something, or data began to wait */

 public:
  /* Server thread writes; client_stats() reads (relaxed). */
  std::atomic<uint64_t> bytes_sent{0}, events_sent{0}, events_dropped{0}, unsent_bytes{0};

 private:
  BodyFrame frame_; /* the write in progress */

 public:
  /* The stream's to fill (deliver()). */
  ClientQueue<Event> queue;
  std::string stream_json; /* the stream event it got last; empty: none yet */

 private:
  void on_headers_written();
  void on_finished();
  bool write_nonblocking(const GOutputVector *v, size_t n, gsize *written);
  void wait_writable();
  void release_message();
  void gone(RemoveReason reason);
  bool start_frame(int64_t now);

  ClientOwner *owner_;
  std::atomic<uint64_t> *served_;
  GObject *log_;
  const uint32_t id_;
  const bool tls_;
  const std::string remote_;
  const int64_t connected_us_;
  RemoveReason reason_ = RemoveReason::kClosed; /* kClosing, kEnding: why it goes */

  /* kHeaders, kClosing: libsoup's message and our handlers on it. */
  SoupServerMessage *msg_ = nullptr;
  gulong headers_id_ = 0, finished_id_ = 0;
  /* kOpen, kEnding: the connection taken from libsoup (TLS: written
   * through out_). */
  GIOStream *conn_ = nullptr;
  GPollableOutputStream *out_ = nullptr;
  GSocket *sock_ = nullptr;
};

using ClientPtr = std::shared_ptr<ClientConn>;

}  // namespace gstsse
