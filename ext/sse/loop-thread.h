/* A thread running a GMainLoop on its own GMainContext, and the sources
 * that feed it: what the server and the nchan publisher each run on.
 *
 * Owns: the thread, its context and loop, the start-up hand-shake (a setup
 * function run on the thread, whose GError fails start()), calls into the
 * thread (run_on(), LoopThread::run(), sync()), the ready-time wake source
 * other threads use to hand work over, and a repeating timer source.
 *
 * Threads: start(), stop() and the destructor are called from outside the
 * thread (an application or streaming thread); context(), run() and sync()
 * from any thread; setup and teardown run on the thread itself. */
#pragma once

#include <glib.h>

#include <functional>
#include <thread>

namespace gstsse {

/* Runs @fn on the thread that owns @ctx and waits for it (at once when
 * called on that thread). */
void run_on(GMainContext *ctx, const std::function<void()> &fn);

class LoopThread {
 public:
  /* On the thread, its context pushed as thread default: false (and
   * @error set) fails start(). */
  using SetupFn = std::function<bool(GError **error)>;
  /* On the thread after the loop quits, or after a failed setup; what is
   * still pending on the context is dispatched after it. */
  using TeardownFn = std::function<void()>;

  LoopThread();
  ~LoopThread(); /* stop() */
  LoopThread(const LoopThread &) = delete;
  LoopThread &operator=(const LoopThread &) = delete;

  /* Starts the thread (named @name, at most 15 characters, for debuggers)
   * and waits for @setup. Returns false and sets @error when it failed: the
   * thread has ended by then. Call once. */
  bool start(const char *name, SetupFn setup, TeardownFn teardown, GError **error);
  /* Quits the loop and joins the thread; nothing if it is not running. Not
   * from the thread itself. */
  void stop();

  GMainContext *context() const { return context_; }
  bool running() const { return thread_.joinable(); }
  void run(const std::function<void()> &fn) const { run_on(context_, fn); }
  /* Returns once whatever the thread is running has returned: after
   * destroying a source attached to context(), its callback is done. */
  void sync() const {
    run([] {});
  }

 private:
  GMainContext *context_ = nullptr;
  GMainLoop *loop_ = nullptr;
  std::thread thread_;
};

/* A GSource on a loop thread's context that runs a function. Destroying it
 * (destroy() or the destructor, from any thread) detaches it; if its
 * function is running on the loop thread then, the function still returns
 * normally (sync() waits for that).
 *
 * wake()/wake_at() may be called from any thread while the source exists;
 * an owner that destroys it while others may still wake it guards both with
 * one lock. */
class LoopSource {
 public:
  LoopSource() = default;
  /* Runs @fn once each time its ready time comes (wake(), wake_at()); it
   * is not ready again until woken again. */
  static LoopSource wake_source(GMainContext *ctx, std::function<void()> fn);
  /* Runs @fn every @interval_ms. */
  static LoopSource timer(GMainContext *ctx, unsigned interval_ms, std::function<void()> fn);

  LoopSource(LoopSource &&o) noexcept : src_(o.src_) { o.src_ = nullptr; }
  LoopSource &operator=(LoopSource &&o) noexcept;
  LoopSource(const LoopSource &) = delete;
  LoopSource &operator=(const LoopSource &) = delete;
  ~LoopSource() { destroy(); }

  explicit operator bool() const { return src_ != nullptr; }
  /* Runs the function as soon as the loop can. */
  void wake() const { wake_at(0); }
  /* Runs it once the monotonic clock reaches @monotonic_us; -1: not at all. */
  void wake_at(gint64 monotonic_us) const;
  void destroy();

 private:
  explicit LoopSource(GSource *src) : src_(src) {}
  GSource *src_ = nullptr;
};

}  // namespace gstsse
