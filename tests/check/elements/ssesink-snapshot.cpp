/* Element tests of GET <path>/snapshot.jpg: real pipelines with x264enc,
 * the real server on 127.0.0.1 port 0, real HTTP clients (libsoup), the
 * JPEGs checked with ffprobe/ffmpeg; decodes counted by snapshot-stats. */
#include <gst/check/gstcheck.h>

#include <atomic>
#include <cmath>
#include <thread>

#include "test-helpers.h"

namespace {

/* Scrolling bars (8 px a frame): pictures a second apart differ a lot. */
const char *kScroll =
    "videotestsrc is-live=true pattern=smpte horizontal-speed=8 ! "
    "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
    "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=%d ! mpegtsmux ! ssesink name=sink port=0 %s";

Pipe scroll(int key_int, const std::string &props = "") {
  gchar *d = g_strdup_printf(kScroll, key_int, props.c_str());
  Pipe p{std::string(d)};
  g_free(d);
  return p;
}

struct Reply {
  unsigned status = 0;
  std::string body;
  std::map<std::string, std::string> headers; /* lower-case names */
};

Reply request(int port, const std::string &path, const char *method = "GET",
              std::vector<std::pair<std::string, std::string>> headers = {}) {
  SoupSession *session = soup_session_new_with_options("timeout", 20, nullptr);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + path;
  SoupMessage *msg = soup_message_new(method, url.c_str());
  fail_unless(msg != nullptr, "bad URL %s", url.c_str());
  for (const auto &h : headers)
    soup_message_headers_replace(soup_message_get_request_headers(msg), h.first.c_str(), h.second.c_str());
  Reply r;
  GBytes *bytes = soup_session_send_and_read(session, msg, nullptr, nullptr);
  r.status = soup_message_get_status(msg);
  if (bytes) {
    r.body.assign(static_cast<const char *>(g_bytes_get_data(bytes, nullptr)), g_bytes_get_size(bytes));
    g_bytes_unref(bytes);
  }
  soup_message_headers_foreach(
      soup_message_get_response_headers(msg),
      [](const char *name, const char *value, gpointer d) {
        gchar *lower = g_ascii_strdown(name, -1);
        (*static_cast<std::map<std::string, std::string> *>(d))[lower] = value;
        g_free(lower);
      },
      &r.headers);
  g_object_unref(msg);
  g_object_unref(session);
  return r;
}

/* Waits until the stream has a key chunk: an SSE client's first media
 * event (a join starts at the latest key chunk). */
MediaFields first_key_chunk(int port, const std::string &path = "/stream") {
  SseClient c(port, path);
  fail_unless_equals_int(c.status(), 200);
  auto ev = read_media(c, 1);
  fail_unless(ev[0].key);
  return ev[0];
}

std::string write_temp(const std::string &bytes, const char *suffix) {
  gchar *name = nullptr;
  const int fd = g_file_open_tmp((std::string("snapshot-XXXXXX") + suffix).c_str(), &name, nullptr);
  fail_unless(fd >= 0);
  close(fd);
  fail_unless(g_file_set_contents(name, bytes.data(), static_cast<gssize>(bytes.size()), nullptr));
  std::string path = name;
  g_free(name);
  return path;
}

std::string run(std::vector<std::string> args, int *status) {
  std::vector<gchar *> argv;
  for (auto &a : args)
    argv.push_back(const_cast<gchar *>(a.c_str()));
  argv.push_back(nullptr);
  gchar *out = nullptr, *err = nullptr;
  fail_unless(
      g_spawn_sync(nullptr, argv.data(), nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr, &out, &err, status, nullptr));
  std::string s = std::string(out ? out : "") + (err && *err ? std::string("\nstderr: ") + err : "");
  g_free(out);
  g_free(err);
  return s;
}

/* "WxH" of a JPEG as ffprobe reads it, after ffmpeg decodes it cleanly. */
std::string jpeg_size(const std::string &jpeg) {
  const std::string f = write_temp(jpeg, ".jpg");
  int status = 0;
  std::string out = run({"ffprobe", "-v", "error", "-select_streams", "v", "-show_entries",
                         "stream=codec_name,width,height", "-of", "csv=p=0", f},
                        &status);
  fail_unless(status == 0, "ffprobe: %s", out.c_str());
  const std::string errors = run({"ffmpeg", "-v", "error", "-i", f, "-f", "null", "-"}, &status);
  fail_unless(status == 0 && errors.empty(), "ffmpeg: %s", errors.c_str());
  g_unlink(f.c_str());
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
    out.pop_back();
  return out; /* "mjpeg,320,240" */
}

/* The first picture of @file as 80x60 grey pixels (ffmpeg). */
std::vector<uint8_t> grey_thumb(const std::string &file) {
  const std::string out = file + ".gray";
  int status = 0;
  const std::string log = run({"ffmpeg", "-v", "error", "-y", "-i", file, "-frames:v", "1", "-s", "80x60", "-pix_fmt",
                               "gray", "-f", "rawvideo", out},
                              &status);
  fail_unless(status == 0, "ffmpeg: %s", log.c_str());
  gchar *data = nullptr;
  gsize len = 0;
  fail_unless(g_file_get_contents(out.c_str(), &data, &len, nullptr));
  std::vector<uint8_t> px(data, data + len);
  g_free(data);
  g_unlink(out.c_str());
  fail_unless_equals_int(px.size(), 80 * 60);
  return px;
}

/* Pearson correlation of two pictures' pixels: 1 for the same picture,
 * whatever the range (JPEG's full range, the TS's limited one). */
double correlation(const std::vector<uint8_t> &a, const std::vector<uint8_t> &b) {
  double ma = 0, mb = 0;
  for (size_t i = 0; i < a.size(); i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= static_cast<double>(a.size());
  mb /= static_cast<double>(b.size());
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) * (a[i] - ma);
    bb += (b[i] - mb) * (b[i] - mb);
  }
  return aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 0;
}

/* A 200 snapshot, polling past the 503s before the first key frame. */
Reply snapshot_200(int port, const std::string &path = "/stream/snapshot.jpg") {
  for (int i = 0; i < 200; i++) {
    Reply r = request(port, path);
    if (r.status == 200)
      return r;
    fail_unless_equals_int(r.status, 503);
    fail_unless(r.body.find("key frame") != std::string::npos, "503: %s", r.body.c_str());
    fail_unless(r.headers.count("retry-after"), "503 without Retry-After");
    g_usleep(50 * 1000);
  }
  fail("no snapshot");
  return {};
}

GstStructure *stats(GstElement *sink) {
  GstStructure *s = nullptr;
  g_object_get(sink, "snapshot-stats", &s, nullptr);
  fail_unless(s != nullptr);
  return s;
}

guint64 stat(GstElement *sink, const char *field) {
  GstStructure *s = stats(sink);
  guint64 v = 0;
  fail_unless(gst_structure_get_uint64(s, field, &v), "no %s", field);
  gst_structure_free(s);
  return v;
}

}  // namespace

/* The JPEG decodes at the stream's size and at ?width=; the headers; HEAD,
 * 405, 400. */
GST_START_TEST(test_snapshot_jpeg) {
  Pipe p = scroll(30);
  p.play();
  const Reply r = snapshot_200(p.port);
  expect_string(r.headers.at("content-type"), "image/jpeg");
  expect_string(r.headers.at("cache-control"), "no-cache");
  fail_unless(!r.headers.at("x-snapshot-seq").empty());
  expect_string(jpeg_size(r.body), "mjpeg,320,240");

  const Reply w = request(p.port, "/stream/snapshot.jpg?width=100");
  fail_unless_equals_int(w.status, 200);
  expect_string(jpeg_size(w.body), "mjpeg,100,74");
  const Reply big = request(p.port, "/stream/snapshot.jpg?width=1000"); /* above the picture: its own size */
  fail_unless_equals_int(big.status, 200);
  expect_string(jpeg_size(big.body), "mjpeg,320,240");
  for (const char *bad : {"abc", "0", "-5", "32px", "5000", ""}) {
    const Reply b = request(p.port, std::string("/stream/snapshot.jpg?width=") + bad);
    fail_unless_equals_int(b.status, 400);
    fail_unless(b.body.find("16 to 4096") != std::string::npos, "%s: %s", bad, b.body.c_str());
  }

  const Reply head = request(p.port, "/stream/snapshot.jpg", "HEAD");
  fail_unless_equals_int(head.status, 200);
  fail_unless(head.body.empty());
  expect_string(head.headers.at("content-type"), "image/jpeg");
  fail_unless(std::stoul(head.headers.at("content-length")) > 1000);
  const Reply post = request(p.port, "/stream/snapshot.jpg", "POST");
  fail_unless_equals_int(post.status, 405);
  fail_unless(post.headers.at("allow").find("GET") != std::string::npos);
  fail_unless_equals_int(request(p.port, "/stream/snapshot.png").status, 404);
  fail_unless_equals_int(request(p.port, "/stream/snapshot.jpg/x").status, 404);
  p.release();
}
GST_END_TEST;

/* The picture is the latest key frame's: it matches that key chunk decoded
 * by ffmpeg, differs from the next one, and a new key frame gives a new
 * picture. */
GST_START_TEST(test_snapshot_is_the_latest_key_frame) {
  Pipe p = scroll(30);
  p.play();
  snapshot_200(p.port);
  bool compared = false;
  for (int attempt = 0; attempt < 10 && !compared; attempt++) {
    const Reply r = request(p.port, "/stream/snapshot.jpg");
    fail_unless_equals_int(r.status, 200);
    SseClient c(p.port, "/stream");
    const auto events = read_media(c, 40); /* the latest key chunk, and past the next one */
    if (std::to_string(events[0].seq) != r.headers.at("x-snapshot-seq"))
      continue; /* a key frame came between the two requests */
    size_t next = 1;
    while (next < events.size() && !events[next].key)
      next++;
    fail_unless(next < events.size(), "no second key chunk in 40 events");
    const std::string jpg = write_temp(r.body, ".jpg");
    const std::string key_ts = write_temp(std::string(events[0].ts_bytes.begin(), events[0].ts_bytes.end()), ".ts");
    const std::string next_ts =
        write_temp(std::string(events[next].ts_bytes.begin(), events[next].ts_bytes.end()), ".ts");
    const auto snap = grey_thumb(jpg), same = grey_thumb(key_ts), other = grey_thumb(next_ts);
    const double c_same = correlation(snap, same), c_other = correlation(snap, other);
    GST_INFO("snapshot vs its key frame: %.3f, vs the next one: %.3f (correlation)", c_same, c_other);
    fail_unless(c_same > 0.98, "snapshot vs its key frame: correlation %.3f (next one: %.3f)", c_same, c_other);
    fail_unless(c_other < 0.9, "the next key frame is as close (%.3f vs %.3f)", c_other, c_same);
    for (const auto &f : {jpg, key_ts, next_ts})
      g_unlink(f.c_str());
    compared = true;
  }
  fail_unless(compared, "never caught the snapshot's key chunk");

  /* A later key frame: a new id and new bytes. */
  const Reply a = request(p.port, "/stream/snapshot.jpg");
  Reply b;
  for (int i = 0; i < 100; i++) {
    b = request(p.port, "/stream/snapshot.jpg");
    if (b.headers.at("x-snapshot-seq") != a.headers.at("x-snapshot-seq"))
      break;
    g_usleep(50 * 1000);
  }
  fail_unless(b.headers.at("x-snapshot-seq") != a.headers.at("x-snapshot-seq"), "no new key frame in 5 s");
  fail_unless(b.body != a.body);
  p.release();
}
GST_END_TEST;

/* Nobody asking: no decode. Then 50 requests at once: one decode, every
 * answer the same picture; more requests: from the cache. */
GST_START_TEST(test_parallel_requests_one_decode) {
  Pipe p = scroll(900); /* one key frame in the 30 s this may take */
  p.play();
  const MediaFields key = first_key_chunk(p.port);
  first_key_chunk(p.port);
  fail_unless_equals_uint64(stat(p.sink, "decodes"), 0);
  fail_unless_equals_uint64(stat(p.sink, "requests"), 0);

  constexpr int kN = 50;
  std::vector<Reply> replies(kN);
  std::vector<std::thread> threads;
  std::atomic<int> ready{0};
  for (int i = 0; i < kN; i++)
    threads.emplace_back([&, i] {
      ready++;
      while (ready.load() < kN)
        std::this_thread::yield();
      replies[i] = request(p.port, "/stream/snapshot.jpg");
    });
  for (auto &t : threads)
    t.join();
  for (const Reply &r : replies) {
    fail_unless_equals_int(r.status, 200);
    const std::string want = std::to_string(key.seq);
    expect_string(r.headers.at("x-snapshot-seq"), want.c_str());
    fail_unless(r.body == replies[0].body);
  }
  fail_unless_equals_uint64(stat(p.sink, "decodes"), 1);
  fail_unless_equals_uint64(stat(p.sink, "requests"), kN);
  fail_unless(stat(p.sink, "waited") >= 1);
  fail_unless_equals_int(request(p.port, "/stream/snapshot.jpg").status, 200);
  fail_unless_equals_uint64(stat(p.sink, "decodes"), 1);
  GstStructure *s = stats(p.sink);
  const gchar *decoder = gst_structure_get_string(s, "decoder");
  fail_unless(decoder && *decoder, "no decoder named");
  GST_INFO("decoder: %s", decoder);
  gst_structure_free(s);
  p.release();
}
GST_END_TEST;

/* Whether this process has a thread named sse-snapshot (the worker). */
static bool worker_thread_exists() {
  GDir *dir = g_dir_open("/proc/self/task", 0, nullptr);
  fail_unless(dir != nullptr);
  bool found = false;
  while (const gchar *tid = g_dir_read_name(dir)) {
    gchar *comm = nullptr;
    const std::string path = std::string("/proc/self/task/") + tid + "/comm";
    if (g_file_get_contents(path.c_str(), &comm, nullptr, nullptr))
      found |= g_str_has_prefix(comm, "sse-snapshot");
    g_free(comm);
  }
  g_dir_close(dir);
  return found;
}

/* Nobody asking: no worker thread; asked: one, decoding each key frame;
 * after snapshot-idle-timeout: gone, and new key frames are not decoded. */
GST_START_TEST(test_idle_teardown) {
  Pipe p = scroll(10, "snapshot-idle-timeout=300");
  p.play();
  first_key_chunk(p.port);
  fail_if(worker_thread_exists(), "a worker before any request");
  snapshot_200(p.port);
  fail_unless(worker_thread_exists());
  for (int i = 0; i < 200 && worker_thread_exists(); i++)
    g_usleep(50 * 1000);
  fail_if(worker_thread_exists(), "the worker stays after the idle timeout");
  const guint64 decodes = stat(p.sink, "decodes");
  SseClient c(p.port, "/stream");
  int keys = 0;
  for (const auto &ev : read_media(c, 25)) /* three key frames pass */
    keys += ev.key;
  fail_unless(keys >= 2);
  fail_unless_equals_uint64(stat(p.sink, "decodes"), decodes);
  fail_if(worker_thread_exists());
  p.release();
}
GST_END_TEST;

/* Counts the element's CODEC_NOT_FOUND warnings (bus sync handler). */
struct Warnings {
  std::atomic<int> n{0};
  std::mutex m;
  std::string text;
  static GstBusSyncReply on_message(GstBus *, GstMessage *msg, gpointer d) {
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_WARNING) {
      GError *err = nullptr;
      gst_message_parse_warning(msg, &err, nullptr);
      if (g_error_matches(err, GST_STREAM_ERROR, GST_STREAM_ERROR_CODEC_NOT_FOUND)) {
        auto *w = static_cast<Warnings *>(d);
        std::lock_guard<std::mutex> l(w->m);
        w->text = err->message;
        w->n++;
      }
      g_error_free(err);
    }
    return GST_BUS_PASS;
  }
};

static void expect_unavailable(Pipe &p, const char *needle) {
  Warnings w;
  GstBus *bus = gst_element_get_bus(p.pipeline);
  gst_bus_set_sync_handler(bus, Warnings::on_message, &w, nullptr);
  p.play();
  first_key_chunk(p.port);
  for (int i = 0; i < 5; i++) {
    const Reply r = request(p.port, "/stream/snapshot.jpg");
    fail_unless_equals_int(r.status, 503);
    fail_unless(r.body.find(needle) != std::string::npos, "503 body: %s", r.body.c_str());
  }
  fail_unless_equals_int(w.n.load(), 1);
  {
    std::lock_guard<std::mutex> l(w.m);
    fail_unless(w.text.find(needle) != std::string::npos, "warning: %s", w.text.c_str());
  }
  fail_unless_equals_uint64(stat(p.sink, "unavailable"), 5);
  p.stop();
  gst_bus_set_sync_handler(bus, nullptr, nullptr, nullptr);
  gst_object_unref(bus);
  p.release();
}

/* A snapshot-decoder that is not an installed element. */
GST_START_TEST(test_named_decoder_missing) {
  Pipe p = scroll(30, "snapshot-decoder=nosuchdec");
  expect_unavailable(p, "\"nosuchdec\" is not an installed element");
}
GST_END_TEST;

/* No decoder for the codec: every H.264 decoder of this process's
 * registry ranked NONE, so none is picked automatically (what a machine
 * without gstreamer1.0-libav and openh264 has). */
GST_START_TEST(test_no_decoder_for_codec) {
  GList *all = gst_element_factory_list_get_elements(GST_ELEMENT_FACTORY_TYPE_DECODER, GST_RANK_NONE);
  GstCaps *h264 = gst_caps_from_string("video/x-h264");
  GList *decoders = gst_element_factory_list_filter(all, h264, GST_PAD_SINK, FALSE);
  fail_unless(decoders != nullptr, "no H.264 decoder installed to hide");
  for (GList *l = decoders; l; l = l->next)
    gst_plugin_feature_set_rank(GST_PLUGIN_FEATURE(l->data), GST_RANK_NONE);
  gst_plugin_feature_list_free(decoders);
  gst_plugin_feature_list_free(all);
  gst_caps_unref(h264);
  Pipe p = scroll(30);
  expect_unavailable(p, "no H.264 decoder is installed");
}
GST_END_TEST;

/* The stream's access rules: token, CORS. */
GST_START_TEST(test_access_rules) {
  Pipe p = scroll(30, "auth-token=s3cret cors-origin=https://a.example");
  p.play();
  Reply r = request(p.port, "/stream/snapshot.jpg");
  fail_unless_equals_int(r.status, 401);
  fail_unless(r.headers.count("www-authenticate"));
  fail_unless_equals_int(request(p.port, "/stream/snapshot.jpg?token=wrong").status, 403);
  fail_unless_equals_int(request(p.port, "/stream/snapshot.jpg", "GET", {{"Authorization", "Bearer nope"}}).status,
                         403);
  r = snapshot_200(p.port, "/stream/snapshot.jpg?token=s3cret");
  expect_string(jpeg_size(r.body), "mjpeg,320,240");
  r = request(p.port, "/stream/snapshot.jpg", "GET",
              {{"Authorization", "Bearer s3cret"}, {"Origin", "https://a.example"}});
  fail_unless_equals_int(r.status, 200);
  expect_string(r.headers.at("access-control-allow-origin"), "https://a.example");
  fail_if(r.headers.count("x-accel-buffering")); /* the event stream's headers are not the snapshot's */
  r = request(p.port, "/stream/snapshot.jpg?token=s3cret", "OPTIONS", {{"Origin", "https://a.example"}});
  fail_unless_equals_int(r.status, 204);
  p.release();
}
GST_END_TEST;

static Suite *ssesink_snapshot_suite(void) {
  Suite *s = suite_create("ssesink-snapshot");
  TCase *tc = tcase_create("general");
  tcase_set_timeout(tc, 120);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_snapshot_jpeg);
  tcase_add_test(tc, test_snapshot_is_the_latest_key_frame);
  tcase_add_test(tc, test_parallel_requests_one_decode);
  tcase_add_test(tc, test_idle_teardown);
  tcase_add_test(tc, test_named_decoder_missing);
  tcase_add_test(tc, test_no_decoder_for_codec);
  tcase_add_test(tc, test_access_rules);
  return s;
}

GST_CHECK_MAIN(ssesink_snapshot);
