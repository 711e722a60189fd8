/* ssesink settings that are spelled two ways: keepalive-interval (seconds)
 * and keepalive-interval-ms set one value, the last one set wins, and the
 * comment goes out at the millisecond interval on a real connection. */
#include <gio/gio.h>
#include <gst/check/gstcheck.h>

#include <string>

#include "test-helpers.h"

static void count_notify(GObject *, GParamSpec *pspec, gpointer data) {
  auto *names = static_cast<std::string *>(data);
  *names += g_param_spec_get_name(pspec);
  *names += ";";
}

GST_START_TEST(test_keepalive_spellings) {
  GstElement *sink = gst_element_factory_make("ssesink", nullptr);
  fail_unless(sink != nullptr);
  guint s = 0, ms = 0;
  g_object_get(sink, "keepalive-interval", &s, "keepalive-interval-ms", &ms, nullptr);
  fail_unless_equals_int(s, 15);
  fail_unless_equals_int(ms, 15000);

  std::string notified;
  g_signal_connect(sink, "notify", G_CALLBACK(count_notify), &notified);
  g_object_set(sink, "keepalive-interval", 3u, nullptr);
  g_object_get(sink, "keepalive-interval-ms", &ms, nullptr);
  fail_unless_equals_int(ms, 3000);
  fail_unless(notified.find("keepalive-interval-ms;") != std::string::npos, "notified: %s", notified.c_str());

  /* The one set last wins; seconds read rounded up, so non-zero stays on. */
  g_object_set(sink, "keepalive-interval-ms", 1500u, nullptr);
  g_object_get(sink, "keepalive-interval", &s, nullptr);
  fail_unless_equals_int(s, 2);
  g_object_set(sink, "keepalive-interval-ms", 1u, nullptr);
  g_object_get(sink, "keepalive-interval", &s, nullptr);
  fail_unless_equals_int(s, 1);
  g_object_set(sink, "keepalive-interval-ms", 0u, nullptr);
  g_object_get(sink, "keepalive-interval", &s, nullptr);
  fail_unless_equals_int(s, 0);
  g_object_set(sink, "keepalive-interval", 7u, nullptr);
  g_object_get(sink, "keepalive-interval-ms", &ms, nullptr);
  fail_unless_equals_int(ms, 7000);
  gst_object_unref(sink);
}
GST_END_TEST;

/* With no media at all, a connected client gets `: keepalive` once
 * keepalive-interval-ms passed without data; keepalive-interval, set before
 * it, would have waited an hour. */
GST_START_TEST(test_keepalive_ms_on_the_wire) {
  Pipe p(
      "appsrc is-live=true caps=video/mpegts,systemstream=true,packetsize=188 ! "
      "ssesink name=sink port=0 address=127.0.0.1 keepalive-interval=3600 keepalive-interval-ms=1000");
  p.play();

  GSocketClient *client = g_socket_client_new();
  g_socket_client_set_timeout(client, 30); /* a bound for a broken server, not a timing check */
  GError *err = nullptr;
  GSocketConnection *conn = g_socket_client_connect_to_host(client, "127.0.0.1", p.port, nullptr, &err);
  fail_unless(conn != nullptr, "connect: %s", err ? err->message : "?");
  const std::string req = "GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";
  GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
  fail_unless(g_output_stream_write_all(out, req.data(), req.size(), nullptr, nullptr, &err), "write");

  GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
  std::string got;
  char buf[4096];
  while (got.find(": keepalive\n") == std::string::npos) {
    const gssize n = g_input_stream_read(in, buf, sizeof buf, nullptr, &err);
    fail_unless(n > 0, "no keepalive; read %s after: %s", err ? err->message : "EOF", got.c_str());
    got.append(buf, static_cast<size_t>(n));
  }
  fail_unless(got.rfind("HTTP/1.1 200", 0) == 0, "%s", got.c_str());

  g_object_unref(conn);
  g_object_unref(client);
  p.release();
}
GST_END_TEST;

static Suite *ssesink_settings_suite() {
  Suite *s = suite_create("ssesink-settings");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_keepalive_spellings);
  tcase_add_test(tc, test_keepalive_ms_on_the_wire);
  return s;
}

GST_CHECK_MAIN(ssesink_settings);
