/* The nchan publisher: one thread, one SoupSession, one POST at a time; see
 * nchan-publisher.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "nchan-publisher.h"

#include <gst/gst.h>
#include <libsoup/soup.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "event-encoder.h"
#include "loop-thread.h"
#include "publish-queue.h"

GST_DEBUG_CATEGORY_EXTERN(gst_sse_sink_debug);
#define GST_CAT_DEFAULT gst_sse_sink_debug

namespace gstsse {
namespace {

/* One message to publish: a view of the data field of a shared event. */
struct Item {
  EventPtr event;
  size_t offset = 0;
  size_t size = 0;            /* of the body: what PublishQueue counts */
  const char *name = nullptr; /* SSE event name; nullptr: unnamed */
  bool media = false;
  bool key = false;
  int64_t made_us = 0;
};

}  // namespace

struct NchanPublisher::Impl {
  PublisherConfig cfg;
  StateFn on_state;
  std::vector<GUri *> uris;      /* publish-url, split at commas */
  std::vector<std::string> urls; /* the same, as text */

  LoopThread thread;

  /* Shared with the streaming thread and stats(). */
  mutable std::mutex mutex;
  std::condition_variable idle; /* signalled when nothing is queued or in flight, or a POST failed */
  PublishQueue<Item> queue;
  bool sending = false; /* a POST is in flight */
  uint64_t in_flight_bytes = 0;
  uint64_t refused = 0;          /* events the endpoint can never take (413), dropped */
  std::mutex description_mutex;  /* taken before mutex */
  StreamDescription description; /* what the last stream event said */
  PublisherStats stats;

  /* Made before the thread starts and destroyed after it stopped; any
   * thread wakes it (enqueue()). */
  LoopSource wake;

  /* Publisher thread only. */
  SoupSession *session = nullptr;
  GCancellable *cancellable = nullptr;
  LoopSource retry;           /* a failed POST is retried when it fires */
  bool retry_pending = false; /* retry is armed */
  bool stopping = false;      /* teardown began: send nothing more */
  unsigned retry_delay_ms = 0;
  size_t current = 0;       /* index in uris of the endpoint in use */
  size_t fail_streak = 0;   /* consecutive failed POSTs */
  bool state_known = false; /* on_state was called at least once */
  bool last_up = false;     /* what it was told last */
  Item in_flight;
  SoupMessage *message = nullptr;

  explicit Impl(PublisherConfig c)
      : cfg(std::move(c)), queue(PublishQueue<Item>::Limits{cfg.buffer_bytes, int64_t{cfg.buffer_time_ms} * 1000}) {}

  bool setup();
  void teardown();
  void enqueue(Item item);
  void pump();
  void sent(GAsyncResult *res);
  void succeeded();
  void failed(const std::string &why, bool retry_it);
  void set_state(bool up, const std::string &detail);
};

/* Parses one publish URL; nullptr and @error unless it is http(s) with a host. */
static GUri *parse_url(const std::string &url, GError **error) {
  GError *err = nullptr;
  GUri *uri = g_uri_parse(url.c_str(), static_cast<GUriFlags>(SOUP_HTTP_URI_FLAGS), &err);
  if (!uri) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Invalid publish URL \"%s\": %s", url.c_str(),
                err->message);
    g_error_free(err);
    return nullptr;
  }
  const char *scheme = g_uri_get_scheme(uri);
  if ((g_ascii_strcasecmp(scheme, "http") != 0 && g_ascii_strcasecmp(scheme, "https") != 0) || !g_uri_get_host(uri) ||
      !*g_uri_get_host(uri)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "Invalid publish URL \"%s\": need http:// or https:// and a host", url.c_str());
    g_uri_unref(uri);
    return nullptr;
  }
  return uri;
}

std::unique_ptr<NchanPublisher> NchanPublisher::start(PublisherConfig config, StateFn on_state, GError **error) {
  std::vector<GUri *> uris;
  std::vector<std::string> urls;
  gchar **parts = g_strsplit(config.url.c_str(), ",", -1);
  for (gchar **part = parts; *part; part++) {
    const std::string url = g_strstrip(*part);
    if (url.empty())
      continue;
    GUri *uri = parse_url(url, error);
    if (!uri) {
      for (GUri *u : uris)
        g_uri_unref(u);
      g_strfreev(parts);
      return nullptr;
    }
    uris.push_back(uri);
    urls.push_back(url);
  }
  g_strfreev(parts);
  if (uris.empty()) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "No publish URL in \"%s\"", config.url.c_str());
    return nullptr;
  }

  std::unique_ptr<NchanPublisher> p(new NchanPublisher());
  p->impl_ = std::make_unique<Impl>(std::move(config));
  Impl *impl = p->impl_.get();
  impl->uris = std::move(uris);
  impl->urls = std::move(urls);
  impl->stats.url = impl->urls[0];
  impl->on_state = std::move(on_state);
  GMainContext *ctx = impl->thread.context();
  impl->wake = LoopSource::wake_source(ctx, [impl] { impl->pump(); });
  impl->retry = LoopSource::wake_source(ctx, [impl] {
    impl->retry_pending = false;
    impl->pump();
  });
  if (!impl->thread.start(
          "ssesink-publish", [impl](GError **) { return impl->setup(); }, [impl] { impl->teardown(); }, error))
    return nullptr;
  return p;
}

NchanPublisher::~NchanPublisher() {
  impl_->thread.stop();
  impl_->wake.destroy();
  impl_->retry.destroy();
  for (GUri *uri : impl_->uris)
    g_uri_unref(uri);
}

/* Publisher thread, before its loop runs. */
bool NchanPublisher::Impl::setup() {
  const guint timeout_s = std::max(1u, (cfg.timeout_ms + 999) / 1000);
  session = soup_session_new_with_options("timeout", timeout_s, "idle-timeout", 60u, "user-agent", "ssesink/" VERSION,
                                          nullptr);
  cancellable = g_cancellable_new();
  return true;
}

/* Publisher thread, once its loop quit: end the POST in flight (its
 * callback still runs), then drop the session and its connection here. */
void NchanPublisher::Impl::teardown() {
  /* The wake sources stay attached until the destructor: what the loop
   * thread dispatches after this must not start a POST. */
  stopping = true;
  g_cancellable_cancel(cancellable);
  while (message)
    g_main_context_iteration(thread.context(), TRUE);
  retry.wake_at(-1);
  g_object_unref(cancellable);
  g_object_unref(session);
}

void NchanPublisher::publish(std::vector<EventPtr> events) {
  for (const EventPtr &ev : events)
    publish_one(ev);
}

void NchanPublisher::publish_one(const EventPtr &event) {
  Item item;
  switch (event->kind) {
    case Event::Kind::kMedia: item.media = true; break;
    case Event::Kind::kStream: item.name = "stream"; break;
    case Event::Kind::kEos: item.name = "eos"; break;
    default: return;
  }
  if (!find_data_field(std::string_view(event->data(), event->size()), &item.offset, &item.size))
    return;
  item.event = event;
  item.key = event->key;
  item.made_us = event->made_us;
  impl_->enqueue(std::move(item));
}

void NchanPublisher::set_caps(const std::string &caps) {
  std::lock_guard<std::mutex> lock(impl_->description_mutex);
  if (impl_->description.set_caps(caps))
    announce();
}

void NchanPublisher::set_stream_info(const std::string &fields) {
  std::lock_guard<std::mutex> lock(impl_->description_mutex);
  if (impl_->description.set_fields(fields))
    announce();
}

/* With description_mutex held, so that racing changes are queued in order. */
void NchanPublisher::announce() {
  const StreamDescription &d = impl_->description;
  if (d.caps.empty())
    return; /* as the server does: every stream event has the caps */
  const std::string json = d.json(impl_->cfg.epoch, impl_->cfg.path);
  publish_one(make_stream_event(json));
}

void NchanPublisher::Impl::enqueue(Item item) {
  uint64_t dropped;
  {
    std::lock_guard<std::mutex> lock(mutex);
    dropped = queue.push(std::move(item), g_get_monotonic_time());
  }
  if (dropped)
    GST_DEBUG_OBJECT(cfg.log_object, "publisher: dropped %" G_GUINT64_FORMAT " events over the buffer limits", dropped);
  wake.wake();
}

bool NchanPublisher::drain(unsigned timeout_ms) {
  std::unique_lock<std::mutex> lock(impl_->mutex);
  const uint64_t failures = impl_->stats.failures;
  impl_->idle.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                       [&] { return (impl_->queue.empty() && !impl_->sending) || impl_->stats.failures != failures; });
  return impl_->queue.empty() && !impl_->sending;
}

PublisherStats NchanPublisher::stats() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  PublisherStats s = impl_->stats;
  s.queued_bytes = impl_->queue.bytes() + impl_->in_flight_bytes;
  s.dropped = impl_->queue.dropped() + impl_->refused;
  return s;
}

GMainContext *NchanPublisher::context() const {
  return impl_->thread.context();
}

/* Publisher thread: sends the oldest queued message unless one is in flight
 * or a retry is pending. */
void NchanPublisher::Impl::pump() {
  if (message || retry_pending || stopping)
    return;
  {
    std::lock_guard<std::mutex> lock(mutex);
    queue.trim(g_get_monotonic_time());
    if (queue.empty()) {
      idle.notify_all();
      return;
    }
    in_flight = queue.take();
    in_flight_bytes = in_flight.size;
    sending = true;
  }
  message = soup_message_new_from_uri(SOUP_METHOD_POST, uris[current]);
  SoupMessageHeaders *headers = soup_message_get_request_headers(message);
  if (!cfg.authorization.empty())
    soup_message_headers_replace(headers, "Authorization", cfg.authorization.c_str());
  if (in_flight.name)
    soup_message_headers_replace(headers, "X-EventSource-Event", in_flight.name);
  /* A view into the shared event, which the GBytes keeps alive: no copy. */
  GBytes *body = g_bytes_new_with_free_func(
      in_flight.event->data() + in_flight.offset, in_flight.size,
      [](gpointer ref) { delete static_cast<EventPtr *>(ref); }, new EventPtr(in_flight.event));
  soup_message_set_request_body_from_bytes(message, "application/json", body);
  g_bytes_unref(body);
  soup_session_send_and_read_async(
      session, message, G_PRIORITY_DEFAULT, cancellable,
      [](GObject *, GAsyncResult *res, gpointer data) { static_cast<Impl *>(data)->sent(res); }, this);
}

void NchanPublisher::Impl::sent(GAsyncResult *res) {
  GError *err = nullptr;
  GBytes *answer = soup_session_send_and_read_finish(session, res, &err);
  const guint status = soup_message_get_status(message);
  g_clear_object(&message);
  if (answer)
    g_bytes_unref(answer);

  if (err) {
    const bool cancelled = g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    const std::string why = err->message;
    g_error_free(err);
    failed(why, !cancelled);
    return;
  }
  if (SOUP_STATUS_IS_SUCCESSFUL(status)) {
    succeeded();
    return;
  }
  std::string why = "HTTP " + std::to_string(status) + " " + soup_status_get_phrase(status);
  /* This message can never be accepted; the next ones may. */
  failed(why, status != SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE);
}

void NchanPublisher::Impl::succeeded() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stats.published++;
    stats.bytes += in_flight.size;
    stats.connected = true;
    in_flight_bytes = 0;
    sending = false;
    if (queue.empty())
      idle.notify_all();
  }
  in_flight = Item();
  retry_delay_ms = 0;
  fail_streak = 0;
  set_state(true, "");
  pump();
}

void NchanPublisher::Impl::failed(const std::string &why, bool retry_it) {
  bool stopping = g_cancellable_is_cancelled(cancellable);
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (stopping) {
      sending = false;
      in_flight_bytes = 0;
      return;
    }
    stats.failures++;
    if (stats.connected)
      stats.outages++;
    stats.connected = false;
    stats.last_error = urls[current] + ": " + why;
    if (retry_it) {
      queue.put_back(std::move(in_flight));
    } else {
      refused++;
    }
    in_flight_bytes = 0;
    sending = false;
    idle.notify_all();
  }
  in_flight = Item();
  if (!retry_it) {
    GST_WARNING_OBJECT(cfg.log_object, "publisher: %s refused a message (%s); dropped it", urls[current].c_str(),
                       why.c_str());
    pump();
    return;
  }
  /* The next endpoint at once; the backoff only once all of them failed. */
  const std::string failed_url = urls[current];
  fail_streak++;
  if (urls.size() > 1) {
    current = (current + 1) % urls.size();
    std::lock_guard<std::mutex> lock(mutex);
    stats.url = urls[current];
    stats.failovers++;
  }
  unsigned delay_ms = 0;
  if (fail_streak % urls.size() == 0) {
    retry_delay_ms = retry_delay_ms ? std::min(cfg.retry_max_ms, retry_delay_ms * 2) : cfg.retry_min_ms;
    delay_ms = retry_delay_ms;
    set_state(false, failed_url + ": " + why);
  }
  GST_DEBUG_OBJECT(cfg.log_object, "publisher: %s failed (%s); trying %s in %u ms", failed_url.c_str(), why.c_str(),
                   urls[current].c_str(), delay_ms);
  retry_pending = true;
  retry.wake_at(g_get_monotonic_time() + gint64{delay_ms} * 1000);
}

void NchanPublisher::Impl::set_state(bool up, const std::string &detail) {
  if (state_known && up == last_up)
    return;
  state_known = true;
  last_up = up;
  if (on_state)
    on_state(up, detail);
}

}  // namespace gstsse
