/* Snapshots of a stream: requests, cache and the decoder; see snapshot.h. */
#include "snapshot.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include <pthread.h>

#include "admission-http.h"
#include "admission.h"
#include "loop-thread.h"
#include "snapshot-decoder.h"

GST_DEBUG_CATEGORY_EXTERN(gst_sse_sink_debug);
#define GST_CAT_DEFAULT gst_sse_sink_debug

namespace gstsse {

struct Snapshotter::Impl {
  SnapshotConfig config;
  GstElement *element;
  GMainContext *ctx;
  AdmissionConfig admission;
  unsigned retry_s;
  std::string path; /* where the snapshot is served */

  /* Server thread only. */
  SnapshotBook book;
  EventPtr latest;                     /* the key chunk to decode, while active */
  std::map<unsigned, GBytesPtr> jpegs; /* of book.cached_seq(), by width as cached */
  struct Waiter {
    SoupServerMessage *msg; /* a reference, paused */
    gulong finished_id;
  };
  std::map<uint64_t, Waiter> waiters;
  uint64_t next_id = 1;
  bool stopped = false;
  bool warned = false;
  LoopSource result_wake, idle_timer;

  /* Worker thread and its hand-off. */
  std::mutex m;
  std::condition_variable cv;
  std::thread worker;
  bool have_job = false, quit = false;
  SnapshotJob job;
  EventPtr job_chunk;
  bool have_result = false;
  JobResult result;
  mutable std::mutex stats_mutex;
  SnapshotCounters stats;
  std::string decoder_name;

  Impl(const SnapshotConfig &c, const StreamConfig &s, GMainContext *context, GstElement *e)
      : config(c),
        element(e),
        ctx(context),
        retry_s(std::max(1u, s.retry_ms / 1000)),
        path(snapshot_path(s.path)),
        book(int64_t{c.idle_ms} * 1000, c.keep_warm) {
    admission.max_request_header_bytes = s.max_request_header_bytes;
    admission.retry_ms = s.retry_ms;
    admission.access = s.access;
    admission.path = s.path; /* a signed token must grant the stream */
    admission.cors = parse_cors_origins(s.cors_origin);
    result_wake = LoopSource::wake_source(ctx, [this] { on_result(); });
    idle_timer = LoopSource::wake_source(ctx, [this] { on_idle(); });
  }

  void work() {
    pthread_setname_np(pthread_self(), "sse-snapshot");
    SnapshotDecoder decoder(element, config.decoder);
    std::unique_lock<std::mutex> lock(m);
    while (true) {
      cv.wait(lock, [this] { return have_job || quit; });
      if (quit)
        break;
      const SnapshotJob j = job;
      EventPtr chunk = std::move(job_chunk);
      have_job = false;
      lock.unlock();
      JobResult r;
      decoder.run(j, chunk, &r);
      chunk.reset();
      lock.lock();
      result = std::move(r);
      have_result = true;
      result_wake.wake();
    }
    lock.unlock();
    decoder.teardown();
  }

  void stop_worker() {
    if (!worker.joinable())
      return;
    {
      std::lock_guard<std::mutex> lock(m);
      quit = true;
    }
    cv.notify_all();
    worker.join();
    quit = false;
  }

  void sync_stats() {
    std::lock_guard<std::mutex> lock(stats_mutex);
    stats = book.counters();
  }

  /* Starts the job the book wants now, if any. */
  void schedule() {
    SnapshotJob j;
    const int64_t now = g_get_monotonic_time();
    if (!stopped && book.next_job(now, &j)) {
      if (!worker.joinable())
        worker = std::thread([this] { work(); });
      std::lock_guard<std::mutex> lock(m);
      job = j;
      job_chunk = j.decode ? latest : nullptr;
      have_job = true;
      cv.notify_all();
      GST_LOG_OBJECT(element, "snapshot: job for key chunk %" G_GUINT64_FORMAT "%s, %zu width(s)", j.seq,
                     j.decode ? " (decode)" : "", j.widths.size());
    }
    const int64_t at = book.idle_at();
    idle_timer.wake_at(worker.joinable() && at >= 0 ? at : -1);
    sync_stats();
  }

  void on_idle() {
    if (stopped || !book.idle(g_get_monotonic_time())) {
      schedule(); /* re-arms */
      return;
    }
    GST_DEBUG_OBJECT(element, "snapshot: no request for %u ms: decoder and cache go", config.idle_ms);
    stop_worker();
    book.reset_cache();
    jpegs.clear();
    latest.reset();
  }

  void on_result() {
    JobResult r;
    {
      std::lock_guard<std::mutex> lock(m);
      if (!have_result)
        return;
      r = std::move(result);
      have_result = false;
    }
    std::vector<unsigned> widths;
    for (const auto &j : r.jpegs)
      widths.push_back(j.first);
    const bool was_unavailable = book.unavailable();
    const std::vector<SnapshotBook::Done> done = book.done(r.ok, r.missing, r.reason, r.src_w, r.src_h, widths);
    if (r.ok) {
      /* A new key frame replaces every width; else only those made. */
      if (r.decoded)
        jpegs.clear();
      for (auto &j : r.jpegs)
        jpegs[j.first] = j.second;
      for (unsigned w : book.take_evicted())
        jpegs.erase(w);
      std::lock_guard<std::mutex> lock(stats_mutex);
      decoder_name = r.decoder;
    } else if (r.missing && !was_unavailable && !warned) {
      warned = true;
      GST_ELEMENT_WARNING(element, STREAM, CODEC_NOT_FOUND, ("Snapshots are not available: %s", r.reason.c_str()),
                          ("GET %s answers 503 for this run", path.c_str()));
    } else {
      GST_WARNING_OBJECT(element, "snapshot: %s", r.reason.c_str());
    }
    for (const auto &d : done) {
      auto it = waiters.find(d.id);
      if (it == waiters.end())
        continue; /* the client left */
      Waiter w = it->second;
      waiters.erase(it);
      g_signal_handler_disconnect(w.msg, w.finished_id);
      if (d.ok)
        answer_jpeg(w.msg, book.cached_seq(), d.width);
      else
        answer_503(w.msg, book.reason(), false);
      soup_server_message_unpause(w.msg);
      g_object_unref(w.msg);
    }
    schedule();
  }

  void answer_text(SoupServerMessage *msg, unsigned status, const std::string &text) {
    const std::string body = text + "\n";
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Cache-Control", "no-cache");
    soup_server_message_set_response(msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY, body.data(), body.size());
    soup_server_message_set_status(msg, status, nullptr);
  }

  void answer_503(SoupServerMessage *msg, const std::string &why, bool retry) {
    if (retry)
      soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Retry-After",
                                   std::to_string(retry_s).c_str());
    answer_text(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "No snapshot: " + why);
  }

  void answer_jpeg(SoupServerMessage *msg, uint64_t seq, unsigned width) {
    auto it = jpegs.find(width);
    if (it == jpegs.end()) {
      answer_503(msg, "the picture is being replaced; try again", true);
      return;
    }
    SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
    soup_message_headers_replace(h, "Cache-Control", "no-cache");
    soup_message_headers_replace(h, "X-Content-Type-Options", "nosniff");
    soup_message_headers_replace(h, "X-Snapshot-Seq", std::to_string(seq).c_str());
    soup_message_headers_set_content_type(h, "image/jpeg", nullptr);
    soup_message_body_append_bytes(soup_server_message_get_response_body(msg), it->second.b);
    soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
  }

  /* Admission as for the stream: credentials, CORS, the header limit (not
   * the client limits: a snapshot holds no connection). True: go on. */
  bool admit(SoupServerMessage *msg, GHashTable *query) {
    const Admission a = decide_admission(admission, read_admission_request(msg, query));
    SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
    for (const auto &h : a.headers) {
      /* A 200's event-stream headers are not this answer's. */
      if (a.status == 200 && h.name != "Vary" && h.name.rfind("Access-Control-", 0) != 0)
        continue;
      if (h.append)
        soup_message_headers_append(headers, h.name.c_str(), h.value.c_str());
      else
        soup_message_headers_replace(headers, h.name.c_str(), h.value.c_str());
    }
    if (a.status == 200)
      return true;
    soup_server_message_set_status(msg, a.status, a.reason_phrase);
    if (!a.refusal.empty())
      GST_INFO_OBJECT(element, "snapshot: %s", a.refusal.c_str());
    return false;
  }
};

Snapshotter::Snapshotter(const SnapshotConfig &config, const StreamConfig &stream, GMainContext *ctx,
                         GstElement *element)
    : impl_(std::make_unique<Impl>(config, stream, ctx, element)) {
  if (config.keep_warm)
    GST_INFO_OBJECT(element, "snapshot: keep-warm: every key frame is decoded");
}

Snapshotter::~Snapshotter() {
  impl_->stop_worker();
}

void Snapshotter::serve(SoupServerMessage *msg, GHashTable *query, const EventPtr &latest_key) {
  Impl *si = impl_.get();
  if (!si->admit(msg, query))
    return;
  unsigned width = 0;
  std::string error;
  if (!parse_snapshot_width(query ? static_cast<const char *>(g_hash_table_lookup(query, "width")) : nullptr, &width,
                            &error)) {
    si->answer_text(msg, SOUP_STATUS_BAD_REQUEST, error);
    return;
  }
  if (si->stopped) {
    si->answer_503(msg, "the stream is stopping", true);
    return;
  }
  /* The latest key chunk: the backlog's, else the one kept while active
   * (a backlog too small to keep one), else the picture cached. */
  if (latest_key)
    si->latest = latest_key;
  const uint64_t latest = si->latest ? si->latest->seq : si->book.cached_seq();
  const uint64_t id = si->next_id++;
  const SnapshotBook::Answer a = si->book.request(id, width, latest, g_get_monotonic_time());
  switch (a.reply) {
    case SnapshotBook::Reply::kReady: si->answer_jpeg(msg, a.seq, a.width); break;
    case SnapshotBook::Reply::kNoKeyFrame:
      si->answer_503(msg, "no key frame yet (or none kept: see backlog-bytes); the next one makes the picture", true);
      break;
    case SnapshotBook::Reply::kUnavailable: si->answer_503(msg, si->book.reason(), false); break;
    case SnapshotBook::Reply::kFailed:
      si->answer_503(msg, "the latest key frame did not decode (" + si->book.reason() + "); the next one may", true);
      break;
    case SnapshotBook::Reply::kWait: {
      soup_server_message_pause(msg);
      struct Gone {
        Impl *si;
        uint64_t id;
      };
      const gulong handler = g_signal_connect_data(
          msg, "finished", G_CALLBACK(+[](SoupServerMessage *, gpointer d) {
            auto *g = static_cast<Gone *>(d);
            auto it = g->si->waiters.find(g->id);
            if (it == g->si->waiters.end())
              return;
            SoupServerMessage *m = it->second.msg;
            g->si->waiters.erase(it);
            g_object_unref(m);
          }),
          new Gone{si, id}, [](gpointer d, GClosure *) { delete static_cast<Gone *>(d); },
          static_cast<GConnectFlags>(0));
      si->waiters[id] = Impl::Waiter{SOUP_SERVER_MESSAGE(g_object_ref(msg)), handler};
      break;
    }
  }
  si->schedule();
}

void Snapshotter::key_chunk(const EventPtr &ev) {
  Impl *si = impl_.get();
  const int64_t now = g_get_monotonic_time();
  if (si->stopped || !si->book.active(now)) {
    si->latest.reset(); /* the backlog holds it; nobody asks */
    return;
  }
  si->book.key_chunk(ev->seq, now);
  si->latest = ev;
  si->schedule();
}

void Snapshotter::stop() {
  Impl *si = impl_.get();
  si->stopped = true;
  si->stop_worker();
  si->result_wake.destroy();
  si->idle_timer.destroy();
  for (uint64_t id : si->book.take_waiters()) {
    auto it = si->waiters.find(id);
    if (it == si->waiters.end())
      continue;
    Impl::Waiter w = it->second;
    si->waiters.erase(it);
    g_signal_handler_disconnect(w.msg, w.finished_id);
    si->answer_503(w.msg, "the stream stopped", true);
    soup_server_message_unpause(w.msg);
    g_object_unref(w.msg);
  }
  si->jpegs.clear();
  si->latest.reset();
  si->sync_stats();
}

static GstStructure *stats_structure_of(const SnapshotCounters &c, const std::string &decoder) {
  return gst_structure_new("ssesink-snapshot-stats", "requests", G_TYPE_UINT64, c.requests, "from-cache", G_TYPE_UINT64,
                           c.from_cache, "waited", G_TYPE_UINT64, c.waited, "decodes", G_TYPE_UINT64, c.decodes,
                           "encodes", G_TYPE_UINT64, c.encodes, "unavailable", G_TYPE_UINT64, c.unavailable, "decoder",
                           G_TYPE_STRING, decoder.c_str(), nullptr);
}

GstStructure *Snapshotter::stats_structure() const {
  std::lock_guard<std::mutex> lock(impl_->stats_mutex);
  return stats_structure_of(impl_->stats, impl_->decoder_name);
}

GstStructure *snapshot_stats_structure_empty() {
  return stats_structure_of(SnapshotCounters{}, "");
}

}  // namespace gstsse
