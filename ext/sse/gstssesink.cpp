/* GstSseSink: signals, state changes and the running objects of ssesink.
 * Its properties and Settings are in settings.cpp; chunking in chunk-pump,
 * encoding in event-encoder, serving in http-server and stream, publishing in
 * nchan-publisher. This file wires them to GStreamer. */

/**
 * SECTION:element-ssesink
 * @title: ssesink
 *
 * Serves a live MPEG-TS stream to web browsers as Server-Sent Events from an
 * HTTP server embedded in the element (libsoup 3). Each media event carries
 * JSON with a Base64 chunk of whole TS packets, about one video frame per
 * event; every chunk is encoded once and shared by all clients. A client that
 * connects at any moment starts at the latest keyframe, with PAT and PMT
 * first, so what it receives decodes from its first event. The wire protocol
 * is described in docs/protocol.md.
 *
 * The `stream` event and the #GstSseSink:stream-info property say what the
 * stream carries, read from the TS itself: RFC 6381 codec strings, and the
 * video's profile, level, chroma format, bit depth, size and frame rate from
 * the SPS of each key frame. Video that most browsers cannot decode (4:2:2
 * or 4:4:4 chroma, more than 8 bits, interlaced coding) gets one warning on
 * the bus; the fix is `video/x-raw,format=I420` before the encoder.
 *
 * The server runs on its own thread; the streaming thread never waits for a
 * client. A client that falls more than #GstSseSink:max-client-bytes behind is
 * disconnected (reason slow) without slowing the pipeline or other clients.
 *
 * Each client that comes and goes is also posted on the bus as an element
 * message, `ssesink-client-added` (`id`, `address`, `path`) and
 * `ssesink-client-removed` (the same and `reason`, `reason-code`), so
 * `gst-launch-1.0 -m` shows them; #GstSseSink::get-client-ids lists the
 * clients connected now. A #GstSseSink:path without its leading `/`, or a
 * #GstSseSink:web-root that is not a directory, fails the start with an
 * error.
 *
 * `GET <path>/snapshot.jpg` (`?width=` to scale) answers a JPEG of the
 * latest key frame, decoded off the streaming and server threads by a small
 * pipeline that exists only while snapshots are asked for (or with
 * #GstSseSink:snapshot-keep-warm), at most once per key frame; no decoder
 * for the codec gives 503 and one warning on the bus
 * (#GstSseSink:snapshot-decoder, #GstSseSink:snapshot-stats,
 * docs/operations.md).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! video/x-raw,format=I420 ! x264enc tune=zerolatency key-int-max=30 !
 * mpegtsmux ! ssesink port=8080
 * ]|
 * then `curl -N http://localhost:8080/stream`, or an `EventSource` in a page.
 *
 * Since: 0.1
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstssesink.h"

#include <gst/video/video-event.h>

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "chunk-pump.h"
#include "element-messages.h"
#include "http-server.h"
#include "nchan-publisher.h"
#include "settings.h"
#include "snapshot.h"
#include "stream-info.h"

GST_DEBUG_CATEGORY(gst_sse_sink_debug);
#define GST_CAT_DEFAULT gst_sse_sink_debug

struct GstSseSinkPrivate {
  /* Written by set_property (application threads), copied by start(). */
  std::mutex settings_mutex;
  gstsse::Settings settings;

  /* Running objects; they exist only between start() and stop(), which set
   * them (the state-change thread); the streaming thread and getters take
   * references under the lock and use them without it. */
  std::mutex state_mutex;
  std::shared_ptr<gstsse::Server> server;
  std::shared_ptr<gstsse::Stream> stream;            /* nullptr with publish-only */
  std::shared_ptr<gstsse::NchanPublisher> publisher; /* nullptr without publish-url */
  std::shared_ptr<gstsse::ChunkPump> pump;           /* feeds stream and publisher */
  std::shared_ptr<gstsse::Snapshotter> snapshotter;  /* <path>/snapshot.jpg; with the stream */
  int current_port = 0;
  uint64_t last_bytes_served = 0; /* the last run's, kept by stop() until the next start() */

  /* The stream-info property, and the warnings posted in this run: written
   * by on_stream_info() (streaming or loop thread), read by getters. */
  std::mutex info_mutex;
  gstsse::StreamInfo info;
  uint64_t info_generation = 0; /* ChunkPump's, of info */
  std::set<std::string> warned;
};

struct _GstSseSink {
  GstBaseSink parent;
  GstSseSinkPrivate *priv;
};

enum { SIGNAL_CLIENT_ADDED, SIGNAL_CLIENT_REMOVED, SIGNAL_GET_STATS, SIGNAL_GET_CLIENT_IDS, LAST_SIGNAL };
static guint signals[LAST_SIGNAL];

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                            GST_STATIC_CAPS("video/mpegts, systemstream = (boolean) true, packetsize = (int) 188"));

#define gst_sse_sink_parent_class parent_class
G_DEFINE_TYPE(GstSseSink, gst_sse_sink, GST_TYPE_BASE_SINK);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE(ssesink, "ssesink", GST_RANK_NONE, GST_TYPE_SSE_SINK,
                                      GST_DEBUG_CATEGORY_INIT(gst_sse_sink_debug, "ssesink", 0,
                                                              "Server-Sent Events sink"));

static std::shared_ptr<gstsse::ChunkPump> pump_of(GstSseSinkPrivate *priv) {
  std::lock_guard<std::mutex> lock(priv->state_mutex);
  return priv->pump;
}

/* The pump read a new description of the stream (streaming thread, or the
 * loop thread after an idle flush; no lock held): keeps it for stream-info,
 * logs it, notifies and, once per distinct problem, warns that browsers
 * cannot decode the video; once per run, that key frames after the first
 * lack their parameter sets. */
static void on_stream_info(GstSseSink *sink, uint64_t generation, const gstsse::StreamInfo &info) {
  GstSseSinkPrivate *priv = sink->priv;
  std::string warning, params_warning;
  {
    std::lock_guard<std::mutex> lock(priv->info_mutex);
    if (generation <= priv->info_generation)
      return; /* a newer one came first, from the other thread */
    priv->info_generation = generation;
    priv->info = info;
    warning = info.browser_warning();
    if (!warning.empty() && !priv->warned.insert(warning).second)
      warning.clear();
    /* One key for it: the sets named may grow, the warning stays one. */
    params_warning = info.parameter_sets_warning();
    if (!params_warning.empty() && !priv->warned.insert("parameter-sets").second)
      params_warning.clear();
  }
  GST_INFO_OBJECT(sink, "stream: %s", info.description().c_str());
  g_object_notify(G_OBJECT(sink), "stream-info");
  if (!warning.empty())
    GST_ELEMENT_WARNING(sink, STREAM, FORMAT, ("%s", warning.c_str()),
                        ("codecs \"%s\": %s; the stream event says \"browser_safe\":false", info.codecs().c_str(),
                         info.description().c_str()));
  if (!params_warning.empty())
    GST_ELEMENT_WARNING(sink, STREAM, FORMAT, ("%s", params_warning.c_str()),
                        ("a key frame after the first has no %s before its first slice; clients join at key frames",
                         info.video.missing_parameter_set_names().c_str()));
}

static GstFlowReturn gst_sse_sink_render(GstBaseSink *bsink, GstBuffer *buffer) {
  auto *sink = GST_SSE_SINK(bsink);
  const std::shared_ptr<gstsse::ChunkPump> pump = pump_of(sink->priv);
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    GST_ELEMENT_ERROR(sink, RESOURCE, READ, ("Could not map buffer"), (nullptr));
    return GST_FLOW_ERROR;
  }
  if (pump)
    pump->push(map.data, map.size, GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT));
  gst_buffer_unmap(buffer, &map);
  return GST_FLOW_OK;
}

static gboolean gst_sse_sink_event(GstBaseSink *bsink, GstEvent *event) {
  auto *sink = GST_SSE_SINK(bsink);
  const std::shared_ptr<gstsse::ChunkPump> pump = pump_of(sink->priv);
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_EOS:
      if (pump)
        pump->finish();
      GST_INFO_OBJECT(sink, "EOS: clients get event: eos");
      break;
    case GST_EVENT_FLUSH_STOP:
      if (pump)
        pump->reset();
      break;
    default: break;
  }
  return GST_BASE_SINK_CLASS(parent_class)->event(bsink, event);
}

static gboolean gst_sse_sink_set_caps(GstBaseSink *bsink, GstCaps *caps) {
  auto *sink = GST_SSE_SINK(bsink);
  /* streamheader repeats PAT/PMT as hex; clients get those in-band. */
  GstCaps *copy = gst_caps_copy(caps);
  for (guint i = 0; i < gst_caps_get_size(copy); i++)
    gst_structure_remove_field(gst_caps_get_structure(copy, i), "streamheader");
  gchar *str = gst_caps_to_string(copy);
  gst_caps_unref(copy);
  GST_DEBUG_OBJECT(sink, "caps %s", str);
  if (const std::shared_ptr<gstsse::ChunkPump> pump = pump_of(sink->priv))
    pump->set_caps(str);
  g_free(str);
  return TRUE;
}

/* Posts on the bus when publishing starts to work or to fail. Publisher
 * thread. */
static void on_publisher_state(GstSseSink *sink, const std::string &url, bool up, const std::string &detail) {
  if (up) {
    GST_ELEMENT_INFO(sink, RESOURCE, WRITE, ("Publishing to %s", url.c_str()), (nullptr));
  } else {
    GST_ELEMENT_WARNING(sink, RESOURCE, WRITE, ("Could not publish to %s; retrying", url.c_str()),
                        ("%s", detail.c_str()));
  }
}

static std::shared_ptr<gstsse::NchanPublisher> start_publisher(GstSseSink *sink, const gstsse::Settings &s,
                                                               uint64_t first_seq) {
  const std::string url = s.publisher.url;
  GError *err = nullptr;
  gstsse::PublisherConfig config = s.publisher_config(first_seq);
  config.log_object = G_OBJECT(sink);
  std::shared_ptr<gstsse::NchanPublisher> publisher = gstsse::NchanPublisher::start(
      std::move(config), [sink, url](bool up, const std::string &detail) { on_publisher_state(sink, url, up, detail); },
      &err);
  if (!publisher) {
    GST_ELEMENT_ERROR(sink, RESOURCE, SETTINGS, ("Invalid publish-url"), ("%s", err->message));
    g_error_free(err);
  }
  return publisher;
}

static std::shared_ptr<gstsse::Stream> make_stream(GstSseSink *sink, const gstsse::Settings &s, uint64_t first_seq) {
  gstsse::StreamConfig config = s.stream;
  config.log_object = G_OBJECT(sink);
  auto stream = std::make_shared<gstsse::Stream>(std::move(config), first_seq);
  /* The signals, then the same as element messages on the bus (server
   * thread, no lock held; posting is thread-safe and never waits). */
  const std::string path = s.stream.path;
  stream->on_client_added = [sink, path](uint32_t id, const std::string &remote) {
    g_signal_emit(sink, signals[SIGNAL_CLIENT_ADDED], 0, guint{id}, remote.c_str());
    g_object_notify(G_OBJECT(sink), "num-clients");
    gst_element_post_message(GST_ELEMENT(sink),
                             gst_sse_sink_client_added_message(GST_OBJECT(sink), id, remote.c_str(), path.c_str()));
  };
  stream->on_keyframe_wanted = [sink] {
    /* Upstream event from the server thread: pads allow that. */
    GST_DEBUG_OBJECT(sink, "client joined: requesting a key unit upstream");
    gst_pad_push_event(GST_BASE_SINK_PAD(sink),
                       gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
  };
  stream->on_client_removed = [sink, path](uint32_t id, const std::string &remote, gstsse::RemoveReason reason) {
    g_signal_emit(sink, signals[SIGNAL_CLIENT_REMOVED], 0, guint{id}, gstsse::to_gst(reason));
    g_object_notify(G_OBJECT(sink), "num-clients");
    gst_element_post_message(GST_ELEMENT(sink),
                             gst_sse_sink_client_removed_message(GST_OBJECT(sink), id, remote.c_str(), path.c_str(),
                                                                 gstsse::to_gst(reason)));
  };
  return stream;
}

/* Forgets what the previous run read from its stream. */
static void clear_stream_info(GstSseSink *sink) {
  GstSseSinkPrivate *priv = sink->priv;
  bool had_info;
  {
    std::lock_guard<std::mutex> lock(priv->info_mutex);
    had_info = !priv->info.empty();
    priv->info = gstsse::StreamInfo{};
    priv->info_generation = 0;
    priv->warned.clear();
  }
  if (had_info)
    g_object_notify(G_OBJECT(sink), "stream-info");
}

/* The pump of a run, feeding @stream and @publisher (either may be null). */
static std::shared_ptr<gstsse::ChunkPump> make_pump(GstSseSink *sink, const gstsse::Settings &s, uint64_t first_seq,
                                                    const std::shared_ptr<gstsse::Server> &server,
                                                    const std::shared_ptr<gstsse::Stream> &stream,
                                                    const std::shared_ptr<gstsse::NchanPublisher> &publisher) {
  std::vector<std::shared_ptr<gstsse::EventSink>> sinks;
  if (publisher)
    sinks.push_back(publisher);
  if (stream)
    sinks.push_back(stream);
  gstsse::ChunkPump::Config pc;
  pc.first_seq = first_seq;
  pc.timeout_ms = s.chunk_timeout_ms;
  pc.context = server ? server->context() : publisher->context();
  pc.log_category = gst_sse_sink_debug;
  pc.log_object = G_OBJECT(sink);
  /* Deflated once here, for every gzip client of the stream. */
  pc.deflate = stream && stream->config().compression != gstsse::Compression::kNone;
  return std::make_shared<gstsse::ChunkPump>(
      pc, std::move(sinks),
      [sink](uint64_t generation, const gstsse::StreamInfo &info) { on_stream_info(sink, generation, info); });
}

static gboolean gst_sse_sink_start(GstBaseSink *bsink) {
  auto *sink = GST_SSE_SINK(bsink);
  GstSseSinkPrivate *priv = sink->priv;
  gstsse::Settings s;
  {
    std::lock_guard<std::mutex> lock(priv->settings_mutex);
    s = priv->settings;
  }
  std::string message, detail;
  if (!s.check(&message, &detail)) {
    GST_ELEMENT_ERROR(sink, RESOURCE, SETTINGS, ("%s", message.c_str()), ("%s", detail.c_str()));
    return FALSE;
  }
  if (s.publish_only && s.publisher.url.empty()) {
    GST_ELEMENT_ERROR(sink, RESOURCE, SETTINGS, ("publish-only is set but publish-url is not"),
                      ("Set publish-url to the nchan publisher endpoint, or unset publish-only"));
    return FALSE;
  }

  const uint64_t first_seq = gstsse::next_run_first_seq();
  std::shared_ptr<gstsse::NchanPublisher> publisher;
  if (!s.publisher.url.empty() && !(publisher = start_publisher(sink, s, first_seq)))
    return FALSE;

  GError *err = nullptr;
  std::shared_ptr<gstsse::Server> server;
  std::shared_ptr<gstsse::Stream> stream;
  std::shared_ptr<gstsse::Snapshotter> snapshotter;
  if (!s.publish_only) {
    server = gstsse::Server::acquire(s.address, s.port, s.server_config(), &err);
    if (!server) {
      GST_ELEMENT_ERROR(sink, RESOURCE, OPEN_READ_WRITE, ("Could not listen on %s port %d", s.address.c_str(), s.port),
                        ("%s", err->message));
      g_error_free(err);
      return FALSE;
    }
    stream = make_stream(sink, s, first_seq);
    snapshotter =
        std::make_shared<gstsse::Snapshotter>(s.snapshot, stream->config(), server->context(), GST_ELEMENT(sink));
    stream->snapshot_handler = [snapshotter](SoupServerMessage *msg, GHashTable *query, const gstsse::EventPtr &key) {
      snapshotter->serve(msg, query, key);
    };
    stream->on_key_chunk = [snapshotter](const gstsse::EventPtr &key) { snapshotter->key_chunk(key); };
    if (publisher) { /* /metrics shows publish-stats; the stream goes before the publisher */
      std::weak_ptr<gstsse::NchanPublisher> weak = publisher;
      stream->publisher_metrics = [weak](gstsse::PublisherSample *out) {
        const std::shared_ptr<gstsse::NchanPublisher> p = weak.lock();
        if (!p)
          return false;
        const gstsse::PublisherStats st = p->stats();
        out->connected = st.connected;
        out->messages = st.published;
        out->bytes = st.bytes;
        out->dropped = st.dropped;
        out->failures = st.failures;
        out->outages = st.outages;
        out->failovers = st.failovers;
        out->queue_bytes = st.queued_bytes;
        return true;
      };
    }
  }

  clear_stream_info(sink);
  std::shared_ptr<gstsse::ChunkPump> pump = make_pump(sink, s, first_seq, server, stream, publisher);
  {
    /* Before add_stream: a client may connect as soon as the path exists. */
    std::lock_guard<std::mutex> lock(priv->state_mutex);
    priv->stream = stream;
    priv->publisher = publisher;
    priv->pump = pump;
    priv->snapshotter = snapshotter;
    priv->last_bytes_served = 0;
  }
  if (server && !server->add_stream(stream, &err)) {
    {
      std::lock_guard<std::mutex> lock(priv->state_mutex);
      priv->stream.reset();
      priv->publisher.reset();
      priv->pump.reset();
      priv->snapshotter.reset();
    }
    pump->stop();
    GST_ELEMENT_ERROR(sink, RESOURCE, SETTINGS, ("Could not serve path %s", s.stream.path.c_str()),
                      ("%s", err->message));
    g_error_free(err);
    return FALSE;
  }
  {
    std::lock_guard<std::mutex> lock(priv->state_mutex);
    priv->server = server;
    priv->current_port = server ? server->port() : 0;
  }
  if (server) {
    GST_INFO_OBJECT(sink, "serving %s on %s port %d, first id %" G_GUINT64_FORMAT, s.stream.path.c_str(),
                    s.address.c_str(), server->port(), first_seq);
    g_object_notify(G_OBJECT(sink), "current-port");
  }
  if (publisher)
    GST_INFO_OBJECT(sink, "publishing to %s, first id %" G_GUINT64_FORMAT, s.publisher.url.c_str(), first_seq);
  return TRUE;
}

/* How long stop() waits for the publisher to send what is queued (the eos
 * event, normally). */
constexpr unsigned kPublisherDrainMs = 1000;

static gboolean gst_sse_sink_stop(GstBaseSink *bsink) {
  auto *sink = GST_SSE_SINK(bsink);
  GstSseSinkPrivate *priv = sink->priv;
  std::shared_ptr<gstsse::Server> server;
  std::shared_ptr<gstsse::Stream> stream;
  std::shared_ptr<gstsse::NchanPublisher> publisher;
  std::shared_ptr<gstsse::ChunkPump> pump;
  std::shared_ptr<gstsse::Snapshotter> snapshotter;
  {
    std::lock_guard<std::mutex> lock(priv->state_mutex);
    server = std::move(priv->server);
    snapshotter = std::move(priv->snapshotter);
    if (priv->stream) /* read while the last clients finish, then again below */
      priv->last_bytes_served = priv->stream->bytes_served();
    stream = std::move(priv->stream);
    publisher = std::move(priv->publisher);
    pump = std::move(priv->pump);
    priv->current_port = 0;
  }
  /* Once this returns the pump calls no sink and no callback, on any
   * thread: an idle flush in progress has returned. */
  if (pump)
    pump->stop();
  if (server && snapshotter) /* its waiters answered, its decoder gone */
    gstsse::run_on(server->context(), [&snapshotter] { snapshotter->stop(); });
  if (server && stream)
    server->remove_stream(stream);
  if (stream) {
    /* bytes-served keeps this run's total until the next start;
     * num-clients reads 0, every client having been removed (shutdown). */
    std::lock_guard<std::mutex> lock(priv->state_mutex);
    priv->last_bytes_served = stream->bytes_served();
  }
  if (publisher && !publisher->drain(kPublisherDrainMs))
    GST_WARNING_OBJECT(sink, "stopping with %" G_GUINT64_FORMAT " bytes not published",
                       publisher->stats().queued_bytes);
  /* Dropping the last references stops the server and publisher threads. */
  pump.reset();
  publisher.reset();
  server.reset();
  GST_INFO_OBJECT(sink, "stopped");
  return TRUE;
}

static GstStructure *gst_sse_sink_get_stats(GstSseSink *sink, guint id) {
  std::shared_ptr<gstsse::Stream> stream;
  {
    std::lock_guard<std::mutex> lock(sink->priv->state_mutex);
    stream = sink->priv->stream;
  }
  gstsse::ClientStats st;
  if (!stream || !stream->client_stats(id, &st))
    return nullptr;
  return gst_sse_sink_client_stats_structure(st, g_get_monotonic_time());
}

static GValueArray *gst_sse_sink_get_client_ids(GstSseSink *sink) {
  std::shared_ptr<gstsse::Stream> stream;
  {
    std::lock_guard<std::mutex> lock(sink->priv->state_mutex);
    stream = sink->priv->stream;
  }
  return gst_sse_sink_id_array(stream ? stream->client_ids() : std::vector<uint32_t>{});
}

static void gst_sse_sink_set_property(GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec) {
  auto *sink = GST_SSE_SINK(object);
  bool known;
  std::string jwt_error;
  {
    std::lock_guard<std::mutex> lock(sink->priv->settings_mutex);
    known = gst_sse_sink_settings_set(sink->priv->settings, prop_id, value);
    if (prop_id == PROP_JWT_KEY)
      jwt_error = sink->priv->settings.jwt->error();
  }
  if (!jwt_error.empty()) /* names the key by position or file, never a secret */
    GST_WARNING_OBJECT(sink, "jwt-key: %s; tokens only that key would verify are refused", jwt_error.c_str());
  if (!known)
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  /* Two spellings of one setting: the other one changed too. */
  else if (prop_id == PROP_KEEPALIVE_INTERVAL)
    g_object_notify(object, "keepalive-interval-ms");
  else if (prop_id == PROP_KEEPALIVE_INTERVAL_MS)
    g_object_notify(object, "keepalive-interval");
}

static GstStructure *publish_stats(GstSseSinkPrivate *priv) {
  std::shared_ptr<gstsse::NchanPublisher> publisher;
  {
    std::lock_guard<std::mutex> lock(priv->state_mutex);
    publisher = priv->publisher;
  }
  return gst_sse_sink_publish_stats_structure(publisher ? publisher->stats() : gstsse::PublisherStats{},
                                              publisher != nullptr);
}

/* The stream-info property: NULL until something is known. */
static GstStructure *stream_info_structure(GstSseSinkPrivate *priv) {
  gstsse::StreamInfo info;
  {
    std::lock_guard<std::mutex> lock(priv->info_mutex);
    info = priv->info;
  }
  return gst_sse_sink_stream_info_structure(info);
}

static void gst_sse_sink_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec) {
  auto *sink = GST_SSE_SINK(object);
  GstSseSinkPrivate *priv = sink->priv;
  if (prop_id == PROP_PUBLISH_STATS) {
    g_value_take_boxed(value, publish_stats(priv));
    return;
  }
  if (prop_id == PROP_STREAM_INFO) {
    g_value_take_boxed(value, stream_info_structure(priv));
    return;
  }
  if (prop_id == PROP_SNAPSHOT_STATS) {
    std::lock_guard<std::mutex> lock(priv->state_mutex);
    g_value_take_boxed(
        value, priv->snapshotter ? priv->snapshotter->stats_structure() : gstsse::snapshot_stats_structure_empty());
    return;
  }
  if (prop_id == PROP_CURRENT_PORT || prop_id == PROP_NUM_CLIENTS || prop_id == PROP_BYTES_SERVED) {
    std::lock_guard<std::mutex> lock(priv->state_mutex);
    if (prop_id == PROP_CURRENT_PORT)
      g_value_set_int(value, priv->current_port);
    else if (prop_id == PROP_NUM_CLIENTS)
      g_value_set_uint(value, priv->stream ? priv->stream->num_clients() : 0);
    else
      g_value_set_uint64(value, priv->stream ? priv->stream->bytes_served() : priv->last_bytes_served);
    return;
  }
  std::lock_guard<std::mutex> lock(priv->settings_mutex);
  if (!gst_sse_sink_settings_get(priv->settings, prop_id, value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
}

static void gst_sse_sink_finalize(GObject *object) {
  auto *sink = GST_SSE_SINK(object);
  delete sink->priv;
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_sse_sink_init(GstSseSink *sink) {
  sink->priv = new GstSseSinkPrivate();
}

static void gst_sse_sink_class_init(GstSseSinkClass *klass) {
  auto *gobject_class = G_OBJECT_CLASS(klass);
  auto *element_class = GST_ELEMENT_CLASS(klass);
  auto *basesink_class = GST_BASE_SINK_CLASS(klass);

  gobject_class->set_property = gst_sse_sink_set_property;
  gobject_class->get_property = gst_sse_sink_get_property;
  gobject_class->finalize = gst_sse_sink_finalize;

  gst_sse_sink_install_properties(gobject_class);

  /**
   * GstSseSink::client-added:
   * @sink: the sink
   * @id: the client's id, for #GstSseSink::get-stats
   * @remote_address: the client's IP address
   *
   * A client connected to the event stream. Emitted from the server thread,
   * which then posts the same as an element message on the bus: a
   * `ssesink-client-added` structure with `id` (guint), `address` (string)
   * and `path` (string), seen by `gst-launch-1.0 -m` too.
   */
  signals[SIGNAL_CLIENT_ADDED] = g_signal_new("client-added", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr,
                                              nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
  /**
   * GstSseSink::client-removed:
   * @sink: the sink
   * @id: the client's id
   * @reason: why it was removed
   *
   * A client is gone. Emitted from the server thread (during stop() too, before the state change returns),
   * which then posts a `ssesink-client-removed` element message on the bus: `id`, `address`, `path`, `reason`
   * (string: closed, slow, error, shutdown, eos or expired) and `reason-code` (#GstSseSinkClientRemoveReason).
   */
  signals[SIGNAL_CLIENT_REMOVED] =
      g_signal_new("client-removed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
                   G_TYPE_NONE, 2, G_TYPE_UINT, GST_TYPE_SSE_SINK_CLIENT_REMOVE_REASON);
  /**
   * GstSseSink::get-stats:
   * @sink: the sink
   * @id: a client id from #GstSseSink::client-added
   *
   * Action signal, callable from any thread. Returns a #GstStructure with the
   * client's `id`, `remote-address`, `bytes-sent`, `events-sent`,
   * `events-dropped`, `queue-bytes` (unsent bytes) and `connected-time`
   * (nanoseconds), or NULL when there is no such client.
   */
  signals[SIGNAL_GET_STATS] = g_signal_new("get-stats", G_TYPE_FROM_CLASS(klass),
                                           static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION), 0, nullptr,
                                           nullptr, nullptr, GST_TYPE_STRUCTURE, 1, G_TYPE_UINT);
  /* Class handler for the action signal. */
  g_signal_override_class_handler("get-stats", G_TYPE_FROM_CLASS(klass), G_CALLBACK(gst_sse_sink_get_stats));
  /**
   * GstSseSink::get-client-ids:
   * @sink: the sink
   *
   * Action signal, callable from any thread. Returns the ids of the clients
   * connected now, ascending (the order they came), as a #GValueArray of
   * guint; empty when there are none or the element is not running. From
   * Python: `sink.emit("get-client-ids")` is a list of ints.
   */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  signals[SIGNAL_GET_CLIENT_IDS] = g_signal_new("get-client-ids", G_TYPE_FROM_CLASS(klass),
                                                static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION), 0,
                                                nullptr, nullptr, nullptr, g_value_array_get_type(), 0);
  G_GNUC_END_IGNORE_DEPRECATIONS
  g_signal_override_class_handler("get-client-ids", G_TYPE_FROM_CLASS(klass), G_CALLBACK(gst_sse_sink_get_client_ids));

  gst_element_class_set_static_metadata(element_class, "Server-Sent Events sink", "Sink/Network",
                                        "Serves an MPEG-TS stream to web browsers as Server-Sent Events over HTTP",
                                        "gst-sse developers");
  gst_element_class_add_static_pad_template(element_class, &sink_template);

  basesink_class->render = GST_DEBUG_FUNCPTR(gst_sse_sink_render);
  basesink_class->event = GST_DEBUG_FUNCPTR(gst_sse_sink_event);
  basesink_class->set_caps = GST_DEBUG_FUNCPTR(gst_sse_sink_set_caps);
  basesink_class->start = GST_DEBUG_FUNCPTR(gst_sse_sink_start);
  basesink_class->stop = GST_DEBUG_FUNCPTR(gst_sse_sink_stop);

  gst_type_mark_as_plugin_api(GST_TYPE_SSE_SINK_CLIENT_REMOVE_REASON, static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(GST_TYPE_SSE_SINK_RECOVER_POLICY, static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(GST_TYPE_SSE_SINK_COMPRESSION, static_cast<GstPluginAPIFlags>(0));
}
