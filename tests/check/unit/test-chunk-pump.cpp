/* ChunkPump: TS bytes in, events out to every sink once, in order, with
 * ids from the run's first; the idle flush on a real loop thread; nothing
 * after stop(). The sinks are recorders of the EventSink interface; the TS
 * is the build-time fixtures (common/ts-fixtures.h). */
#include <gst/check/gstcheck.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "chunk-pump.h"
#include "loop-thread.h"
#include "ts-fixtures.h"

using gstsse::ChunkPump;
using gstsse::Event;
using gstsse::EventPtr;

namespace {

/* Records what a sink is handed, and on which thread. */
struct Recorder : gstsse::EventSink {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<EventPtr> events;
  std::vector<std::thread::id> threads; /* per event */
  std::vector<std::string> caps, fields;
  size_t media_before_fields = 0; /* media events before the first set_stream_info */

  void publish(std::vector<EventPtr> evs) override {
    std::lock_guard<std::mutex> lock(mutex);
    for (auto &ev : evs) {
      events.push_back(std::move(ev));
      threads.push_back(std::this_thread::get_id());
    }
    changed.notify_all();
  }
  void set_caps(const std::string &c) override {
    std::lock_guard<std::mutex> lock(mutex);
    caps.push_back(c);
  }
  void set_stream_info(const std::string &f) override {
    std::lock_guard<std::mutex> lock(mutex);
    if (fields.empty())
      media_before_fields = events.size();
    fields.push_back(f);
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mutex);
    return events.size();
  }
  /* Until @n events came; false if they did not within 10 s (a bound for
   * a broken pump, not a timing assertion). */
  bool wait_for(size_t n) {
    std::unique_lock<std::mutex> lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(10), [&] { return events.size() >= n; });
  }
};

struct Infos {
  std::mutex mutex;
  std::vector<uint64_t> generations;
  std::string codecs;
};

void push_all(ChunkPump &pump, const std::vector<std::vector<uint8_t>> &packets) {
  for (const auto &p : packets)
    pump.push(p.data(), p.size(), false);
}

size_t media_count(const std::vector<EventPtr> &events) {
  size_t n = 0;
  for (const auto &ev : events)
    n += ev->is_media();
  return n;
}

}  // namespace

/* Both sinks get the same events (the same objects: encoded once), ids
 * counting up from first_seq, the first a key chunk, the description before
 * the first media event, the caps, and eos last. */
GST_START_TEST(test_fans_out_once_in_order) {
  auto a = std::make_shared<Recorder>();
  auto b = std::make_shared<Recorder>();
  Infos infos;
  ChunkPump::Config cfg;
  cfg.first_seq = 1000;
  ChunkPump pump(cfg, {a, b}, [&infos](uint64_t gen, const gstsse::StreamInfo &info) {
    std::lock_guard<std::mutex> lock(infos.mutex);
    infos.generations.push_back(gen);
    infos.codecs = info.codecs();
  });
  pump.set_caps("video/mpegts");
  push_all(pump, ts_fixture_packets("video"));
  pump.finish();
  pump.stop();

  fail_unless_equals_int(a->events.size(), b->events.size());
  for (size_t i = 0; i < a->events.size(); i++)
    fail_unless(a->events[i] == b->events[i], "event %zu differs between the sinks", i);
  const auto &ev = a->events;
  fail_unless(media_count(ev) >= 60, "%zu media events for 60 frames", media_count(ev));
  fail_unless(ev.back()->kind == Event::Kind::kEos, "eos last");
  fail_unless(ev.front()->is_media() && ev.front()->key, "first event a key chunk");
  uint64_t seq = 1000;
  for (const auto &e : ev)
    if (e->is_media())
      fail_unless_equals_uint64(e->seq, seq++);
  fail_unless_equals_uint64(pump.next_seq(), seq);
  fail_unless_equals_int(a->caps.size(), 1);
  fail_unless_equals_string(a->caps[0].c_str(), "video/mpegts");
  fail_unless(!a->fields.empty(), "no stream description");
  fail_unless_equals_int(a->media_before_fields, 0);
  fail_unless(a->fields[0].find("avc1.") != std::string::npos, "%s", a->fields[0].c_str());
  fail_unless(!infos.generations.empty());
  for (size_t i = 1; i < infos.generations.size(); i++)
    fail_unless(infos.generations[i] > infos.generations[i - 1]);
  fail_unless(infos.codecs.rfind("avc1.", 0) == 0, "codecs %s", infos.codecs.c_str());
}
GST_END_TEST;

/* A frame over 64 KiB has a PES without a length: its end shows only when
 * the next one starts. Without a timer the last one waits for finish();
 * with one it goes out from the loop thread once no bytes came. */
GST_START_TEST(test_idle_flush_on_loop_thread) {
  const auto packets = ts_fixture_packets("large");

  auto held = std::make_shared<Recorder>();
  {
    ChunkPump pump(ChunkPump::Config{}, {held}, nullptr);
    push_all(pump, packets);
    const size_t before = media_count(held->events);
    pump.finish();
    fail_unless(media_count(held->events) > before, "the last frame was not waiting");
  }
  const size_t all = media_count(held->events);

  gstsse::LoopThread loop;
  fail_unless(loop.start("test-pump", nullptr, nullptr, nullptr));
  std::thread::id loop_id;
  loop.run([&] { loop_id = std::this_thread::get_id(); });
  auto rec = std::make_shared<Recorder>();
  ChunkPump::Config cfg;
  cfg.context = loop.context();
  /* Long enough that this thread, preempted on a loaded machine between
   * two pushes, does not see a frame flushed half-way (which would send
   * one more event, and not the last one from the loop thread). */
  cfg.timeout_ms = 500;
  ChunkPump pump(cfg, {rec}, nullptr);
  push_all(pump, packets);
  fail_unless(rec->wait_for(all), "idle flush: %zu of %zu events", rec->count(), all);
  pump.stop();
  std::lock_guard<std::mutex> lock(rec->mutex);
  fail_unless(rec->threads.back() == loop_id, "the last chunk did not come from the loop thread");
  fail_unless(rec->threads.front() == std::this_thread::get_id());
  fail_unless_equals_int(media_count(rec->events), all);
}
GST_END_TEST;

/* After stop() the pump holds no sink and hands nothing on, even with a
 * chunk waiting for its idle flush. */
GST_START_TEST(test_stop_releases_sinks) {
  gstsse::LoopThread loop;
  fail_unless(loop.start("test-pump", nullptr, nullptr, nullptr));
  auto rec = std::make_shared<Recorder>();
  ChunkPump::Config cfg;
  cfg.context = loop.context();
  cfg.timeout_ms = 1000;
  ChunkPump pump(cfg, {rec}, nullptr);
  push_all(pump, ts_fixture_packets("large"));
  pump.stop();
  fail_unless_equals_int(rec.use_count(), 1);
  const size_t n = rec->count();
  pump.push(nullptr, 0, false);
  pump.finish();
  loop.sync();
  fail_unless_equals_int(rec->count(), n);
}
GST_END_TEST;

/* reset() (flush) forgets the pending chunk: what follows is what a fresh
 * pump makes of it. */
GST_START_TEST(test_reset_drops_partial) {
  const auto ts = ts_fixture("video");
  auto fresh = std::make_shared<Recorder>();
  {
    ChunkPump pump(ChunkPump::Config{}, {fresh}, nullptr);
    pump.push(ts.data(), ts.size(), false);
    pump.finish();
  }
  auto rec = std::make_shared<Recorder>();
  ChunkPump pump(ChunkPump::Config{}, {rec}, nullptr);
  pump.push(ts.data(), ts.size() / 2 + 100, false); /* ends inside a frame and a packet */
  const size_t before = rec->count();
  pump.reset();
  pump.push(ts.data(), ts.size(), false);
  pump.finish();
  fail_unless_equals_int(rec->events.size() - before, fresh->events.size());
  for (size_t i = 0; i < fresh->events.size(); i++)
    fail_unless(rec->events[before + i]->kind == fresh->events[i]->kind &&
                    rec->events[before + i]->key == fresh->events[i]->key,
                "event %zu differs from a fresh run", i);
}
GST_END_TEST;

static Suite *chunk_pump_suite() {
  Suite *s = suite_create("chunk-pump");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_fans_out_once_in_order);
  tcase_add_test(tc, test_idle_flush_on_loop_thread);
  tcase_add_test(tc, test_stop_releases_sinks);
  tcase_add_test(tc, test_reset_drops_partial);
  return s;
}

GST_CHECK_MAIN(chunk_pump);
