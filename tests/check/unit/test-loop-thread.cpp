/* Unit tests for loop-thread: start-up errors, run()/sync(), the wake
 * source and the timer, on a real thread. */
#include <gst/check/gstcheck.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "loop-thread.h"

using namespace gstsse;

namespace {

/* A count that another thread bumps, and waits for it. */
struct Counter {
  std::mutex m;
  std::condition_variable cv;
  int n = 0;
  void bump() {
    std::lock_guard<std::mutex> l(m);
    n++;
    cv.notify_all();
  }
  bool wait_for_at_least(int want) {
    std::unique_lock<std::mutex> l(m);
    return cv.wait_for(l, std::chrono::seconds(10), [&] { return n >= want; });
  }
  int get() {
    std::lock_guard<std::mutex> l(m);
    return n;
  }
};

}  // namespace

GST_START_TEST(test_setup_error_fails_start) {
  LoopThread t;
  bool torn_down = false;
  GError *err = nullptr;
  const bool ok = t.start(
      "test-loop",
      [](GError **e) {
        g_set_error(e, g_quark_from_static_string("test-loop"), 7, "no port for you");
        return false;
      },
      [&torn_down] { torn_down = true; }, &err);
  fail_if(ok);
  fail_unless(err != nullptr);
  fail_unless(g_error_matches(err, g_quark_from_static_string("test-loop"), 7));
  fail_unless_equals_string(err->message, "no port for you");
  g_error_free(err);
  /* The thread has ended, after its teardown. */
  fail_unless(torn_down);
  fail_if(t.running());
  t.stop(); /* nothing to stop */
}
GST_END_TEST;

GST_START_TEST(test_run_on_the_thread) {
  LoopThread t;
  std::thread::id setup_on, teardown_on;
  fail_unless(t.start(
      "test-loop",
      [&setup_on, &t](GError **) {
        setup_on = std::this_thread::get_id();
        /* Its context is the thread default there. */
        return g_main_context_get_thread_default() == t.context();
      },
      [&teardown_on] { teardown_on = std::this_thread::get_id(); }, nullptr));
  fail_unless(t.running());
  std::thread::id ran_on;
  t.run([&ran_on] { ran_on = std::this_thread::get_id(); });
  fail_unless(ran_on == setup_on);
  fail_if(ran_on == std::this_thread::get_id());
  /* A run() from the thread itself runs at once. */
  bool nested = false;
  t.run([&] { t.run([&nested] { nested = true; }); });
  fail_unless(nested);
  t.stop();
  fail_if(t.running());
  fail_unless(teardown_on == setup_on);
}
GST_END_TEST;

GST_START_TEST(test_stop_right_after_start) {
  /* A stop at once is never lost, however soon it comes. */
  for (int i = 0; i < 50; i++) {
    LoopThread t;
    fail_unless(t.start("test-loop", nullptr, nullptr, nullptr));
    t.stop();
  }
}
GST_END_TEST;

GST_START_TEST(test_wake_source) {
  LoopThread t;
  fail_unless(t.start("test-loop", nullptr, nullptr, nullptr));
  Counter c;
  LoopSource wake = LoopSource::wake_source(t.context(), [&c] { c.bump(); });
  fail_unless(static_cast<bool>(wake));
  /* Not ready until woken. */
  t.sync();
  fail_unless_equals_int(c.get(), 0);
  wake.wake();
  fail_unless(c.wait_for_at_least(1));
  /* Once per wake: it is not ready again by itself. */
  t.sync();
  t.sync();
  fail_unless_equals_int(c.get(), 1);
  /* A ready time in the future, then none. */
  wake.wake_at(g_get_monotonic_time() + 20 * 1000);
  fail_unless(c.wait_for_at_least(2));
  wake.wake_at(g_get_monotonic_time() + 60 * 1000 * 1000);
  wake.wake_at(-1);
  t.sync();
  fail_unless_equals_int(c.get(), 2);
  /* Destroyed, it runs no more, and waking it is harmless. */
  wake.destroy();
  fail_if(static_cast<bool>(wake));
  wake.wake();
  t.sync();
  fail_unless_equals_int(c.get(), 2);
  t.stop();
}
GST_END_TEST;

GST_START_TEST(test_timer_and_destroy_from_another_thread) {
  LoopThread t;
  fail_unless(t.start("test-loop", nullptr, nullptr, nullptr));
  Counter c;
  LoopSource timer = LoopSource::timer(t.context(), 5, [&c] { c.bump(); });
  fail_unless(c.wait_for_at_least(3));
  /* Destroyed from this thread; after sync() its callback is done and
   * never runs again. */
  timer.destroy();
  t.sync();
  const int n = c.get();
  g_usleep(30 * 1000); /* six intervals of a timer that must stay quiet */
  t.sync();
  fail_unless_equals_int(c.get(), n);
  /* A moved source is owned once. */
  LoopSource a = LoopSource::wake_source(t.context(), [&c] { c.bump(); });
  LoopSource b = std::move(a);
  fail_if(static_cast<bool>(a));
  b.wake();
  fail_unless(c.wait_for_at_least(n + 1));
  t.stop();
}
GST_END_TEST;

static Suite *loop_thread_suite(void) {
  Suite *s = suite_create("loop-thread");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_setup_error_fails_start);
  tcase_add_test(tc, test_run_on_the_thread);
  tcase_add_test(tc, test_stop_right_after_start);
  tcase_add_test(tc, test_wake_source);
  tcase_add_test(tc, test_timer_and_destroy_from_another_thread);
  return s;
}

GST_CHECK_MAIN(loop_thread);
