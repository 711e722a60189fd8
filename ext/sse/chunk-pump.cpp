/* The chunk pump; see chunk-pump.h for what it owns and its thread rule. */
#include "chunk-pump.h"

#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include "loop-thread.h"
#include "ts-chunker.h"

namespace gstsse {

struct ChunkPump::State {
  Config cfg;
  InfoFn on_info;

  mutable std::mutex mutex;
  std::condition_variable done; /* a flush with the lock released returned */
  std::vector<std::shared_ptr<EventSink>> sinks;
  TsChunker chunker;
  StreamProbe probe;
  std::vector<TsChunk> scratch;
  uint64_t next_seq = 0;
  uint64_t info_generation = 0;
  bool upstream_marks_delta = false;
  LoopSource timer;
  gint64 last_push_us = 0;
  bool timer_armed = false;
  bool stopped = false;
  /* Calls into on_info in progress, and the thread of the latest. */
  int calling = 0;
  std::thread::id calling_thread;

  State(Config c, std::vector<std::shared_ptr<EventSink>> s, InfoFn fn)
      : cfg(c), on_info(std::move(fn)), sinks(std::move(s)), next_seq(c.first_seq) {}

  void fan_out(std::vector<EventPtr> events);
  bool publish_locked();
  void idle_flush();
  void after(std::unique_lock<std::mutex> &lock, bool changed);
};

/* With the lock held. The last sink gets the vector itself. */
void ChunkPump::State::fan_out(std::vector<EventPtr> events) {
  if (events.empty() || sinks.empty())
    return;
  for (size_t i = 0; i + 1 < sinks.size(); i++)
    sinks[i]->publish(events);
  sinks.back()->publish(std::move(events));
}

/* With the lock held: makes the events of the chunks in scratch and hands
 * them on. Each chunk goes through the probe first: when what the stream
 * carries changes, the sinks get the new description before the chunk it
 * was found in. Returns true when it changed. */
bool ChunkPump::State::publish_locked() {
  if (scratch.empty())
    return false;
  std::vector<EventPtr> events;
  events.reserve(scratch.size());
  const gint64 now = g_get_real_time();
  bool changed = false;
  for (const auto &chunk : scratch) {
    if (probe.feed(chunk.data.data(), chunk.data.size(), chunk.key)) {
      fan_out(std::move(events));
      events.clear();
      for (const auto &sink : sinks)
        sink->set_stream_info(probe.json_fields());
      changed = true;
    }
    MediaEventFields f;
    f.seq = next_seq++;
    f.key = chunk.key;
    f.pts_ns = chunk.pts_ns;
    f.ts_us = now;
    events.push_back(make_media_event(f, chunk.data.data(), chunk.data.size(), cfg.deflate));
    if (cfg.log_category)
      GST_CAT_LOG_OBJECT(cfg.log_category, cfg.log_object, "chunk %" G_GUINT64_FORMAT ": %zu bytes%s", f.seq,
                         chunk.data.size(), chunk.key ? ", key" : "");
  }
  scratch.clear();
  fan_out(std::move(events));
  if (changed)
    info_generation++;
  return changed;
}

/* Releases @lock; when the description changed, tells on_info, and lets
 * stop() know once that returned. */
void ChunkPump::State::after(std::unique_lock<std::mutex> &lock, bool changed) {
  if (!changed || !on_info) {
    lock.unlock();
    return;
  }
  const uint64_t generation = info_generation;
  const StreamInfo info = probe.info();
  calling++;
  calling_thread = std::this_thread::get_id();
  lock.unlock();
  on_info(generation, info);
  lock.lock();
  calling--;
  lock.unlock();
  done.notify_all();
}

/* Loop thread: ends a chunk whose end the TS did not show (PES with no
 * length) once no bytes have come for timeout_ms. */
void ChunkPump::State::idle_flush() {
  std::unique_lock<std::mutex> lock(mutex);
  if (stopped)
    return;
  const gint64 due = last_push_us + gint64{cfg.timeout_ms} * 1000;
  if (g_get_monotonic_time() < due) {
    timer.wake_at(due);
    return;
  }
  timer_armed = false;
  bool changed = false;
  if (chunker.has_pending()) {
    chunker.flush(scratch);
    changed = publish_locked();
  }
  after(lock, changed);
}

ChunkPump::ChunkPump(Config config, std::vector<std::shared_ptr<EventSink>> sinks, InfoFn on_info)
    : state_(std::make_shared<State>(config, std::move(sinks), std::move(on_info))) {
  if (config.context && config.timeout_ms) {
    /* The callback keeps the state alive: it may still be running (and
     * find the pump stopped) after the pump is gone. */
    std::shared_ptr<State> st = state_;
    state_->timer = LoopSource::wake_source(config.context, [st] { st->idle_flush(); });
  }
}

ChunkPump::~ChunkPump() {
  stop();
}

void ChunkPump::push(const uint8_t *data, size_t size, bool delta_unit) {
  State &s = *state_;
  std::unique_lock<std::mutex> lock(s.mutex);
  if (s.stopped)
    return;
  KeyHint hint = KeyHint::kUnknown;
  if (delta_unit) {
    s.upstream_marks_delta = true;
    hint = KeyHint::kDelta;
  } else if (s.upstream_marks_delta) {
    hint = KeyHint::kKey;
  }
  s.chunker.push(data, size, s.scratch, hint);
  const bool changed = s.publish_locked();
  if (s.chunker.has_pending() && s.timer) {
    s.last_push_us = g_get_monotonic_time();
    if (!s.timer_armed) {
      s.timer_armed = true;
      s.timer.wake_at(s.last_push_us + gint64{s.cfg.timeout_ms} * 1000);
    }
  }
  s.after(lock, changed);
}

void ChunkPump::finish() {
  State &s = *state_;
  std::unique_lock<std::mutex> lock(s.mutex);
  if (s.stopped)
    return;
  s.chunker.flush(s.scratch);
  const bool changed = s.publish_locked();
  s.fan_out({make_eos_event(s.cfg.deflate)});
  s.after(lock, changed);
}

void ChunkPump::reset() {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->chunker.reset();
  state_->scratch.clear();
}

void ChunkPump::set_caps(const std::string &caps) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  for (const auto &sink : state_->sinks)
    sink->set_caps(caps);
}

uint64_t ChunkPump::next_seq() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->next_seq;
}

void ChunkPump::stop() {
  State &s = *state_;
  std::unique_lock<std::mutex> lock(s.mutex);
  s.stopped = true;
  s.timer.destroy();
  s.sinks.clear();
  /* A call into on_info from this very thread (stop() from its handler)
   * cannot be waited for; any other can. */
  s.done.wait(lock, [&s] { return s.calling == 0 || s.calling_thread == std::this_thread::get_id(); });
}

}  // namespace gstsse
