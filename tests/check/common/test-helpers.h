/* Shared helpers of the element tests: pipelines with ssesink on port 0,
 * a recorder for client signals, and checks on received media events. */
#pragma once

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "sse-client.h"

inline namespace test_helpers {

/* fail_unless_equals_string() for a std::string result: the macro reads its
 * arguments after the statement that made them, so a temporary's c_str()
 * would be gone by then (ASan: stack-use-after-scope). */
#define expect_string(got, want)                     \
  do {                                               \
    const std::string got_ = (got);                  \
    fail_unless_equals_string(got_.c_str(), (want)); \
  } while (0)

/* A noisy picture keeps x264 at its full 2 Mbit/s, so socket buffers fill
 * in seconds; @sink_props are appended to ssesink's. The test pipelines
 * send 4:2:0 8-bit H.264, as browsers need (without format=I420, x264enc
 * would negotiate High 4:4:4 and ssesink would warn). */
inline std::string noisy_pipeline(int key_int, const std::string &sink_props) {
  return "videotestsrc is-live=true pattern=snow ! video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
         "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=" +
         std::to_string(key_int) + " ! mpegtsmux ! ssesink name=sink port=0 " + sink_props;
}

/* A self-signed certificate for localhost and 127.0.0.1 in @dir (cert.pem,
 * key.pem), made with openssl; false when it could not. */
inline bool make_cert(const std::string &dir) {
  const std::string key = dir + "/key.pem", cert = dir + "/cert.pem";
  const gchar *argv[] = {"openssl",  "req",           "-x509",   "-newkey",
                         "rsa:2048", "-nodes",        "-keyout", key.c_str(),
                         "-out",     cert.c_str(),    "-days",   "2",
                         "-subj",    "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                         nullptr};
  gint status = -1;
  return g_spawn_sync(
             nullptr, const_cast<gchar **>(argv), nullptr,
             static_cast<GSpawnFlags>(G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL),
             nullptr, nullptr, nullptr, nullptr, &status, nullptr) &&
         status == 0;
}

inline const char *kVideo =
    "videotestsrc is-live=true pattern=ball ! video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
    "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=%d ! mpegtsmux ! ssesink name=sink %s";

/* Client signals, recorded from the server thread. */
struct Recorder {
  std::mutex m;
  std::condition_variable cv;
  std::vector<guint> added;
  std::map<guint, int> removed; /* id -> reason */

  static void on_added(GstElement *, guint id, const gchar *, gpointer d) {
    auto *r = static_cast<Recorder *>(d);
    std::lock_guard<std::mutex> l(r->m);
    r->added.push_back(id);
    r->cv.notify_all();
  }
  static void on_removed(GstElement *, guint id, gint reason, gpointer d) {
    auto *r = static_cast<Recorder *>(d);
    std::lock_guard<std::mutex> l(r->m);
    r->removed[id] = reason;
    r->cv.notify_all();
  }
  void attach(GstElement *sink) {
    g_signal_connect(sink, "client-added", G_CALLBACK(on_added), this);
    g_signal_connect(sink, "client-removed", G_CALLBACK(on_removed), this);
  }
  template <typename Pred>
  bool wait(Pred p, int seconds = 20) {
    std::unique_lock<std::mutex> l(m);
    return cv.wait_for(l, std::chrono::seconds(seconds), p);
  }
};

struct Pipe {
  GstElement *pipeline = nullptr;
  GstElement *sink = nullptr;
  int port = 0;

  Pipe(const std::string &desc) {
    GError *err = nullptr;
    pipeline = gst_parse_launch(desc.c_str(), &err);
    fail_unless(pipeline != nullptr, "parse: %s", err ? err->message : "?");
    sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
    fail_unless(sink != nullptr);
  }
  static Pipe video(int key_int = 30, const std::string &props = "port=0") {
    return Pipe(g_strdup_printf(kVideo, key_int, props.c_str()));
  }
  void play() {
    fail_if(gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
    g_object_get(sink, "current-port", &port, nullptr);
    fail_unless(port > 0);
  }
  void stop() {
    if (pipeline)
      gst_element_set_state(pipeline, GST_STATE_NULL);
  }
  void release() {
    stop();
    if (sink)
      gst_object_unref(sink);
    if (pipeline)
      gst_object_unref(pipeline);
    sink = pipeline = nullptr;
  }
};

inline uint16_t pid_of(const std::vector<uint8_t> &ts, size_t pkt) {
  return static_cast<uint16_t>(((ts[pkt * 188 + 1] & 0x1f) << 8) | ts[pkt * 188 + 2]);
}

/* Reads @n media events, checking the fields on the way. */
inline std::vector<MediaFields> read_media(SseClient &c, int n) {
  std::vector<MediaFields> out;
  SseEvent ev;
  while (static_cast<int>(out.size()) < n) {
    fail_unless(c.next_media(&ev), "stream ended early: %s", c.error().c_str());
    MediaFields f;
    std::string err;
    fail_unless(parse_media(ev.data, &f, &err), "bad media JSON: %s", err.c_str());
    fail_unless(ev.id == std::to_string(f.seq), "id %s != seq %" G_GUINT64_FORMAT, ev.id.c_str(), f.seq);
    fail_unless(!f.ts_bytes.empty() && f.ts_bytes.size() % 188 == 0, "chunk of %zu bytes", f.ts_bytes.size());
    if (!out.empty())
      fail_unless(f.seq == out.back().seq + 1, "seq %" G_GUINT64_FORMAT " after %" G_GUINT64_FORMAT, f.seq,
                  out.back().seq);
    out.push_back(std::move(f));
  }
  return out;
}

inline std::vector<uint8_t> concat(const std::vector<MediaFields> &events) {
  std::vector<uint8_t> ts;
  for (auto &e : events)
    ts.insert(ts.end(), e.ts_bytes.begin(), e.ts_bytes.end());
  return ts;
}

/* @events decode without an ffmpeg error, starting with an I frame. */
inline void expect_decodable(const std::vector<MediaFields> &events) {
  int status = 0;
  const std::string errors = ffmpeg_decode_errors(concat(events), &status);
  fail_unless(status == 0 && errors.empty(), "ffmpeg: %d: %s", status, errors.c_str());
  const std::string types = ffprobe_pict_types(concat(events));
  fail_unless(!types.empty() && types[0] == 'I', "first frame %s", types.substr(0, 1).c_str());
}

inline int free_port() {
  GSocket *s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr);
  GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  GSocketAddress *sa = g_inet_socket_address_new(lo, 0);
  fail_unless(g_socket_bind(s, sa, TRUE, nullptr));
  GSocketAddress *local = g_socket_get_local_address(s, nullptr);
  int port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
  g_object_unref(local);
  g_object_unref(sa);
  g_object_unref(lo);
  g_object_unref(s);
  return port;
}

}  // namespace test_helpers

/* GET on the server with libsoup; returns the status, fills @body and @type. */
/* A raw client on 127.0.0.1:@port with a tiny receive buffer that sends
 * @request and then reads only when the test says so. */
inline GSocket *raw_client(int port, const char *request) {
  GSocket *s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr);
  g_socket_set_option(s, SOL_SOCKET, SO_RCVBUF, 4096, nullptr);
  GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  GSocketAddress *sa = g_inet_socket_address_new(lo, static_cast<guint16>(port));
  fail_unless(g_socket_connect(s, sa, nullptr, nullptr));
  const gssize n = static_cast<gssize>(strlen(request));
  if (n > 0)
    fail_unless(g_socket_send(s, request, static_cast<gsize>(n), nullptr, nullptr) == n);
  g_object_unref(sa);
  g_object_unref(lo);
  return s;
}

/* The text of the first ERROR message on @pipeline's bus: "message | debug". */
inline std::string bus_error_text(GstElement *pipeline) {
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered(bus, 5 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless(msg != nullptr, "no error on the bus");
  GError *err = nullptr;
  gchar *dbg = nullptr;
  gst_message_parse_error(msg, &err, &dbg);
  fail_unless(err->domain == GST_RESOURCE_ERROR, "not a RESOURCE error: %s", err->message);
  const std::string text = std::string(err->message) + " | " + (dbg ? dbg : "");
  g_error_free(err);
  g_free(dbg);
  gst_message_unref(msg);
  gst_object_unref(bus);
  return text;
}

inline unsigned http_get(int port, const std::string &path, std::string *body, std::string *type = nullptr) {
  SoupSession *session = soup_session_new_with_options("timeout", 10, nullptr);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + path;
  SoupMessage *msg = soup_message_new("GET", url.c_str());
  if (!msg) {
    g_object_unref(session);
    return 0;
  }
  GBytes *bytes = soup_session_send_and_read(session, msg, nullptr, nullptr);
  const unsigned status = soup_message_get_status(msg);
  if (bytes) {
    body->assign(static_cast<const char *>(g_bytes_get_data(bytes, nullptr)), g_bytes_get_size(bytes));
    g_bytes_unref(bytes);
  }
  if (type) {
    const char *t = soup_message_headers_get_content_type(soup_message_get_response_headers(msg), nullptr);
    *type = t ? t : "";
  }
  g_object_unref(msg);
  g_object_unref(session);
  return status;
}
