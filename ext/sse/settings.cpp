/* The property table of ssesink, its enum types and the Settings it fills;
 * see settings.h. Application threads, under the element's settings lock. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "settings.h"

/* The element's enum types, for the properties, signals and messages that
 * use them; gstsse's own enums mirror them (checked below). */
GType gst_sse_sink_client_remove_reason_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_SSE_SINK_REMOVE_CLOSED, "The client closed the connection", "closed"},
      {GST_SSE_SINK_REMOVE_SLOW, "The client fell too far behind", "slow"},
      {GST_SSE_SINK_REMOVE_ERROR, "An error on the connection", "error"},
      {GST_SSE_SINK_REMOVE_SHUTDOWN, "The element stopped", "shutdown"},
      {GST_SSE_SINK_REMOVE_EOS, "The stream ended", "eos"},
      {GST_SSE_SINK_REMOVE_EXPIRED, "The client's signed token ran out", "expired"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstSseSinkClientRemoveReason", values));
  return type;
}

GType gst_sse_sink_recover_policy_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_SSE_SINK_RECOVER_NONE, "Do nothing at the soft limit; the hard limit disconnects", "none"},
      {GST_SSE_SINK_RECOVER_KEYFRAME, "Skip the client ahead to a key chunk", "keyframe"},
      {GST_SSE_SINK_RECOVER_LATEST, "Drop the client's queue and continue with the next chunk", "latest"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstSseSinkRecoverPolicy", values));
  return type;
}

GType gst_sse_sink_compression_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_SSE_SINK_COMPRESSION_AUTO, "gzip when the client accepts it", "auto"},
      {GST_SSE_SINK_COMPRESSION_NONE, "Never compress", "none"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstSseSinkCompression", values));
  return type;
}

namespace gstsse {

static_assert(static_cast<int>(RecoverPolicy::kNone) == GST_SSE_SINK_RECOVER_NONE, "recover policies mirror");
static_assert(static_cast<int>(RecoverPolicy::kKeyframe) == GST_SSE_SINK_RECOVER_KEYFRAME, "recover policies mirror");
static_assert(static_cast<int>(RecoverPolicy::kLatest) == GST_SSE_SINK_RECOVER_LATEST, "recover policies mirror");
static_assert(static_cast<int>(Compression::kAuto) == GST_SSE_SINK_COMPRESSION_AUTO, "compressions mirror");
static_assert(static_cast<int>(Compression::kNone) == GST_SSE_SINK_COMPRESSION_NONE, "compressions mirror");
static_assert(static_cast<int>(RemoveReason::kClosed) == GST_SSE_SINK_REMOVE_CLOSED, "remove reasons mirror");
static_assert(static_cast<int>(RemoveReason::kSlow) == GST_SSE_SINK_REMOVE_SLOW, "remove reasons mirror");
static_assert(static_cast<int>(RemoveReason::kError) == GST_SSE_SINK_REMOVE_ERROR, "remove reasons mirror");
static_assert(static_cast<int>(RemoveReason::kShutdown) == GST_SSE_SINK_REMOVE_SHUTDOWN, "remove reasons mirror");
static_assert(static_cast<int>(RemoveReason::kEos) == GST_SSE_SINK_REMOVE_EOS, "remove reasons mirror");
static_assert(static_cast<int>(RemoveReason::kExpired) == GST_SSE_SINK_REMOVE_EXPIRED, "remove reasons mirror");

RecoverPolicy to_core(GstSseSinkRecoverPolicy p) {
  return static_cast<RecoverPolicy>(p);
}
GstSseSinkRecoverPolicy to_gst(RecoverPolicy p) {
  return static_cast<GstSseSinkRecoverPolicy>(p);
}
Compression to_core(GstSseSinkCompression c) {
  return static_cast<Compression>(c);
}
GstSseSinkCompression to_gst(Compression c) {
  return static_cast<GstSseSinkCompression>(c);
}
GstSseSinkClientRemoveReason to_gst(RemoveReason r) {
  return static_cast<GstSseSinkClientRemoveReason>(r);
}

/* Whole seconds, rounded up so that a non-zero interval stays non-zero. */
static unsigned ms_to_s(unsigned ms) {
  return ms / 1000 + (ms % 1000 ? 1 : 0);
}

ServerConfig Settings::server_config() const {
  ServerConfig c = server;
  c.cert = tls_certificate.get();
  return c;
}

PublisherConfig Settings::publisher_config(uint64_t epoch) const {
  PublisherConfig c = publisher;
  c.path = stream.path;
  c.epoch = epoch;
  return c;
}

bool Settings::check(std::string *message, std::string *detail) const {
  if (stream.path.empty() || stream.path[0] != '/') {
    *message = "Invalid path \"" + stream.path + "\": it must start with '/'";
    *detail = "Set path to a URL path such as /stream or /cam/1";
    return false;
  }
  if (!check_token_settings(*this, message, detail))
    return false;
  if (!publish_only && !stream.web_root.empty() && !g_file_test(stream.web_root.c_str(), G_FILE_TEST_IS_DIR)) {
    const bool exists = g_file_test(stream.web_root.c_str(), G_FILE_TEST_EXISTS);
    *message = "web-root \"" + stream.web_root + (exists ? "\" is not a directory" : "\" does not exist");
    *detail = "Set web-root to a directory of the player's files, or unset it for the built-in player";
    return false;
  }
  return true;
}

}  // namespace gstsse

using namespace gstsse;

static const auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
static const auto ro = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

/* The table in four parts, in the order gst-inspect-1.0 lists them. Where
 * the server listens and what every client is sent. */
static void install_serving_properties(GObjectClass *gobject_class) {
  g_object_class_install_property(
      gobject_class, PROP_ADDRESS,
      g_param_spec_string("address", "Address",
                          "Host name or IP address to listen on; every address the name resolves to is bound. "
                          "Use 0.0.0.0 or :: to listen on all interfaces",
                          defaults::kAddress, rw));
  g_object_class_install_property(
      gobject_class, PROP_PORT,
      g_param_spec_int("port", "Port",
                       "TCP port to listen on (0 = pick a free port, see current-port). Elements with the same "
                       "address and non-zero port share one server",
                       0, 65535, defaults::kPort, rw));
  g_object_class_install_property(
      gobject_class, PROP_CURRENT_PORT,
      g_param_spec_int("current-port", "Current port",
                       "The port the server listens on while the element is running (0 = not listening)", 0, 65535, 0,
                       ro));
  g_object_class_install_property(
      gobject_class, PROP_PATH,
      g_param_spec_string("path", "Path",
                          "URL path of the event stream; must start with '/' (else starting fails with an error)",
                          defaults::kPath, rw));
  g_object_class_install_property(
      gobject_class, PROP_MAX_CLIENTS,
      g_param_spec_uint("max-clients", "Max clients",
                        "Clients served at once; more get 503 Service Unavailable with Retry-After (0 = unlimited)", 0,
                        G_MAXUINT, defaults::kMaxClients, rw));
  g_object_class_install_property(
      gobject_class, PROP_KEEPALIVE_INTERVAL,
      g_param_spec_uint("keepalive-interval", "Keepalive interval",
                        "Seconds without data after which a client is sent an SSE comment line (0 = never). The "
                        "same setting as keepalive-interval-ms, which is preferred; the one set last wins, and this "
                        "reads it in whole seconds, rounded up",
                        0, defaults::kKeepaliveIntervalMaxMs / 1000, defaults::kKeepaliveIntervalMs / 1000, rw));
  g_object_class_install_property(
      gobject_class, PROP_KEEPALIVE_INTERVAL_MS,
      g_param_spec_uint("keepalive-interval-ms", "Keepalive interval (ms)",
                        "Milliseconds without data after which a client is sent an SSE comment line, so proxies and "
                        "clients keep the connection open (0 = never). Preferred over keepalive-interval (seconds), "
                        "which sets the same value: the one set last wins",
                        0, defaults::kKeepaliveIntervalMaxMs, defaults::kKeepaliveIntervalMs, rw));
  g_object_class_install_property(
      gobject_class, PROP_RETRY,
      g_param_spec_uint("retry", "Retry",
                        "Reconnection delay in milliseconds sent to clients as the SSE retry: field; also the "
                        "Retry-After of 503 answers (rounded up to 1 s)",
                        0, 3600000, defaults::kRetryMs, rw));
  g_object_class_install_property(
      gobject_class, PROP_CORS_ORIGIN,
      g_param_spec_string("cors-origin", "CORS origin",
                          "Origins allowed to read the stream from other sites: * (any, without credentials) or a "
                          "comma-separated list of exact origins such as https://a.example,http://localhost:3000 "
                          "(echoed with Vary: Origin and credentials allowed). NULL = no CORS headers: only pages "
                          "from the same origin, such as the player this element serves, can read the stream",
                          nullptr, rw));
}

/* How far behind a client may fall, and what it may resume from. */
static void install_client_properties(GObjectClass *gobject_class) {
  g_object_class_install_property(
      gobject_class, PROP_MAX_CLIENT_BYTES,
      g_param_spec_uint64("max-client-bytes", "Max client bytes",
                          "Bytes a client may have queued and unsent before it is disconnected as slow "
                          "(0 = unlimited). Queued events are shared, so this bounds how far behind a client may "
                          "fall rather than memory per client",
                          0, G_MAXUINT64, defaults::kMaxClientBytes, rw));
  g_object_class_install_property(
      gobject_class, PROP_CHUNK_TIMEOUT,
      g_param_spec_uint("chunk-timeout", "Chunk timeout",
                        "Milliseconds without input after which a chunk whose end the TS does not show (video PES "
                        "without a length, as muxers write for frames over 64 KiB) is sent anyway "
                        "(0 = wait for the next frame)",
                        0, defaults::kChunkTimeoutMaxMs, defaults::kChunkTimeoutMs, rw));
  g_object_class_install_property(
      gobject_class, PROP_WEB_ROOT,
      g_param_spec_string("web-root", "Web root",
                          "Directory whose files are served at / instead of the player compiled into the plugin "
                          "(NULL = built-in player). Nothing outside it can be reached: no .., no dotfiles, "
                          "symlinks must resolve inside. Starting fails if it is not a directory",
                          nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_SOFT_MAX_CLIENT_BYTES,
      g_param_spec_uint64("soft-max-client-bytes", "Soft max client bytes",
                          "Unsent bytes past which recover-policy acts on a client (0 = no soft limit)", 0, G_MAXUINT64,
                          defaults::kSoftMaxClientBytes, rw));
  g_object_class_install_property(
      gobject_class, PROP_MAX_CLIENT_LAG,
      g_param_spec_uint("max-client-lag", "Max client lag",
                        "Milliseconds the oldest unsent event of a client may wait before the client is "
                        "disconnected as slow (0 = no time limit; max-client-bytes still applies)",
                        0, G_MAXUINT, defaults::kMaxClientLagMs, rw));
  g_object_class_install_property(
      gobject_class, PROP_SOFT_MAX_CLIENT_LAG,
      g_param_spec_uint("soft-max-client-lag", "Soft max client lag",
                        "Milliseconds the oldest unsent event of a client may wait before recover-policy acts "
                        "(0 = no soft time limit)",
                        0, G_MAXUINT, defaults::kSoftMaxClientLagMs, rw));
  g_object_class_install_property(
      gobject_class, PROP_RECOVER_POLICY,
      g_param_spec_enum("recover-policy", "Recover policy",
                        "What to do with a client past its soft limit: skip it to a key chunk (keyframe), to the "
                        "next chunk (latest), or nothing (none); it is told with an event: gap",
                        GST_TYPE_SSE_SINK_RECOVER_POLICY, to_gst(defaults::kRecoverPolicy), rw));
  g_object_class_install_property(
      gobject_class, PROP_COMPRESSION,
      g_param_spec_enum("compression", "Compression",
                        "Content-Encoding of the event stream: gzip for each client whose Accept-Encoding allows it "
                        "(auto; every event is deflated once, on the streaming thread, and shared by all of them; "
                        "the backlog holds both forms), or never (none). The nchan publisher always posts plain "
                        "events",
                        GST_TYPE_SSE_SINK_COMPRESSION, to_gst(defaults::kCompression), rw));
  g_object_class_install_property(
      gobject_class, PROP_WRITE_TIMEOUT,
      g_param_spec_uint("write-timeout", "Write timeout",
                        "Milliseconds a client may take no data at all while data waits for it before it is "
                        "disconnected as slow (0 = never)",
                        0, G_MAXUINT, defaults::kWriteTimeoutMs, rw));
  g_object_class_install_property(
      gobject_class, PROP_BACKLOG_BYTES,
      g_param_spec_uint64("backlog-bytes", "Backlog bytes",
                          "Bytes of recent events kept for clients resuming with Last-Event-ID; the latest GOP "
                          "is kept for joins even past this, up to twice it",
                          0, G_MAXUINT64, defaults::kBacklogBytes, rw));
  g_object_class_install_property(
      gobject_class, PROP_BACKLOG_TIME,
      g_param_spec_uint("backlog-time", "Backlog time",
                        "Milliseconds of recent events kept for clients resuming with Last-Event-ID (0 = bounded "
                        "by backlog-bytes only)",
                        0, G_MAXUINT, defaults::kBacklogTimeMs, rw));
  g_object_class_install_property(
      gobject_class, PROP_REQUEST_KEYFRAME,
      g_param_spec_boolean("request-keyframe", "Request keyframe",
                           "Send a force-key-unit event upstream when a client joins, at most once per "
                           "keyframe-request-interval. Off by default: joins are served at once from the current "
                           "GOP, and extra keyframes cost bitrate; useful with long GOPs",
                           defaults::kRequestKeyframe, rw));
  g_object_class_install_property(
      gobject_class, PROP_KEYFRAME_REQUEST_INTERVAL,
      g_param_spec_uint("keyframe-request-interval", "Keyframe request interval",
                        "Minimum milliseconds between two keyframe requests (see request-keyframe)", 0, G_MAXUINT,
                        defaults::kKeyframeRequestIntervalMs, rw));
}

/* HTTPS, who may connect, and the counters. */
static void install_access_properties(GObjectClass *gobject_class) {
  g_object_class_install_property(
      gobject_class, PROP_TLS_CERTIFICATE_FILE,
      g_param_spec_string("tls-certificate-file", "TLS certificate file",
                          "PEM file with the server certificate (and chain); set it to serve HTTPS (NULL = plain "
                          "HTTP). The key is read from tls-key-file, or from this file when that is NULL",
                          nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_TLS_KEY_FILE,
      g_param_spec_string("tls-key-file", "TLS key file", "PEM file with the private key for tls-certificate-file",
                          nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_TLS_CERTIFICATE,
      g_param_spec_object("tls-certificate", "TLS certificate",
                          "A GTlsCertificate with its private key, instead of tls-certificate-file (NULL = none)",
                          G_TYPE_TLS_CERTIFICATE, rw));
  g_object_class_install_property(
      gobject_class, PROP_AUTH_TOKEN,
      g_param_spec_string("auth-token", "Auth token",
                          "Shared secret a client must present to get the stream: ?token=, cookie sse_token, or "
                          "Authorization: Bearer (NULL = no token). Compared in constant time. Write-only",
                          nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_BASIC_AUTH,
      g_param_spec_string("basic-auth", "Basic auth",
                          "\"user:password\" accepted with HTTP Basic authentication (NULL = none); with auth-token "
                          "also set, either admits. Write-only",
                          nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_MAX_CLIENTS_PER_ADDRESS,
      g_param_spec_uint("max-clients-per-address", "Max clients per address",
                        "Stream clients from one IP address at once; more get 429 Too Many Requests (0 = unlimited)", 0,
                        G_MAXUINT, defaults::kMaxClientsPerAddress, rw));
  g_object_class_install_property(
      gobject_class, PROP_REQUEST_TIMEOUT,
      g_param_spec_uint("request-timeout", "Request timeout",
                        "Milliseconds a connection has to send complete request headers (also between requests on "
                        "a kept-alive connection) before it is closed, against slowloris clients (0 = none)",
                        0, G_MAXUINT, defaults::kRequestTimeoutMs, rw));
  g_object_class_install_property(
      gobject_class, PROP_MAX_REQUEST_HEADER_BYTES,
      g_param_spec_uint("max-request-header-bytes", "Max request header bytes",
                        "Larger request headers get 431 Request Header Fields Too Large (0 = only libsoup's own "
                        "64 KiB limit)",
                        0, G_MAXUINT, defaults::kMaxRequestHeaderBytes, rw));
  g_object_class_install_property(
      gobject_class, PROP_METRICS_PATH,
      g_param_spec_string("metrics-path", "Metrics path",
                          "URL path of the Prometheus metrics of every stream on this port (NULL or empty = none); "
                          "read with metrics-token, else with auth-token/basic-auth. See docs/operations.md",
                          defaults::kMetricsPath, rw));
  g_object_class_install_property(
      gobject_class, PROP_METRICS_TOKEN,
      g_param_spec_string("metrics-token", "Metrics token",
                          "Token that alone opens metrics-path (?token=, cookie sse_token or Authorization: Bearer), "
                          "instead of auth-token/basic-auth (NULL = those). Write-only",
                          nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_MUX_PATH,
      g_param_spec_string("mux-path", "Mux path",
                          "URL path where this stream is served multiplexed with the other streams of this port "
                          "that have the same mux-path, several over one connection (?paths=/a,/b; NULL or empty "
                          "= not offered). See docs/protocol.md",
                          defaults::kMuxPath, rw));
  g_object_class_install_property(gobject_class, PROP_NUM_CLIENTS,
                                  g_param_spec_uint("num-clients", "Number of clients",
                                                    "Clients connected to the event stream now", 0, G_MAXUINT, 0, ro));
  g_object_class_install_property(
      gobject_class, PROP_BYTES_SERVED,
      g_param_spec_uint64("bytes-served", "Bytes served", "Body bytes written to all clients since the element started",
                          0, G_MAXUINT64, 0, ro));
}

/* Publishing to nchan, and what the stream carries. */
static void install_publish_properties(GObjectClass *gobject_class) {
  g_object_class_install_property(
      gobject_class, PROP_PUBLISH_URL,
      g_param_spec_string("publish-url", "Publish URL",
                          "Also publish every event to this nchan publisher endpoint (http:// or https://, e.g. "
                          "http://127.0.0.1:8081/pub/cam1), one POST per event over a kept-alive connection, so a "
                          "cluster of nginx nodes can serve the viewers. Several URLs separated by commas (nodes of "
                          "one cluster): when a POST fails the next is used. NULL = do not publish. See "
                          "docs/scaling.md",
                          nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_PUBLISH_AUTHORIZATION,
      g_param_spec_string("publish-authorization", "Publish authorization",
                          "Value of the Authorization header sent with every POST to publish-url, e.g. \"Bearer "
                          "secret\" (NULL = none). Write-only",
                          nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_PUBLISH_ONLY,
      g_param_spec_boolean("publish-only", "Publish only",
                           "Only publish to publish-url: open no port and serve no local clients",
                           defaults::kPublishOnly, rw));
  g_object_class_install_property(
      gobject_class, PROP_PUBLISH_BUFFER_BYTES,
      g_param_spec_uint64("publish-buffer-bytes", "Publish buffer bytes",
                          "Bytes of events kept while publish-url is slow or down; beyond that the oldest are dropped, "
                          "up to the next key event (0 = unbounded)",
                          0, G_MAXUINT64, defaults::kPublishBufferBytes, rw));
  g_object_class_install_property(
      gobject_class, PROP_PUBLISH_BUFFER_TIME,
      g_param_spec_uint("publish-buffer-time", "Publish buffer time",
                        "Milliseconds an event may wait to be published before it is dropped, up to the next key "
                        "event (0 = no age limit)",
                        0, G_MAXUINT, defaults::kPublishBufferTimeMs, rw));
  g_object_class_install_property(
      gobject_class, PROP_PUBLISH_STATS,
      g_param_spec_boxed("publish-stats", "Publish statistics",
                         "Publishing to publish-url: active, connected (the last POST succeeded), "
                         "messages-published, bytes-published, messages-dropped, failures (POSTs retried), outages, "
                         "failovers (switches to the next URL), queue-bytes, url (in use), last-error",
                         GST_TYPE_STRUCTURE, ro));
  /**
   * GstSseSink:stream-info:
   *
   * What the element sends, read from the stream itself: the PMT, the SPS of
   * each key frame (H.264, H.265) and the first ADTS header (AAC). The same
   * is in the `stream` event (docs/protocol.md). Notified when it changes,
   * from the streaming thread (or the server's or publisher's thread when
   * it sends a chunk that waited for its end, see chunk-pump.h); when the video is one most browsers cannot
   * decode, the element also posts a warning, and another one (once per
   * run) when a key frame after the first lacks its parameter sets
   * (missing-parameter-sets).
   */
  g_object_class_install_property(
      gobject_class, PROP_STREAM_INFO,
      g_param_spec_boxed("stream-info", "Stream info",
                         "What the stream carries, from its PMT, SPS and ADTS headers (NULL until known): codecs "
                         "(RFC 6381, e.g. avc1.64001F,mp4a.40.2), video-codec (h264, h265...), profile, level, "
                         "chroma-format (4:2:0...), bit-depth, width, height, framerate (when the SPS has timing), "
                         "interlaced, browser-safe (4:2:0 8-bit progressive H.264/H.265), audio-codec, audio-codecs, "
                         "rate, channels, missing-parameter-sets (e.g. VPS/SPS/PPS, when a key frame after the first "
                         "lacks them: fix with h264parse/h265parse config-interval=-1), description (one line for "
                         "people). Notified when it changes",
                         GST_TYPE_STRUCTURE, ro));
}

/* GET <path>/snapshot.jpg (snapshot.h, docs/operations.md). */
static void install_snapshot_properties(GObjectClass *gobject_class) {
  g_object_class_install_property(
      gobject_class, PROP_SNAPSHOT_DECODER,
      g_param_spec_string("snapshot-decoder", "Snapshot decoder",
                          "Decoder element for GET <path>/snapshot.jpg, e.g. avdec_h264 or openh264dec (NULL = the "
                          "highest-ranked installed decoder for the stream's codec). Not installed: the snapshot "
                          "answers 503 and the element posts one warning",
                          nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_SNAPSHOT_KEEP_WARM,
      g_param_spec_boolean("snapshot-keep-warm", "Snapshot keep warm",
                           "Decode every key frame for <path>/snapshot.jpg whether or not anyone asks, so even the "
                           "first request is answered from the cache (FALSE = decode only while snapshots are asked "
                           "for, and nothing at all when nobody asks)",
                           FALSE, rw));
  g_object_class_install_property(
      gobject_class, PROP_SNAPSHOT_IDLE_TIMEOUT,
      g_param_spec_uint("snapshot-idle-timeout", "Snapshot idle timeout",
                        "Milliseconds after the last request for <path>/snapshot.jpg during which each new key frame "
                        "is decoded as it comes; then the decoder and its cache are torn down",
                        100, 3600 * 1000, SnapshotConfig{}.idle_ms, rw));
  g_object_class_install_property(
      gobject_class, PROP_SNAPSHOT_STATS,
      g_param_spec_boxed("snapshot-stats", "Snapshot statistics",
                         "Snapshots this run: requests, from-cache (answered at once), waited (for a decode or an "
                         "encode), decodes (key frames decoded), encodes (JPEGs made), unavailable (503), decoder "
                         "(the element used)",
                         GST_TYPE_STRUCTURE, ro));
}

void gst_sse_sink_install_properties(GObjectClass *gobject_class) {
  install_serving_properties(gobject_class);
  install_client_properties(gobject_class);
  install_access_properties(gobject_class);
  gst_sse_sink_install_token_properties(gobject_class);
  install_publish_properties(gobject_class);
  install_snapshot_properties(gobject_class);
}

static std::string string_of(const GValue *value) {
  const gchar *str = g_value_get_string(value);
  return str ? str : "";
}

static void set_string_or_null(GValue *value, const std::string &s) {
  g_value_set_string(value, s.empty() ? nullptr : s.c_str());
}

bool gst_sse_sink_settings_set(Settings &s, guint prop_id, const GValue *value) {
  StreamConfig &st = s.stream;
  switch (prop_id) {
    case PROP_ADDRESS: {
      const std::string str = string_of(value);
      s.address = str.empty() ? defaults::kAddress : str;
      break;
    }
    case PROP_PORT: s.port = g_value_get_int(value); break;
    case PROP_PATH: {
      /* Kept as given: start() refuses one without its leading '/'. */
      const gchar *str = g_value_get_string(value);
      st.path = str ? str : defaults::kPath;
      break;
    }
    case PROP_MAX_CLIENTS: st.max_clients = g_value_get_uint(value); break;
    case PROP_KEEPALIVE_INTERVAL: st.keepalive_ms = g_value_get_uint(value) * 1000; break;
    case PROP_KEEPALIVE_INTERVAL_MS: st.keepalive_ms = g_value_get_uint(value); break;
    case PROP_RETRY: st.retry_ms = g_value_get_uint(value); break;
    case PROP_CORS_ORIGIN: st.cors_origin = string_of(value); break;
    case PROP_MAX_CLIENT_BYTES: st.max_client_bytes = g_value_get_uint64(value); break;
    case PROP_CHUNK_TIMEOUT: s.chunk_timeout_ms = g_value_get_uint(value); break;
    case PROP_WEB_ROOT: st.web_root = string_of(value); break;
    case PROP_SOFT_MAX_CLIENT_BYTES: st.soft_max_client_bytes = g_value_get_uint64(value); break;
    case PROP_MAX_CLIENT_LAG: st.max_client_lag_ms = g_value_get_uint(value); break;
    case PROP_SOFT_MAX_CLIENT_LAG: st.soft_max_client_lag_ms = g_value_get_uint(value); break;
    case PROP_COMPRESSION: st.compression = to_core(static_cast<GstSseSinkCompression>(g_value_get_enum(value))); break;
    case PROP_RECOVER_POLICY:
      st.recover_policy = to_core(static_cast<GstSseSinkRecoverPolicy>(g_value_get_enum(value)));
      break;
    case PROP_WRITE_TIMEOUT: st.write_timeout_ms = g_value_get_uint(value); break;
    case PROP_BACKLOG_BYTES: st.backlog_bytes = g_value_get_uint64(value); break;
    case PROP_BACKLOG_TIME: st.backlog_time_ms = g_value_get_uint(value); break;
    case PROP_REQUEST_KEYFRAME: st.request_keyframe = g_value_get_boolean(value); break;
    case PROP_KEYFRAME_REQUEST_INTERVAL: st.keyframe_request_interval_ms = g_value_get_uint(value); break;
    case PROP_TLS_CERTIFICATE_FILE: s.server.cert_file = string_of(value); break;
    case PROP_TLS_KEY_FILE: s.server.key_file = string_of(value); break;
    case PROP_TLS_CERTIFICATE: {
      auto *cert = static_cast<GTlsCertificate *>(g_value_dup_object(value));
      if (cert)
        s.tls_certificate.reset(cert, [](GTlsCertificate *c) { g_object_unref(c); });
      else
        s.tls_certificate.reset();
      break;
    }
    case PROP_AUTH_TOKEN: st.access.token = string_of(value); break;
    case PROP_BASIC_AUTH: st.access.basic_auth = string_of(value); break;
    case PROP_MAX_CLIENTS_PER_ADDRESS: st.max_clients_per_address = g_value_get_uint(value); break;
    case PROP_REQUEST_TIMEOUT: s.server.request_timeout_ms = g_value_get_uint(value); break;
    case PROP_MAX_REQUEST_HEADER_BYTES: st.max_request_header_bytes = g_value_get_uint(value); break;
    case PROP_METRICS_PATH: st.metrics_path = string_of(value); break;
    case PROP_METRICS_TOKEN: st.metrics_token = string_of(value); break;
    case PROP_MUX_PATH: st.mux_path = string_of(value); break;
    case PROP_PUBLISH_URL: s.publisher.url = string_of(value); break;
    case PROP_PUBLISH_AUTHORIZATION: s.publisher.authorization = string_of(value); break;
    case PROP_PUBLISH_ONLY: s.publish_only = g_value_get_boolean(value); break;
    case PROP_PUBLISH_BUFFER_BYTES: s.publisher.buffer_bytes = g_value_get_uint64(value); break;
    case PROP_PUBLISH_BUFFER_TIME: s.publisher.buffer_time_ms = g_value_get_uint(value); break;
    case PROP_SNAPSHOT_DECODER: s.snapshot.decoder = string_of(value); break;
    case PROP_SNAPSHOT_KEEP_WARM: s.snapshot.keep_warm = g_value_get_boolean(value); break;
    case PROP_SNAPSHOT_IDLE_TIMEOUT: s.snapshot.idle_ms = g_value_get_uint(value); break;
    default: return gst_sse_sink_token_settings_set(s, prop_id, value);
  }
  return true;
}

bool gst_sse_sink_settings_get(const Settings &s, guint prop_id, GValue *value) {
  const StreamConfig &st = s.stream;
  switch (prop_id) {
    case PROP_ADDRESS: g_value_set_string(value, s.address.c_str()); break;
    case PROP_PORT: g_value_set_int(value, s.port); break;
    case PROP_PATH: g_value_set_string(value, st.path.c_str()); break;
    case PROP_MAX_CLIENTS: g_value_set_uint(value, st.max_clients); break;
    case PROP_KEEPALIVE_INTERVAL: g_value_set_uint(value, ms_to_s(st.keepalive_ms)); break;
    case PROP_KEEPALIVE_INTERVAL_MS: g_value_set_uint(value, st.keepalive_ms); break;
    case PROP_RETRY: g_value_set_uint(value, st.retry_ms); break;
    case PROP_CORS_ORIGIN: set_string_or_null(value, st.cors_origin); break;
    case PROP_MAX_CLIENT_BYTES: g_value_set_uint64(value, st.max_client_bytes); break;
    case PROP_CHUNK_TIMEOUT: g_value_set_uint(value, s.chunk_timeout_ms); break;
    case PROP_WEB_ROOT: set_string_or_null(value, st.web_root); break;
    case PROP_SOFT_MAX_CLIENT_BYTES: g_value_set_uint64(value, st.soft_max_client_bytes); break;
    case PROP_MAX_CLIENT_LAG: g_value_set_uint(value, st.max_client_lag_ms); break;
    case PROP_SOFT_MAX_CLIENT_LAG: g_value_set_uint(value, st.soft_max_client_lag_ms); break;
    case PROP_RECOVER_POLICY: g_value_set_enum(value, to_gst(st.recover_policy)); break;
    case PROP_COMPRESSION: g_value_set_enum(value, to_gst(st.compression)); break;
    case PROP_WRITE_TIMEOUT: g_value_set_uint(value, st.write_timeout_ms); break;
    case PROP_BACKLOG_BYTES: g_value_set_uint64(value, st.backlog_bytes); break;
    case PROP_BACKLOG_TIME: g_value_set_uint(value, st.backlog_time_ms); break;
    case PROP_REQUEST_KEYFRAME: g_value_set_boolean(value, st.request_keyframe); break;
    case PROP_KEYFRAME_REQUEST_INTERVAL: g_value_set_uint(value, st.keyframe_request_interval_ms); break;
    case PROP_TLS_CERTIFICATE_FILE: set_string_or_null(value, s.server.cert_file); break;
    case PROP_TLS_KEY_FILE: set_string_or_null(value, s.server.key_file); break;
    case PROP_TLS_CERTIFICATE: g_value_set_object(value, s.tls_certificate.get()); break;
    /* Secrets are write-only: reading them back gives NULL. */
    case PROP_AUTH_TOKEN:
    case PROP_BASIC_AUTH:
    case PROP_PUBLISH_AUTHORIZATION: g_value_set_string(value, nullptr); break;
    case PROP_MAX_CLIENTS_PER_ADDRESS: g_value_set_uint(value, st.max_clients_per_address); break;
    case PROP_REQUEST_TIMEOUT: g_value_set_uint(value, s.server.request_timeout_ms); break;
    case PROP_MAX_REQUEST_HEADER_BYTES: g_value_set_uint(value, st.max_request_header_bytes); break;
    case PROP_METRICS_PATH: set_string_or_null(value, st.metrics_path); break;
    case PROP_METRICS_TOKEN: g_value_set_string(value, nullptr); break; /* write-only */
    case PROP_MUX_PATH: set_string_or_null(value, st.mux_path); break;
    case PROP_PUBLISH_URL: set_string_or_null(value, s.publisher.url); break;
    case PROP_PUBLISH_ONLY: g_value_set_boolean(value, s.publish_only); break;
    case PROP_PUBLISH_BUFFER_BYTES: g_value_set_uint64(value, s.publisher.buffer_bytes); break;
    case PROP_PUBLISH_BUFFER_TIME: g_value_set_uint(value, s.publisher.buffer_time_ms); break;
    case PROP_SNAPSHOT_DECODER: set_string_or_null(value, s.snapshot.decoder); break;
    case PROP_SNAPSHOT_KEEP_WARM: g_value_set_boolean(value, s.snapshot.keep_warm); break;
    case PROP_SNAPSHOT_IDLE_TIMEOUT: g_value_set_uint(value, s.snapshot.idle_ms); break;
    default: return gst_sse_sink_token_settings_get(s, prop_id, value);
  }
  return true;
}
