/* ssesink settings that are spelled two ways: keepalive-interval (seconds)
 * and keepalive-interval-ms set one value, the last one set wins, and the
 * comment goes out at the millisecond interval on a real connection; and
 * port 0 on an address that names several (localhost: ::1 and 127.0.0.1)
 * is one port that is the element's on every one of them. */
#include <gio/gio.h>
#include <gst/check/gstcheck.h>
#include <sys/resource.h>

#include <string>
#include <vector>

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

/* Sockets bound (not listening) on @ip port 0: they hold @n of its free
 * ports, as other programs' sockets do. */
static std::vector<GSocket *> hold_ports(const char *ip, int n) {
  std::vector<GSocket *> held;
  GInetAddress *ia = g_inet_address_new_from_string(ip);
  for (int i = 0; i < n; i++) {
    GSocket *sock = g_socket_new(g_inet_address_get_family(ia), G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr);
    GSocketAddress *sa = g_inet_socket_address_new(ia, 0);
    if (sock && g_socket_bind(sock, sa, FALSE, nullptr))
      held.push_back(sock);
    else if (sock)
      g_object_unref(sock);
    g_object_unref(sa);
  }
  g_object_unref(ia);
  return held;
}

static bool accepts(const char *ip, int port) {
  GSocketClient *client = g_socket_client_new();
  g_socket_client_set_timeout(client, 30); /* a bound for a broken server, not a timing check */
  GSocketConnection *conn = g_socket_client_connect_to_host(client, ip, static_cast<guint16>(port), nullptr, nullptr);
  if (conn)
    g_object_unref(conn);
  g_object_unref(client);
  return conn != nullptr;
}

/* port=0 on localhost: the port the first address got may be taken on the
 * other (each has its own free ports); ssesink then takes another port
 * rather than serve on one address only, where a client of the other one
 * reaches some other program's server (or none). Here the test's own bound
 * sockets hold a fifth of the free ports on each address, so that most
 * runs of 30 starts would meet a taken port at least once. */
GST_START_TEST(test_port_0_is_the_same_on_every_address) {
  GResolver *resolver = g_resolver_get_default();
  GList *addrs = g_resolver_lookup_by_name(resolver, "localhost", nullptr, nullptr);
  g_object_unref(resolver);
  bool v4 = false, v6 = false;
  for (GList *l = addrs; l; l = l->next) {
    v4 = v4 || g_inet_address_get_family(G_INET_ADDRESS(l->data)) == G_SOCKET_FAMILY_IPV4;
    v6 = v6 || g_inet_address_get_family(G_INET_ADDRESS(l->data)) == G_SOCKET_FAMILY_IPV6;
  }
  g_resolver_free_addresses(addrs);
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 8192 && rl.rlim_max > rl.rlim_cur) {
    rl.rlim_cur = rl.rlim_max < 8192 ? rl.rlim_max : 8192;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  std::vector<GSocket *> held = hold_ports("127.0.0.1", 3000);
  if (v6) {
    std::vector<GSocket *> held6 = hold_ports("::1", 3000);
    held.insert(held.end(), held6.begin(), held6.end());
  }
  fail_unless(held.size() > 1000, "could only hold %zu ports", held.size());
  for (int i = 0; i < 30; i++) {
    GstElement *sink = gst_element_factory_make("ssesink", nullptr);
    g_object_set(sink, "port", 0, nullptr); /* address: localhost, the default */
    fail_unless(gst_element_set_state(sink, GST_STATE_PAUSED) != GST_STATE_CHANGE_FAILURE);
    int port = 0;
    g_object_get(sink, "current-port", &port, nullptr);
    fail_unless(port > 0);
    if (v4)
      fail_unless(accepts("127.0.0.1", port), "start %d: nothing listens on 127.0.0.1 port %d", i, port);
    if (v6)
      fail_unless(accepts("::1", port), "start %d: nothing listens on ::1 port %d", i, port);
    gst_element_set_state(sink, GST_STATE_NULL);
    gst_object_unref(sink);
  }
  for (GSocket *sock : held)
    g_object_unref(sock);
}
GST_END_TEST;

static Suite *ssesink_settings_suite() {
  Suite *s = suite_create("ssesink-settings");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_keepalive_spellings);
  tcase_add_test(tc, test_keepalive_ms_on_the_wire);
  tcase_add_test(tc, test_port_0_is_the_same_on_every_address);
  return s;
}

GST_CHECK_MAIN(ssesink_settings);
