/* A GMainLoop on its own thread, and its sources; see loop-thread.h. */
#include "loop-thread.h"

#include <gio/gio.h>
#include <pthread.h>

#include <future>
#include <string>

namespace gstsse {

void run_on(GMainContext *ctx, const std::function<void()> &fn) {
  if (g_main_context_is_owner(ctx)) {
    fn();
    return;
  }
  struct Call {
    const std::function<void()> *fn;
    std::promise<void> done;
  } call{&fn, {}};
  auto fut = call.done.get_future();
  g_main_context_invoke_full(
      ctx, G_PRIORITY_HIGH,
      [](gpointer data) -> gboolean {
        auto *c = static_cast<Call *>(data);
        (*c->fn)();
        c->done.set_value();
        return G_SOURCE_REMOVE;
      },
      &call, nullptr);
  fut.wait();
}

LoopThread::LoopThread() : context_(g_main_context_new()), loop_(g_main_loop_new(context_, FALSE)) {}

LoopThread::~LoopThread() {
  stop();
  g_main_loop_unref(loop_);
  g_main_context_unref(context_);
}

bool LoopThread::start(const char *name, SetupFn setup, TeardownFn teardown, GError **error) {
  std::promise<GError *> started;
  auto fut = started.get_future();
  thread_ = std::thread(
      [this, thread_name = std::string(name), &started, setup = std::move(setup), teardown = std::move(teardown)] {
        pthread_setname_np(pthread_self(), thread_name.substr(0, 15).c_str());
        g_main_context_push_thread_default(context_);
        GError *err = nullptr;
        if (setup && !setup(&err) && !err)
          g_set_error(&err, G_IO_ERROR, G_IO_ERROR_FAILED, "%s failed to start", thread_name.c_str());
        const bool ok = err == nullptr;
        started.set_value(err);
        if (ok)
          g_main_loop_run(loop_);
        if (teardown)
          teardown();
        /* Let what was left (connections closing, callbacks of cancelled
         * calls) finish on this thread. */
        while (g_main_context_pending(context_))
          g_main_context_iteration(context_, FALSE);
        g_main_context_pop_thread_default(context_);
      });
  GError *err = fut.get();
  if (err) {
    thread_.join();
    g_propagate_error(error, err);
    return false;
  }
  return true;
}

void LoopThread::stop() {
  if (!thread_.joinable())
    return;
  /* Through the context, not g_main_loop_quit() at once: a quit before the
   * loop has begun to run would be lost. */
  g_main_context_invoke_full(
      context_, G_PRIORITY_HIGH,
      [](gpointer data) -> gboolean {
        g_main_loop_quit(static_cast<GMainLoop *>(data));
        return G_SOURCE_REMOVE;
      },
      loop_, nullptr);
  thread_.join();
}

namespace {

/* Ready-time source: not ready again until its ready time is set again. */
GSourceFuncs g_wake_funcs = {nullptr,
                             nullptr,
                             [](GSource *s, GSourceFunc cb, gpointer data) -> gboolean {
                               g_source_set_ready_time(s, -1);
                               return cb(data);
                             },
                             nullptr,
                             nullptr,
                             nullptr};

GSource *attach_fn(GSource *src, GMainContext *ctx, std::function<void()> fn) {
  auto *owned = new std::function<void()>(std::move(fn));
  g_source_set_callback(
      src,
      [](gpointer d) -> gboolean {
        (*static_cast<std::function<void()> *>(d))();
        return G_SOURCE_CONTINUE;
      },
      owned, [](gpointer d) { delete static_cast<std::function<void()> *>(d); });
  g_source_set_priority(src, G_PRIORITY_DEFAULT);
  g_source_attach(src, ctx);
  return src;
}

}  // namespace

LoopSource LoopSource::wake_source(GMainContext *ctx, std::function<void()> fn) {
  return LoopSource(attach_fn(g_source_new(&g_wake_funcs, sizeof(GSource)), ctx, std::move(fn)));
}

LoopSource LoopSource::timer(GMainContext *ctx, unsigned interval_ms, std::function<void()> fn) {
  return LoopSource(attach_fn(g_timeout_source_new(interval_ms), ctx, std::move(fn)));
}

LoopSource &LoopSource::operator=(LoopSource &&o) noexcept {
  if (this != &o) {
    destroy();
    src_ = o.src_;
    o.src_ = nullptr;
  }
  return *this;
}

void LoopSource::wake_at(gint64 monotonic_us) const {
  if (src_)
    g_source_set_ready_time(src_, monotonic_us);
}

void LoopSource::destroy() {
  if (!src_)
    return;
  g_source_destroy(src_);
  g_source_unref(src_);
  src_ = nullptr;
}

}  // namespace gstsse
