/* Metrics of ssesink for Prometheus (GET /metrics, docs/operations.md).
 *
 * Owns: the counters a stream and a server keep (relaxed atomics, bumped
 * per join, per disconnect, per refusal, per dispatched batch: never per
 * client per event), the histogram of key-frame join latency, the samples
 * a scrape takes of them, and the text exposition writer (HELP and TYPE
 * lines, label escaping, the `ssesink_` prefix, `_total` counters, seconds
 * and bytes).
 *
 * Plain C++: no GLib. The server thread bumps the stream and server
 * counters and takes the samples when /metrics is asked for
 * (http-server.cpp, stream.cpp); any thread may read a counter. The
 * per-client byte and event counters are the clients' own (client-conn.h),
 * summed when scraped. */
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gstsse {

/* A monotonic counter: relaxed, so a bump is one uncontended atomic add. */
class Counter {
 public:
  void add(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

/* What a scrape reads of a histogram: cumulative counts per upper bound
 * (seconds), the +Inf bucket being count. */
struct HistogramSample {
  std::vector<double> bounds_s;
  std::vector<uint64_t> cumulative;
  uint64_t count = 0;
  double sum_s = 0;
};

/* Durations in microseconds, in fixed buckets from 1 ms to 10 s. */
class Histogram {
 public:
  static constexpr std::array<int64_t, 12> kBoundsUs = {1000,   5000,   10000,   25000,   50000,   100000,
                                                        250000, 500000, 1000000, 2500000, 5000000, 10000000};
  void observe(int64_t us);
  HistogramSample sample() const;

 private:
  std::array<Counter, kBoundsUs.size() + 1> buckets_; /* not cumulative; the last is over 10 s */
  Counter count_, sum_us_;
};

/* How a client's connection ended; indexed like RemoveReason (client-conn.h). */
constexpr std::array<const char *, 6> kEndReasons = {"closed", "slow", "error", "shutdown", "eos", "expired"};

/* A stream's own counters (server thread writes, any thread reads). */
struct StreamCounters {
  Counter connections;                           /* admitted event-stream GETs */
  std::array<Counter, kEndReasons.size()> ended; /* by RemoveReason */
  Counter resets, resumes;                       /* Last-Event-ID answered with reset / resumed */
  Counter chunks, key_chunks;                    /* media events dispatched */
  /* Removed clients' counters: a scrape adds the live clients' to these. */
  Counter retired_events_sent, retired_events_dropped, retired_gaps;
  Histogram keyframe_join; /* admitted to first key chunk queued */
  std::atomic<int64_t> last_key_us{0}, key_interval_us{0};

  /* The dispatch of a key chunk made at @made_us (monotonic). */
  void key_chunk(int64_t made_us) {
    const int64_t last = last_key_us.load(std::memory_order_relaxed);
    if (last && made_us > last)
      key_interval_us.store(made_us - last, std::memory_order_relaxed);
    last_key_us.store(made_us, std::memory_order_relaxed);
  }
};

/* publish-stats of a stream's publisher (nchan-publisher.h). */
struct PublisherSample {
  bool connected = false;
  uint64_t messages = 0, bytes = 0, dropped = 0, failures = 0, outages = 0, failovers = 0, queue_bytes = 0;
};

/* One stream at the time of a scrape. */
struct StreamSample {
  std::string path;
  uint64_t viewers = 0;
  uint64_t connections = 0;
  std::array<uint64_t, kEndReasons.size()> ended{};
  uint64_t bytes_sent = 0, events_sent = 0, events_dropped = 0, gaps = 0;
  uint64_t resets = 0, resumes = 0;
  HistogramSample keyframe_join;
  uint64_t backlog_bytes = 0, backlog_events = 0;
  uint64_t chunks = 0, key_chunks = 0;
  double chunk_rate = 0;     /* media events per second over the backlog; 0: unknown */
  double key_interval_s = 0; /* between the last two key chunks; 0: unknown */
  bool has_publisher = false;
  PublisherSample publisher;
};

/* Refused requests by status, and request timeouts, of one server (every
 * stream on its port). */
class ServerCounters {
 public:
  /* Counts a response with status @status when it is 400 or more. */
  void response(unsigned status) {
    if (status >= 400 && status < 600)
      refused_[status - 400].add();
  }
  Counter request_timeouts;
  Counter tls_handshake_failures; /* HTTPS: connections gone before their handshake completed */

  /* Statuses always listed (0 until seen), so every series exists from
   * the first scrape; others appear once counted. */
  static constexpr std::array<unsigned, 7> kListed = {401, 403, 404, 405, 429, 431, 503};
  /* (status, count) for the listed statuses and every other one counted. */
  std::vector<std::pair<unsigned, uint64_t>> refused() const;

 private:
  std::array<Counter, 200> refused_;
};

struct ServerSample {
  std::vector<std::pair<unsigned, uint64_t>> refused;
  uint64_t request_timeouts = 0;
  bool tls = false; /* the server speaks HTTPS: tls_handshake_failures is listed */
  uint64_t tls_handshake_failures = 0;
};

/* A label value as the text format wants it: \ " and newline escaped. */
std::string escape_label_value(std::string_view v);

/* The whole exposition (text format 0.0.4) for one server and its streams,
 * every family once, with HELP and TYPE, streams in the order given. */
std::string render_metrics(const ServerSample &server, const std::vector<StreamSample> &streams);

/* Content-Type of render_metrics()'s text. */
constexpr const char *kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace gstsse
