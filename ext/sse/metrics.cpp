/* Counters, samples and the Prometheus text format; see metrics.h. */
#include "metrics.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <functional>

namespace gstsse {

void Histogram::observe(int64_t us) {
  if (us < 0)
    us = 0;
  size_t i = 0;
  while (i < kBoundsUs.size() && us > kBoundsUs[i])
    i++;
  buckets_[i].add();
  count_.add();
  sum_us_.add(static_cast<uint64_t>(us));
}

HistogramSample Histogram::sample() const {
  HistogramSample s;
  uint64_t running = 0;
  for (size_t i = 0; i < kBoundsUs.size(); i++) {
    running += buckets_[i].get();
    s.bounds_s.push_back(static_cast<double>(kBoundsUs[i]) / 1e6);
    s.cumulative.push_back(running);
  }
  /* Read apart from the buckets: never below their sum, so the +Inf
   * bucket is never less than the one before it. */
  s.count = std::max(count_.get(), running + buckets_[kBoundsUs.size()].get());
  s.sum_s = static_cast<double>(sum_us_.get()) / 1e6;
  return s;
}

std::vector<std::pair<unsigned, uint64_t>> ServerCounters::refused() const {
  std::vector<std::pair<unsigned, uint64_t>> out;
  for (unsigned status = 400; status < 600; status++) {
    const uint64_t n = refused_[status - 400].get();
    bool listed = false;
    for (unsigned l : kListed)
      listed |= l == status;
    if (n || listed)
      out.emplace_back(status, n);
  }
  return out;
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

namespace {

std::string number(uint64_t v) {
  return std::to_string(v);
}

std::string number(double v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

/* Writes families one at a time: HELP and TYPE, then their samples. */
class Writer {
 public:
  void family(const char *name, const char *type, const char *help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help; /* ours: no backslash or newline to escape */
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  /* @labels: name="value" pairs, values unescaped. */
  void sample(const std::string &name, std::initializer_list<std::pair<const char *, std::string>> labels,
              const std::string &value) {
    out_ += name;
    if (labels.size()) {
      out_ += '{';
      bool first = true;
      for (const auto &l : labels) {
        if (!first)
          out_ += ',';
        first = false;
        out_ += l.first;
        out_ += "=\"";
        out_ += escape_label_value(l.second);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

using StreamValue = std::function<uint64_t(const StreamSample &)>;

/* A family with one sample per stream, labelled with its path. */
void per_stream(Writer &w, const std::vector<StreamSample> &streams, const char *name, const char *type,
                const char *help, const StreamValue &value) {
  w.family(name, type, help);
  for (const auto &s : streams)
    w.sample(name, {{"path", s.path}}, number(value(s)));
}

void per_stream_double(Writer &w, const std::vector<StreamSample> &streams, const char *name, const char *help,
                       const std::function<double(const StreamSample &)> &value) {
  w.family(name, "gauge", help);
  for (const auto &s : streams)
    w.sample(name, {{"path", s.path}}, number(value(s)));
}

void write_histograms(Writer &w, const std::vector<StreamSample> &streams) {
  const std::string name = "ssesink_keyframe_join_seconds";
  w.family(name.c_str(), "histogram",
           "Time from a client's admission to its first key chunk queued (joins at the latest key frame; "
           "resumes with Last-Event-ID are not joins)");
  for (const auto &s : streams) {
    const HistogramSample &h = s.keyframe_join;
    for (size_t i = 0; i < h.bounds_s.size(); i++)
      w.sample(name + "_bucket", {{"path", s.path}, {"le", number(h.bounds_s[i])}}, number(h.cumulative[i]));
    w.sample(name + "_bucket", {{"path", s.path}, {"le", "+Inf"}}, number(h.count));
    w.sample(name + "_sum", {{"path", s.path}}, number(h.sum_s));
    w.sample(name + "_count", {{"path", s.path}}, number(h.count));
  }
}

void write_publishers(Writer &w, const std::vector<StreamSample> &all) {
  std::vector<StreamSample> streams;
  for (const auto &s : all)
    if (s.has_publisher)
      streams.push_back(s);
  if (streams.empty())
    return;
  per_stream(w, streams, "ssesink_publish_connected", "gauge", "1 when the last POST to publish-url succeeded",
             [](const StreamSample &s) { return uint64_t{s.publisher.connected}; });
  per_stream(w, streams, "ssesink_publish_messages_total", "counter", "Messages the publish-url endpoint accepted",
             [](const StreamSample &s) { return s.publisher.messages; });
  per_stream(w, streams, "ssesink_publish_bytes_total", "counter", "Body bytes of the messages accepted",
             [](const StreamSample &s) { return s.publisher.bytes; });
  per_stream(w, streams, "ssesink_publish_dropped_messages_total", "counter",
             "Media events not published: over the publish buffer limits, or refused as too large",
             [](const StreamSample &s) { return s.publisher.dropped; });
  per_stream(w, streams, "ssesink_publish_failures_total", "counter", "POSTs that failed (each is retried)",
             [](const StreamSample &s) { return s.publisher.failures; });
  per_stream(w, streams, "ssesink_publish_outages_total", "counter", "Times publishing went from working to failing",
             [](const StreamSample &s) { return s.publisher.outages; });
  per_stream(w, streams, "ssesink_publish_failovers_total", "counter",
             "Switches to the next of several publish URLs after a failure",
             [](const StreamSample &s) { return s.publisher.failovers; });
  per_stream(w, streams, "ssesink_publish_queue_bytes", "gauge",
             "Bytes waiting to be published, the POST in flight too",
             [](const StreamSample &s) { return s.publisher.queue_bytes; });
}

}  // namespace

std::string render_metrics(const ServerSample &server, const std::vector<StreamSample> &streams) {
  Writer w;
  per_stream(w, streams, "ssesink_viewers", "gauge", "Clients connected to the event stream now",
             [](const StreamSample &s) { return s.viewers; });
  per_stream(w, streams, "ssesink_connections_total", "counter", "Event-stream connections admitted",
             [](const StreamSample &s) { return s.connections; });
  w.family("ssesink_connections_ended_total", "counter",
           "Event-stream connections that ended, by reason (closed by the client or a failed write, slow, error, "
           "shutdown of the element, eos)");
  for (const auto &s : streams)
    for (size_t r = 0; r < kEndReasons.size(); r++)
      w.sample("ssesink_connections_ended_total", {{"path", s.path}, {"reason", kEndReasons[r]}}, number(s.ended[r]));
  per_stream(w, streams, "ssesink_sent_bytes_total", "counter", "Body bytes written to the stream's clients",
             [](const StreamSample &s) { return s.bytes_sent; });
  per_stream(w, streams, "ssesink_sent_events_total", "counter", "Events written to the stream's clients",
             [](const StreamSample &s) { return s.events_sent; });
  per_stream(w, streams, "ssesink_dropped_events_total", "counter",
             "Media events dropped from slow clients' queues by recover-policy",
             [](const StreamSample &s) { return s.events_dropped; });
  per_stream(w, streams, "ssesink_gaps_total", "counter", "Recoveries of slow clients (each told with an event: gap)",
             [](const StreamSample &s) { return s.gaps; });
  per_stream(w, streams, "ssesink_resets_total", "counter",
             "Clients whose Last-Event-ID could not be resumed from (told with an event: reset)",
             [](const StreamSample &s) { return s.resets; });
  per_stream(w, streams, "ssesink_resumes_total", "counter", "Clients resumed after their Last-Event-ID",
             [](const StreamSample &s) { return s.resumes; });
  write_histograms(w, streams);
  per_stream(w, streams, "ssesink_backlog_bytes", "gauge", "Bytes of media events kept for joins and resumes",
             [](const StreamSample &s) { return s.backlog_bytes; });
  per_stream(w, streams, "ssesink_backlog_events", "gauge", "Media events kept for joins and resumes",
             [](const StreamSample &s) { return s.backlog_events; });
  per_stream(w, streams, "ssesink_chunks_total", "counter", "Media events (TS chunks) the stream sent out",
             [](const StreamSample &s) { return s.chunks; });
  per_stream(w, streams, "ssesink_key_chunks_total", "counter", "Media events that start at a key frame",
             [](const StreamSample &s) { return s.key_chunks; });
  per_stream_double(w, streams, "ssesink_chunk_rate", "Media events per second over the backlog (0: unknown)",
                    [](const StreamSample &s) { return s.chunk_rate; });
  per_stream_double(w, streams, "ssesink_key_interval_seconds",
                    "Time between the last two key chunks (0: fewer than two yet)",
                    [](const StreamSample &s) { return s.key_interval_s; });
  write_publishers(w, streams);

  w.family("ssesink_http_refused_requests_total", "counter",
           "Requests answered with an error status, by status (every path on this port)");
  for (const auto &r : server.refused)
    w.sample("ssesink_http_refused_requests_total", {{"code", std::to_string(r.first)}}, number(r.second));
  w.family("ssesink_request_timeouts_total", "counter",
           "Connections closed for not sending complete request headers within request-timeout");
  w.sample("ssesink_request_timeouts_total", {}, number(server.request_timeouts));
  if (server.tls) {
    w.family("ssesink_tls_handshake_failures_total", "counter",
             "HTTPS connections that ended before their TLS handshake completed");
    w.sample("ssesink_tls_handshake_failures_total", {}, number(server.tls_handshake_failures));
  }
  return w.take();
}

}  // namespace gstsse
