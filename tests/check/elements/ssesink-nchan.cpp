/* Scale-out tests for ssesink: publishing to a real two-node nginx + nchan
 * cluster sharing one Redis (examples/scale-out/cluster.sh, on loopback),
 * subscribers on both nodes, failover with Last-Event-ID, nchan down at
 * start. Skipped (exit 77) where nginx, the nchan module or redis-server is
 * not installed; CI installs them. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

#include <map>

#include "sse-client.h"
#include "test-helpers.h"

namespace {

const char *kNchanModule = "/usr/lib/nginx/modules/ngx_nchan_module.so";

bool cluster_available(std::string *missing) {
  for (const char *prog : {"nginx", "redis-server", "redis-cli"}) {
    gchar *path = g_find_program_in_path(prog);
    if (!path) {
      *missing = prog;
      return false;
    }
    g_free(path);
  }
  if (!g_file_test(kNchanModule, G_FILE_TEST_EXISTS)) {
    *missing = kNchanModule;
    return false;
  }
  return true;
}

/* Made by main() in the parent process: every cluster's state directory is
 * in it, so main() can stop what a failed (forked) test left running. */
std::string g_base_dir;

void run_cluster_sh(std::vector<std::string> args, bool check);

void remove_tree(const std::string &dir) {
  gchar *argv[] = {const_cast<gchar *>("rm"), const_cast<gchar *>("-rf"), const_cast<gchar *>(dir.c_str()), nullptr};
  g_spawn_sync(nullptr, argv, nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
}

/* Two nginx + nchan nodes and a Redis, run by examples/scale-out/cluster.sh
 * in a state directory of their own. */
struct Cluster {
  std::string dir;
  int ports[2] = {0, 0};
  int redis = 0;

  Cluster() {
    std::string templ = g_base_dir + "/cluster-XXXXXX";
    fail_unless(g_mkdtemp(&templ[0]) != nullptr);
    dir = templ;
    ports[0] = free_port();
    ports[1] = free_port();
    redis = free_port();
  }
  ~Cluster() {
    run({"stop", "--dir", dir}, false);
    remove_tree(dir);
  }

  void start() {
    run({"start", "--dir", dir, "--ports", std::to_string(ports[0]) + "," + std::to_string(ports[1]), "--redis-port",
         std::to_string(redis)});
  }
  void stop_node(int n) { run({"stop", "--dir", dir, "--only", "node" + std::to_string(n + 1)}); }

  std::string publish_url(int n, const std::string &channel) const {
    return "http://127.0.0.1:" + std::to_string(ports[n]) + "/pub/" + channel;
  }

  void run(std::vector<std::string> args, bool check = true) { run_cluster_sh(std::move(args), check); }
};

void run_cluster_sh(std::vector<std::string> args, bool check) {
  const char *script = g_getenv("SSE_CLUSTER_SH");
  fail_unless(script != nullptr, "SSE_CLUSTER_SH is not set");
  std::vector<gchar *> argv{const_cast<gchar *>("bash"), const_cast<gchar *>(script)};
  for (auto &a : args)
    argv.push_back(const_cast<gchar *>(a.c_str()));
  argv.push_back(nullptr);
  gchar *out = nullptr, *err = nullptr;
  gint status = 0;
  GError *error = nullptr;
  const gboolean ok =
      g_spawn_sync(nullptr, argv.data(), nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr, &out, &err, &status, &error);
  if (check) {
    fail_unless(ok, "cluster.sh: %s", error ? error->message : "");
    fail_unless(g_spawn_check_wait_status(status, nullptr), "cluster.sh %s failed: %s%s", args[0].c_str(), out, err);
  }
  if (error)
    g_error_free(error);
  g_free(out);
  g_free(err);
}

/* Parent process, after the suite: stops the clusters of tests that failed
 * before their destructor ran, and removes every state directory. */
void clean_up_clusters() {
  if (GDir *d = g_dir_open(g_base_dir.c_str(), 0, nullptr)) {
    while (const gchar *name = g_dir_read_name(d))
      run_cluster_sh({"stop", "--dir", g_base_dir + "/" + name}, false);
    g_dir_close(d);
  }
  remove_tree(g_base_dir);
}

/* A subscriber on node @n of @c: EventSource's request, as nchan wants it. */
SseClient *subscribe(const Cluster &c, int n, const std::string &channel,
                     std::vector<std::pair<std::string, std::string>> headers = {}, const std::string &query = "") {
  headers.emplace_back("Accept", "text/event-stream");
  auto *client = new SseClient(c.ports[n], "/sub/" + channel + query, "GET", headers);
  fail_unless_equals_int(client->status(), 200);
  return client;
}

struct Received {
  std::vector<MediaFields> media;
  std::vector<std::string> ids;   /* nchan's event ids */
  std::vector<std::string> jsons; /* the data fields as received */
  unsigned repeats = 0;           /* events received again, identical (see read_nchan) */
};

/* Reads media events from @client: with @from_key, skips what comes before
 * the first key chunk (nchan replays its buffer from anywhere in a GOP),
 * then @n events with consecutive seq. An event the same as the one before
 * it is counted in repeats and skipped: a POST whose answer a stopping node
 * never sent is sent again to the next node, so nchan may hold it twice
 * (docs/scaling.md); clients tell by its seq. */
Received read_nchan(SseClient &client, int n, bool from_key = true) {
  Received r;
  SseEvent ev;
  while (static_cast<int>(r.media.size()) < n) {
    fail_unless(client.next_media(&ev), "stream ended early: %s", client.error().c_str());
    MediaFields f;
    std::string err;
    fail_unless(parse_media(ev.data, &f, &err), "bad media JSON: %s", err.c_str());
    if (r.media.empty() && from_key && !f.key)
      continue;
    if (!r.media.empty() && f.seq == r.media.back().seq) {
      fail_unless(ev.data == r.jsons.back(), "seq %" G_GUINT64_FORMAT " twice, with different data", f.seq);
      r.repeats++;
      continue;
    }
    if (!r.media.empty())
      fail_unless(f.seq == r.media.back().seq + 1, "seq %" G_GUINT64_FORMAT " after %" G_GUINT64_FORMAT, f.seq,
                  r.media.back().seq);
    fail_unless(!ev.id.empty(), "no event id");
    r.media.push_back(std::move(f));
    r.ids.push_back(ev.id);
    r.jsons.push_back(ev.data);
  }
  return r;
}

/* publish-stats of @sink, as a map of the fields tests look at. */
std::map<std::string, uint64_t> publish_stats(GstElement *sink, bool *connected = nullptr,
                                              std::string *last_error = nullptr) {
  GstStructure *s = nullptr;
  g_object_get(sink, "publish-stats", &s, nullptr);
  fail_unless(s != nullptr);
  std::map<std::string, uint64_t> out;
  for (const char *f :
       {"messages-published", "bytes-published", "messages-dropped", "failures", "outages", "queue-bytes"}) {
    guint64 v = 0;
    fail_unless(gst_structure_get_uint64(s, f, &v), "no %s", f);
    out[f] = v;
  }
  gboolean up = FALSE;
  fail_unless(gst_structure_get_boolean(s, "connected", &up));
  if (connected)
    *connected = up;
  if (last_error)
    *last_error = gst_structure_get_string(s, "last-error");
  gst_structure_free(s);
  return out;
}

/* Polls @pred every 20 ms for up to @seconds. */
template <typename Pred>
bool poll(Pred pred, int seconds = 20) {
  const gint64 end = g_get_monotonic_time() + gint64{seconds} * G_USEC_PER_SEC;
  while (!pred()) {
    if (g_get_monotonic_time() > end)
      return false;
    g_usleep(20000);
  }
  return true;
}

void play(GstElement *pipeline) {
  fail_if(gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
}

}  // namespace

GST_START_TEST(test_subscribers_on_both_nodes) {
  Cluster c;
  c.start();
  Pipe p(noisy_pipeline(15, "publish-only=true publish-url=" + c.publish_url(0, "both")));
  play(p.pipeline);
  std::unique_ptr<SseClient> a(subscribe(c, 0, "both")), b(subscribe(c, 1, "both"));
  Received ra = read_nchan(*a, 45), rb = read_nchan(*b, 45);
  expect_decodable(ra.media);
  expect_decodable(rb.media);

  /* Same events on both nodes, with the same ids: one Redis behind them. */
  std::map<uint64_t, size_t> at;
  for (size_t i = 0; i < ra.media.size(); i++)
    at[ra.media[i].seq] = i;
  size_t common = 0;
  for (size_t i = 0; i < rb.media.size(); i++) {
    auto it = at.find(rb.media[i].seq);
    if (it == at.end())
      continue;
    common++;
    fail_unless(ra.jsons[it->second] == rb.jsons[i], "seq %" G_GUINT64_FORMAT " differs", rb.media[i].seq);
    fail_unless(ra.ids[it->second] == rb.ids[i], "ids %s and %s", ra.ids[it->second].c_str(), rb.ids[i].c_str());
  }
  fail_unless(common >= 15, "only %zu events in common", common);

  bool connected = false;
  auto st = publish_stats(p.sink, &connected);
  fail_unless(connected);
  fail_unless(st["messages-published"] >= 45, "%" G_GUINT64_FORMAT " published", st["messages-published"]);
  fail_unless_equals_uint64(st["failures"], 0);
  fail_unless_equals_uint64(st["messages-dropped"], 0);
  /* Publish-only: no port. */
  int port = -1;
  g_object_get(p.sink, "current-port", &port, nullptr);
  fail_unless_equals_int(port, 0);
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_failover_resumes_with_last_event_id) {
  Cluster c;
  c.start();
  /* Published through node 1, then node 2 when node 1 goes. */
  Pipe p(noisy_pipeline(
      15, "publish-only=true publish-url=\"" + c.publish_url(0, "fo") + ", " + c.publish_url(1, "fo") + "\""));
  play(p.pipeline);
  std::unique_ptr<SseClient> a(subscribe(c, 0, "fo"));
  Received before = read_nchan(*a, 20);
  c.stop_node(0);
  /* The subscriber of the stopped node sees its stream end. */
  SseEvent ev;
  while (a->next(&ev)) {
  }
  a.reset();

  /* Everything received, from the first key chunk on, across both resumes. */
  std::vector<MediaFields> all = before.media;
  unsigned repeats = before.repeats;
  for (const bool use_query : {false, true}) {
    const std::string last_id = before.ids.back();
    gchar *escaped = g_uri_escape_string(last_id.c_str(), nullptr, FALSE);
    std::unique_ptr<SseClient> b(use_query ? subscribe(c, 1, "fo", {}, std::string("?last_event_id=") + escaped)
                                           : subscribe(c, 1, "fo", {{"Last-Event-ID", last_id}}));
    g_free(escaped);
    Received after = read_nchan(*b, 20, false);
    /* The event resumed after may come again first: the POST in flight
     * when node 1 stopped, stored and then sent again through node 2. */
    if (after.media.front().seq == before.media.back().seq && after.jsons.front() == before.jsons.back()) {
      after.media.erase(after.media.begin());
      after.jsons.erase(after.jsons.begin());
      after.ids.erase(after.ids.begin());
      repeats++;
    }
    repeats += after.repeats;
    fail_unless(after.media.front().seq == before.media.back().seq + 1,
                "resumed at %" G_GUINT64_FORMAT " after %" G_GUINT64_FORMAT " (%s)", after.media.front().seq,
                before.media.back().seq, use_query ? "query" : "header");
    all.insert(all.end(), after.media.begin(), after.media.end());
    before = std::move(after);
  }
  expect_decodable(all);

  /* The publisher moved on to node 2 without a gap (checked above) and says so. */
  std::string url;
  GstStructure *st = nullptr;
  g_object_get(p.sink, "publish-stats", &st, nullptr);
  guint64 failovers = 0;
  fail_unless(gst_structure_get_uint64(st, "failovers", &failovers) && failovers >= 1);
  /* Only the POST in flight at a failover can be stored twice. */
  fail_unless(repeats <= failovers, "%u events received twice, %" G_GUINT64_FORMAT " failovers", repeats, failovers);
  url = gst_structure_get_string(st, "url");
  fail_unless(url == c.publish_url(1, "fo"), "publishing to %s", url.c_str());
  gst_structure_free(st);
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_nchan_down_at_start) {
  Cluster c; /* not started yet: nothing listens on its ports */
  Pipe p(noisy_pipeline(15, "publish-only=true publish-buffer-bytes=300000 publish-url=" + c.publish_url(0, "late")));
  GstBus *bus = gst_element_get_bus(p.pipeline);
  play(p.pipeline);

  GstMessage *warning = gst_bus_timed_pop_filtered(bus, 10 * GST_SECOND, GST_MESSAGE_WARNING);
  fail_unless(warning != nullptr, "no warning on the bus");
  GError *err = nullptr;
  gst_message_parse_warning(warning, &err, nullptr);
  fail_unless(strstr(err->message, "Could not publish") != nullptr, "%s", err->message);
  g_error_free(err);
  gst_message_unref(warning);

  /* The pipeline runs on; what waits stays bounded, oldest dropped. */
  std::string last_error;
  fail_unless(poll([&] { return publish_stats(p.sink)["messages-dropped"] > 0; }), "nothing dropped");
  auto st = publish_stats(p.sink, nullptr, &last_error);
  fail_unless(st["queue-bytes"] <= 300000, "%" G_GUINT64_FORMAT " bytes queued", st["queue-bytes"]);
  fail_unless(st["failures"] >= 2, "%" G_GUINT64_FORMAT " failures", st["failures"]);
  fail_unless(!last_error.empty());
  gint64 pos1 = 0, pos2 = 0;
  fail_unless(gst_element_query_position(p.pipeline, GST_FORMAT_TIME, &pos1));
  fail_unless(poll([&] { return gst_element_query_position(p.pipeline, GST_FORMAT_TIME, &pos2) && pos2 > pos1; }));

  c.start();
  bool connected = false;
  fail_unless(poll([&] {
                publish_stats(p.sink, &connected);
                return connected;
              }),
              "never reconnected");
  std::unique_ptr<SseClient> sub(subscribe(c, 1, "late"));
  expect_decodable(read_nchan(*sub, 30).media);
  /* It said so on the bus too. */
  GstMessage *info = gst_bus_timed_pop_filtered(bus, 5 * GST_SECOND, GST_MESSAGE_INFO);
  fail_unless(info != nullptr, "no info message on reconnection");
  gst_message_unref(info);
  gst_object_unref(bus);
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_local_clients_get_the_same_json) {
  Cluster c;
  c.start();
  Pipe p(noisy_pipeline(15, "publish-url=" + c.publish_url(0, "same")));
  p.play();
  SseClient local(p.port);
  std::unique_ptr<SseClient> remote(subscribe(c, 0, "same"));
  std::map<uint64_t, std::string> local_json;
  SseEvent ev;
  for (int i = 0; i < 60; i++) {
    fail_unless(local.next_media(&ev), "%s", local.error().c_str());
    MediaFields f;
    std::string err;
    fail_unless(parse_media(ev.data, &f, &err));
    local_json[f.seq] = ev.data;
  }
  Received r = read_nchan(*remote, 30);
  size_t same = 0;
  for (size_t i = 0; i < r.media.size(); i++) {
    auto it = local_json.find(r.media[i].seq);
    if (it == local_json.end())
      continue;
    fail_unless(it->second == r.jsons[i], "seq %" G_GUINT64_FORMAT ": different JSON", r.media[i].seq);
    same++;
  }
  fail_unless(same >= 10, "only %zu events seen by both", same);
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_bad_publish_settings) {
  {
    Pipe p(noisy_pipeline(15, "publish-url=ftp://127.0.0.1/pub/x"));
    fail_unless(gst_element_set_state(p.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
    const std::string text = bus_error_text(p.pipeline);
    fail_unless(text.find("Invalid publish-url") != std::string::npos && text.find("ftp://") != std::string::npos, "%s",
                text.c_str());
    p.release();
  }
  {
    Pipe p(noisy_pipeline(15, "publish-only=true"));
    fail_unless(gst_element_set_state(p.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
    const std::string text = bus_error_text(p.pipeline);
    fail_unless(text.find("publish-url") != std::string::npos, "%s", text.c_str());
    p.release();
  }
  {
    /* Without publish-url the stats say so. */
    Pipe p(noisy_pipeline(15, ""));
    GstStructure *s = nullptr;
    g_object_get(p.sink, "publish-stats", &s, nullptr);
    gboolean active = TRUE;
    fail_unless(gst_structure_get_boolean(s, "active", &active) && !active);
    gst_structure_free(s);
    p.release();
  }
}
GST_END_TEST;

/* A subscriber there before the first key chunk gets the stream event with
 * the codec fields before that chunk, as local clients do. */
GST_START_TEST(test_stream_event_has_codecs) {
  Cluster c;
  c.start();
  std::unique_ptr<SseClient> sub(subscribe(c, 0, "codecs"));
  Pipe p(noisy_pipeline(15, "publish-only=true publish-url=" + c.publish_url(0, "codecs")));
  play(p.pipeline);
  SseEvent ev;
  std::string stream;
  for (;;) {
    fail_unless(sub->next(&ev), "%s", sub->error().c_str());
    if (ev.event == "stream") {
      stream = ev.data;
      continue;
    }
    if (!ev.event.empty() || ev.data.empty())
      continue;
    MediaFields f;
    std::string err;
    fail_unless(parse_media(ev.data, &f, &err));
    if (f.key)
      break;
  }
  fail_unless(stream.find("\"codecs\":\"avc1.") != std::string::npos, "%s", stream.c_str());
  fail_unless(stream.find("\"chroma_format\":\"4:2:0\"") != std::string::npos, "%s", stream.c_str());
  fail_unless(stream.find("\"browser_safe\":true") != std::string::npos, "%s", stream.c_str());
  p.release();
}
GST_END_TEST;

static Suite *nchan_suite(bool with_cluster) {
  Suite *s = suite_create("ssesink-nchan");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_set_timeout(tc, 180);
  tcase_add_test(tc, test_bad_publish_settings);
  if (with_cluster) {
    tcase_add_test(tc, test_subscribers_on_both_nodes);
    tcase_add_test(tc, test_failover_resumes_with_last_event_id);
    tcase_add_test(tc, test_nchan_down_at_start);
    tcase_add_test(tc, test_local_clients_get_the_same_json);
    tcase_add_test(tc, test_stream_event_has_codecs);
  }
  return s;
}

int main(int argc, char **argv) {
  gst_check_init(&argc, &argv);
  std::string missing;
  const bool available = cluster_available(&missing);
  if (!available) {
    /* CI installs them; SSE_REQUIRE_NCHAN=1 makes their absence a failure. */
    if (g_strcmp0(g_getenv("SSE_REQUIRE_NCHAN"), "1") == 0) {
      g_printerr("nchan cluster tests need %s\n", missing.c_str());
      return 1;
    }
    g_print("SKIP: the nchan cluster tests need %s\n", missing.c_str());
  }
  gchar *base = g_dir_make_tmp("sse-nchan-XXXXXX", nullptr);
  g_base_dir = base;
  g_free(base);
  const int failed = gst_check_run_suite(nchan_suite(available), "ssesink-nchan", __FILE__);
  clean_up_clusters();
  return failed ? 1 : (available ? 0 : 77);
}
