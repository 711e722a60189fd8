/* Publishes a stream's events to an nchan publisher endpoint (or any HTTP
 * endpoint that takes one message per POST), so a cluster of nginx nodes
 * sharing Redis can serve the viewers. See docs/scaling.md.
 *
 * Threads: the publisher has its own LoopThread (loop-thread.h), which owns
 * the SoupSession and its persistent connection. The element's chunk pump
 * calls the EventSink methods (on the streaming thread, or on this thread
 * for an idle flush): they queue under a short lock and wake the publisher
 * thread; they never wait for the network. One POST is in flight at a time,
 * in event order.
 *
 * When the endpoint is slow or down, events wait in a PublishQueue bounded
 * in bytes and age (older ones are dropped up to the next key event), and
 * the failed POST is retried: at once on the next URL when several are
 * given (nodes of one cluster), with exponential backoff once all failed. */
#pragma once

#include <gio/gio.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "defaults.h"
#include "event.h"

namespace gstsse {

struct PublisherConfig {
  std::string url;           /* http(s) POST target, or several separated by commas (failover) */
  std::string authorization; /* value of an Authorization header; empty: none */
  std::string path;          /* the stream's path, for the stream event */
  uint64_t epoch = 0;        /* first id of the run, for the stream event */
  uint64_t buffer_bytes = defaults::kPublishBufferBytes;    /* 0: unbounded */
  unsigned buffer_time_ms = defaults::kPublishBufferTimeMs; /* 0: no age limit */
  unsigned timeout_ms = defaults::kPublishTimeoutMs;        /* one POST, from sending to the answer */
  unsigned retry_min_ms = defaults::kPublishRetryMinMs;
  unsigned retry_max_ms = defaults::kPublishRetryMaxMs;
  /* Named in every log line, so that two elements can be told apart (the
   * element; not owned, it outlives the publisher). */
  GObject *log_object = nullptr;
};

struct PublisherStats {
  bool connected = false;    /* the last POST succeeded */
  uint64_t published = 0;    /* messages the endpoint accepted */
  uint64_t bytes = 0;        /* their body bytes */
  uint64_t dropped = 0;      /* media events dropped: over the buffer limits or refused as too large */
  uint64_t failures = 0;     /* POSTs that failed (each is retried) */
  uint64_t outages = 0;      /* times the endpoint went from working to failing */
  uint64_t failovers = 0;    /* switches to the next of several URLs after a failure */
  uint64_t queued_bytes = 0; /* waiting, including the POST in flight */
  std::string url;           /* the URL in use */
  std::string last_error;    /* "<url>: <reason>" of the last failure */
};

class NchanPublisher : public EventSink {
 public:
  /* Called on the publisher thread when publishing starts to work (@up) or
   * to fail (!@up, @detail says why); once per change. */
  using StateFn = std::function<void(bool up, const std::string &detail)>;

  /* Starts the publisher thread. Returns nullptr and sets @error
   * (G_IO_ERROR_INVALID_ARGUMENT) unless every URL in @config.url is an
   * http(s) URL with a host. */
  static std::unique_ptr<NchanPublisher> start(PublisherConfig config, StateFn on_state, GError **error);

  /* Stops at once: what is still queued is dropped; drain() first to wait. */
  ~NchanPublisher() override;
  NchanPublisher(const NchanPublisher &) = delete;
  NchanPublisher &operator=(const NchanPublisher &) = delete;

  /* EventSink. Media events are published as the JSON of their data field,
   * unnamed; kStream as event `stream`, kEos as event `eos`; other kinds are
   * ignored. set_caps()/set_stream_info() publish a `stream` event when what
   * it says changes; none is published before caps are known. */
  void publish(std::vector<EventPtr> events) override;
  void set_caps(const std::string &caps) override;
  void set_stream_info(const std::string &fields) override;

  /* Waits up to @timeout_ms until everything queued has been accepted, or
   * until a POST fails. Returns true if the queue is empty. */
  bool drain(unsigned timeout_ms);

  PublisherStats stats() const;
  /* The publisher thread's context: the chunk pump's idle flush may run
   * there (publish-only). */
  GMainContext *context() const;

  struct Impl;

 private:
  NchanPublisher() = default;
  void publish_one(const EventPtr &event);
  void announce();
  std::unique_ptr<Impl> impl_;
};

}  // namespace gstsse
