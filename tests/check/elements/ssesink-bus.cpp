/* What ssesink tells an application without signals, and what it refuses
 * to start with: the ssesink-client-added/-removed element messages on the
 * bus (real clients on loopback), the get-client-ids action signal, the
 * counters after stop, and start() failing on a path without its '/' or a
 * web-root that is not a directory. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

#include <algorithm>
#include <string>
#include <vector>

#include "test-helpers.h"

/* The next element message named @name on @bus (others are skipped), or
 * nullptr after @seconds (0: only what is on the bus now). */
static GstStructure *pop_element(GstBus *bus, const char *name, int seconds = 20) {
  const gint64 deadline = g_get_monotonic_time() + seconds * G_USEC_PER_SEC;
  for (;;) {
    const gint64 left = std::max<gint64>(deadline - g_get_monotonic_time(), 0);
    GstMessage *msg = gst_bus_timed_pop_filtered(bus, static_cast<GstClockTime>(left) * GST_USECOND,
                                                 static_cast<GstMessageType>(GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR));
    if (!msg)
      return nullptr; /* timed out, or (seconds 0) nothing more queued */
    fail_if(GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR, "error on the bus");
    const GstStructure *s = gst_message_get_structure(msg);
    GstStructure *copy = s && gst_structure_has_name(s, name) ? gst_structure_copy(s) : nullptr;
    gst_message_unref(msg);
    if (copy)
      return copy;
  }
}

static std::vector<guint> client_ids(GstElement *sink) {
  GValueArray *array = nullptr;
  g_signal_emit_by_name(sink, "get-client-ids", &array);
  fail_unless(array != nullptr);
  std::vector<guint> ids;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  for (guint i = 0; i < array->n_values; i++)
    ids.push_back(g_value_get_uint(g_value_array_get_nth(array, i)));
  g_value_array_free(array);
  G_GNUC_END_IGNORE_DEPRECATIONS
  return ids;
}

/* GstSseSinkClientRemoveReason's values (gstssesink.h). */
constexpr int kClosed = 0, kShutdown = 3;

static guint uint_field(const GstStructure *s, const char *field) {
  guint v = 0;
  fail_unless(gst_structure_get_uint(s, field, &v), "no %s in %" GST_PTR_FORMAT, field, s);
  return v;
}

static std::string string_field(const GstStructure *s, const char *field) {
  const gchar *v = gst_structure_get_string(s, field);
  fail_unless(v != nullptr, "no %s in %" GST_PTR_FORMAT, field, s);
  return v;
}

static void check_removed(const GstStructure *s, guint id, const char *reason, int code) {
  fail_unless_equals_int(uint_field(s, "id"), id);
  expect_string(string_field(s, "address"), "127.0.0.1");
  expect_string(string_field(s, "path"), "/live/a");
  expect_string(string_field(s, "reason"), reason);
  gint got = -1;
  fail_unless(gst_structure_get_enum(s, "reason-code", g_type_from_name("GstSseSinkClientRemoveReason"), &got));
  fail_unless_equals_int(got, code);
}

GST_START_TEST(test_client_messages_and_ids) {
  Pipe p = Pipe::video(30, "port=0 address=127.0.0.1 path=/live/a");
  fail_unless(client_ids(p.sink).empty(), "ids before start");
  GstBus *bus = gst_element_get_bus(p.pipeline);
  p.play();

  auto *a = new SseClient(p.port, "/live/a");
  read_media(*a, 1);
  GstStructure *added = pop_element(bus, "ssesink-client-added");
  fail_unless(added != nullptr, "no ssesink-client-added");
  const guint id_a = uint_field(added, "id");
  expect_string(string_field(added, "address"), "127.0.0.1");
  expect_string(string_field(added, "path"), "/live/a");
  gst_structure_free(added);

  SseClient b(p.port, "/live/a");
  read_media(b, 1);
  added = pop_element(bus, "ssesink-client-added");
  fail_unless(added != nullptr, "no second ssesink-client-added");
  const guint id_b = uint_field(added, "id");
  gst_structure_free(added);
  fail_unless(id_b > id_a);
  fail_unless(client_ids(p.sink) == (std::vector<guint>{id_a, id_b}));

  /* The first client hangs up: reason closed, and its id is gone. */
  delete a;
  GstStructure *removed = pop_element(bus, "ssesink-client-removed");
  fail_unless(removed != nullptr, "no ssesink-client-removed");
  check_removed(removed, id_a, "closed", kClosed);
  gst_structure_free(removed);
  fail_unless(client_ids(p.sink) == (std::vector<guint>{id_b}));

  /* stop() (READY to NULL, where a pipeline flushes its bus unless told
   * not to): the message is posted before the state change returns. */
  read_media(b, 5);
  gst_pipeline_set_auto_flush_bus(GST_PIPELINE(p.pipeline), FALSE);
  fail_unless(gst_element_set_state(p.pipeline, GST_STATE_NULL) == GST_STATE_CHANGE_SUCCESS);
  removed = pop_element(bus, "ssesink-client-removed", 0);
  fail_unless(removed != nullptr, "no ssesink-client-removed at stop");
  check_removed(removed, id_b, "shutdown", kShutdown);
  gst_structure_free(removed);
  fail_unless(client_ids(p.sink).empty(), "ids after stop");

  /* After stop: bytes-served keeps the run's total, num-clients is 0. */
  guint64 served = 0, again = 0;
  guint clients = 1;
  g_object_get(p.sink, "bytes-served", &served, "num-clients", &clients, nullptr);
  fail_unless(served > 0, "bytes-served reset at stop");
  fail_unless_equals_int(clients, 0);
  g_object_get(p.sink, "bytes-served", &again, nullptr);
  fail_unless_equals_uint64(again, served);
  /* A new run counts from 0 (nobody connected yet). */
  fail_unless(gst_element_set_state(p.sink, GST_STATE_READY) == GST_STATE_CHANGE_SUCCESS);
  g_object_get(p.sink, "bytes-served", &again, nullptr);
  fail_unless_equals_uint64(again, 0);

  b.close();
  gst_object_unref(bus);
  p.release();
}
GST_END_TEST;

/* The ERROR start() posts for @props, and that the state change failed. */
static std::string start_error(const std::string &props) {
  Pipe p = Pipe::video(30, "port=0 address=127.0.0.1 " + props);
  fail_unless(gst_element_set_state(p.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE, "started with %s",
              props.c_str());
  const std::string text = bus_error_text(p.pipeline);
  p.release();
  return text;
}

GST_START_TEST(test_path_without_slash_fails_start) {
  GstElement *sink = gst_element_factory_make("ssesink", nullptr);
  g_object_set(sink, "path", "stream", nullptr);
  gchar *path = nullptr;
  g_object_get(sink, "path", &path, nullptr);
  fail_unless_equals_string(path, "stream"); /* kept as given: start() says what is wrong */
  g_free(path);
  gst_object_unref(sink);

  const std::string text = start_error("path=stream");
  fail_unless(text.find("Invalid path \"stream\": it must start with '/'") != std::string::npos, "%s", text.c_str());
}
GST_END_TEST;

GST_START_TEST(test_bad_web_root_fails_start) {
  gchar *dir = g_dir_make_tmp("ssesink-bus-XXXXXX", nullptr);
  fail_unless(dir != nullptr);
  const std::string missing = std::string(dir) + "/missing";
  const std::string file = std::string(dir) + "/index.html";
  fail_unless(g_file_set_contents(file.c_str(), "<p>hi</p>", -1, nullptr));

  std::string text = start_error("web-root=" + missing);
  fail_unless(text.find("web-root \"" + missing + "\" does not exist") != std::string::npos, "%s", text.c_str());
  text = start_error("web-root=" + file);
  fail_unless(text.find("web-root \"" + file + "\" is not a directory") != std::string::npos, "%s", text.c_str());

  /* The directory itself starts and serves. */
  Pipe ok = Pipe::video(30, "port=0 address=127.0.0.1 web-root=" + std::string(dir));
  ok.play();
  std::string body;
  fail_unless_equals_int(http_get(ok.port, "/index.html", &body), 200);
  expect_string(body, "<p>hi</p>");
  ok.release();

  g_unlink(file.c_str());
  g_rmdir(dir);
  g_free(dir);
}
GST_END_TEST;

static Suite *ssesink_bus_suite() {
  Suite *s = suite_create("ssesink-bus");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_client_messages_and_ids);
  tcase_add_test(tc, test_path_without_slash_fails_start);
  tcase_add_test(tc, test_bad_web_root_fails_start);
  return s;
}

GST_CHECK_MAIN(ssesink_bus);
