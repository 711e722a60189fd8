/* Element tests of compression: with compression=auto, gzip clients (curl
 * --compressed, over HTTP/1.1 and HTTP/1.0, plain HTTP and HTTPS; Node's
 * fetch; libsoup's session) receive byte for byte what a plain client
 * receives for the same ids, from the prelude to `event: eos`, also when
 * they resume with Last-Event-ID; the raw bodies are single valid gzip
 * members (zlib checks their CRC-32 and length); compression=none sends no
 * Content-Encoding whatever the client accepts. */
#include <sys/wait.h>
#include <zlib.h>

#include <fstream>
#include <sstream>

#include "gunzip.h"
#include "test-helpers.h"

namespace {

std::string slurp(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

/* A child process (curl, node) writing into the test's directory. */
struct Child {
  GPid pid = 0;
  explicit Child(const std::vector<std::string> &args) {
    std::vector<gchar *> argv;
    for (const auto &a : args)
      argv.push_back(const_cast<gchar *>(a.c_str()));
    argv.push_back(nullptr);
    GError *err = nullptr;
    fail_unless(g_spawn_async(nullptr, argv.data(), nullptr,
                              static_cast<GSpawnFlags>(G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD), nullptr,
                              nullptr, &pid, &err),
                "%s: %s", args[0].c_str(), err ? err->message : "?");
  }
  /* Waits for the exit; returns its status (0: success). */
  int wait() {
    int status = -1;
    fail_unless(waitpid(pid, &status, 0) == pid);
    g_spawn_close_pid(pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  }
};

/* Headers of a curl -D dump, lower-cased names. */
std::string header_of(const std::string &dump, const std::string &name) {
  std::istringstream in(dump);
  std::string line;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos)
      continue;
    std::string n = line.substr(0, colon);
    for (auto &c : n)
      c = static_cast<char>(g_ascii_tolower(c));
    if (n != name)
      continue;
    std::string v = line.substr(colon + 1);
    while (!v.empty() && (v.front() == ' '))
      v.erase(0, 1);
    while (!v.empty() && (v.back() == '\r' || v.back() == ' '))
      v.pop_back();
    return v;
  }
  return "";
}

/* The events of a body, as SseClient reports them (comments left out). */
std::vector<SseEvent> parse_body(const std::string &body) {
  std::vector<SseEvent> out;
  SseEvent ev;
  bool any = false;
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) {
      if (any)
        out.push_back(ev);
      ev = SseEvent{};
      any = false;
      continue;
    }
    if (line[0] == ':')
      continue;
    const size_t colon = line.find(':');
    const std::string field = line.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ')
      value.erase(0, 1);
    if (field == "event")
      ev.event = value;
    else if (field == "id")
      ev.id = value;
    else if (field == "data")
      ev.data = value;
    else if (field == "retry")
      ev.retry = value;
    if (field != "retry")
      any = true;
  }
  return out;
}

/* Where the event after id @id starts in @body. */
size_t after_id(const std::string &body, const std::string &id) {
  const size_t at = body.find("id: " + id + "\n");
  fail_unless(at != std::string::npos, "id %s not in the body", id.c_str());
  const size_t end = body.find("\n\n", at);
  fail_unless(end != std::string::npos);
  return end + 2;
}

const char *kEos = "event: eos\n";

std::string tmpdir() {
  gchar *d = g_dir_make_tmp("ssesink-gzip-XXXXXX", nullptr);
  const std::string s = d;
  g_free(d);
  return s;
}

void wait_clients(Pipe &p, guint n) {
  for (int i = 0; i < 400; i++) {
    guint have = 0;
    g_object_get(p.sink, "num-clients", &have, nullptr);
    if (have >= n)
      return;
    g_usleep(25 * 1000);
  }
  fail("the clients did not connect");
}

void wait_eos(Pipe &p) {
  GstBus *bus = gst_element_get_bus(p.pipeline);
  GstMessage *m = gst_bus_timed_pop_filtered(bus, 60 * GST_SECOND,
                                             static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(m && GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS, "no eos");
  gst_message_unref(m);
  gst_object_unref(bus);
}

/* Three seconds of video that ends: every client sees the whole stream. */
Pipe ending_pipe(const std::string &props) {
  return Pipe(
      "videotestsrc is-live=true num-buffers=90 pattern=ball ! video/x-raw,format=I420,width=320,height=240,"
      "framerate=30/1 ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! mpegtsmux ! ssesink "
      "name=sink port=0 address=127.0.0.1 " +
      props);
}

/* The element listens from PAUSED on: clients connect before any data. */
void listen(Pipe &p) {
  fail_if(gst_element_set_state(p.pipeline, GST_STATE_PAUSED) == GST_STATE_CHANGE_FAILURE);
  g_object_get(p.sink, "current-port", &p.port, nullptr);
  fail_unless(p.port > 0);
}

}  // namespace

GST_START_TEST(test_gzip_clients_get_the_plain_events) {
  const std::string d = tmpdir();
  Pipe p = ending_pipe("");
  listen(p);
  const std::string url = "http://127.0.0.1:" + std::to_string(p.port) + "/stream";
  const std::vector<std::string> curl = {"curl", "-sS", "-N", "--max-time", "60"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = curl;
    a.insert(a.end(), extra.begin(), extra.end());
    a.push_back(url);
    return a;
  };
  Child plain(with({"-o", d + "/plain", "-D", d + "/plain.h"}));
  Child compressed(with({"--compressed", "-o", d + "/gz", "-D", d + "/gz.h"}));
  Child raw(with({"-H", "Accept-Encoding: gzip", "-o", d + "/raw", "-D", d + "/raw.h"}));
  Child raw10(with({"-0", "-H", "Accept-Encoding: deflate, gzip;q=0.5", "-o", d + "/raw10", "-D", d + "/raw10.h"}));
  Child node({"node", SSE_NODE_CLIENT, url, d + "/node"});
  Child es({"node", SSE_EVENTSOURCE_CLIENT, url, d + "/es"});
  SseClient soup(p.port); /* libsoup's session: Accept-Encoding and decoding by default */
  fail_unless_equals_int(soup.status(), 200);
  wait_clients(p, 7);
  /* HEAD: the headers a GET would get, Vary and Content-Encoding included. */
  Child head_gz(with({"-I", "-H", "Accept-Encoding: gzip", "-o", d + "/head_gz.h"}));
  Child head_plain(with({"-I", "-o", d + "/head_plain.h"}));
  fail_unless_equals_int(head_gz.wait(), 0);
  fail_unless_equals_int(head_plain.wait(), 0);
  expect_string(header_of(slurp(d + "/head_gz.h"), "content-encoding"), "gzip");
  fail_unless(header_of(slurp(d + "/head_gz.h"), "vary").find("Accept-Encoding") != std::string::npos);
  fail_unless(header_of(slurp(d + "/head_plain.h"), "content-encoding").empty());
  fail_unless(header_of(slurp(d + "/head_plain.h"), "vary").find("Accept-Encoding") != std::string::npos);
  p.play();

  /* Mid-stream, a gzip client resumes after the 20th media event. */
  std::vector<SseEvent> soup_events;
  SseEvent ev;
  std::string resume_id;
  int media = 0;
  Child *resumed = nullptr;
  while (soup.next(&ev)) {
    soup_events.push_back(ev);
    if (ev.event.empty() && ++media == 20) {
      resume_id = ev.id;
      resumed = new Child(with({"--compressed", "-H", "Last-Event-ID: " + resume_id, "-o", d + "/resumed"}));
    }
  }
  fail_unless(soup.ended_cleanly(), "libsoup: %s", soup.error().c_str());
  fail_unless(resumed != nullptr, "only %d media events", media);
  wait_eos(p);
  fail_unless_equals_int(plain.wait(), 0);
  fail_unless_equals_int(compressed.wait(), 0);
  fail_unless_equals_int(raw.wait(), 0);
  fail_unless_equals_int(raw10.wait(), 0);
  fail_unless_equals_int(node.wait(), 0);
  fail_unless_equals_int(es.wait(), 0);
  fail_unless_equals_int(resumed->wait(), 0);
  delete resumed;

  /* The plain client: no Content-Encoding, but Vary (the body depends on it). */
  const std::string body = slurp(d + "/plain");
  fail_unless(body.rfind("retry: ", 0) == 0, "%.80s", body.c_str());
  fail_unless(body.size() > 20000 && body.find(kEos) != std::string::npos, "%zu bytes", body.size());
  fail_unless(header_of(slurp(d + "/plain.h"), "content-encoding").empty());
  fail_unless(header_of(slurp(d + "/plain.h"), "vary").find("Accept-Encoding") != std::string::npos);

  /* curl --compressed, Node's fetch: the same bytes, decoded. */
  expect_string(header_of(slurp(d + "/gz.h"), "content-encoding"), "gzip");
  fail_unless(slurp(d + "/gz") == body, "curl --compressed got other bytes");
  fail_unless(slurp(d + "/node.h").find("content-encoding: gzip") != std::string::npos, "%s",
              slurp(d + "/node.h").c_str());
  fail_unless(slurp(d + "/node") == body, "node got other bytes");

  /* The raw bodies, HTTP/1.1 (chunked) and HTTP/1.0 (until close): one
   * gzip member each, its trailer right, fewer bytes than the plain body. */
  for (const char *name : {"raw", "raw10"}) {
    const std::string gz = slurp(d + "/" + name);
    expect_string(header_of(slurp(d + "/" + name + ".h"), "content-encoding"), "gzip");
    std::string out;
    fail_unless(gunzip(gz, &out), "%s: not one valid gzip member (%zu bytes)", name, gz.size());
    fail_unless(out == body, "%s: inflates to other bytes", name);
    fail_unless(gz.size() < body.size(), "%s: %zu compressed bytes for %zu", name, gz.size(), body.size());
  }
  fail_unless(slurp(d + "/raw10.h").rfind("HTTP/1.0 200", 0) == 0, "%s", slurp(d + "/raw10.h").c_str());

  /* libsoup: the same events. */
  const std::vector<SseEvent> expect = parse_body(body);
  fail_unless_equals_int(soup_events.size(), expect.size());
  for (size_t i = 0; i < expect.size(); i++)
    fail_unless(soup_events[i].event == expect[i].event && soup_events[i].id == expect[i].id &&
                    soup_events[i].data == expect[i].data,
                "event %zu differs", i);

  /* The eventsource npm client (gzip through Node's fetch): the same
   * events, as EventSource hands them to a page. */
  {
    std::istringstream in(slurp(d + "/es"));
    std::string line;
    size_t i = 0;
    for (; std::getline(in, line); i++) {
      fail_unless(i < expect.size(), "eventsource: more events than the plain body has");
      const size_t t1 = line.find('\t'), t2 = line.find('\t', t1 + 1);
      fail_unless(t1 != std::string::npos && t2 != std::string::npos, "eventsource line: %.80s", line.c_str());
      expect_string(line.substr(0, t1), expect[i].event.empty() ? "message" : expect[i].event.c_str());
      /* Events with an id carry it. (The package gives "" to events
       * without one, where browsers repeat the last id.) */
      const std::string id = line.substr(t1 + 1, t2 - t1 - 1);
      if (!expect[i].id.empty())
        fail_unless(id == expect[i].id, "eventsource: event %zu has lastEventId \"%s\", not %s", i, id.c_str(),
                    expect[i].id.c_str());
      fail_unless(line.substr(t2 + 1) == expect[i].data, "eventsource: event %zu differs", i);
    }
    fail_unless_equals_int(i, expect.size());
  }

  /* The resumed client: its prelude, then exactly the plain body after the
   * id it gave. */
  const std::string res = slurp(d + "/resumed");
  fail_unless(res.rfind("retry: ", 0) == 0, "%.80s", res.c_str());
  const size_t first = res.find("\nid: ");
  fail_unless(first != std::string::npos);
  fail_unless(res.substr(first + 1) == body.substr(after_id(body, resume_id)), "the resume differs");
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_gzip_over_https) {
  const std::string d = tmpdir();
  const std::string key = d + "/key.pem", cert = d + "/cert.pem";
  Child ossl({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
              "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"});
  fail_unless_equals_int(ossl.wait(), 0);
  Pipe p = ending_pipe("tls-certificate-file=" + cert + " tls-key-file=" + key);
  listen(p);
  const std::string url = "https://localhost:" + std::to_string(p.port) + "/stream";
  const std::string resolve = "localhost:" + std::to_string(p.port) + ":127.0.0.1";
  const std::vector<std::string> curl = {"curl",     "-sS", "-N",        "--max-time", "60",
                                         "--cacert", cert,  "--resolve", resolve};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = curl;
    a.insert(a.end(), extra.begin(), extra.end());
    a.push_back(url);
    return a;
  };
  Child plain(with({"-o", d + "/plain"}));
  Child raw(with({"-H", "Accept-Encoding: gzip", "-o", d + "/raw", "-D", d + "/raw.h"}));
  wait_clients(p, 2);
  p.play();
  wait_eos(p);
  fail_unless_equals_int(plain.wait(), 0);
  fail_unless_equals_int(raw.wait(), 0);
  const std::string body = slurp(d + "/plain");
  fail_unless(body.find(kEos) != std::string::npos, "%zu bytes", body.size());
  expect_string(header_of(slurp(d + "/raw.h"), "content-encoding"), "gzip");
  std::string out;
  fail_unless(gunzip(slurp(d + "/raw"), &out), "not one valid gzip member");
  fail_unless(out == body, "inflates to other bytes");
  p.release();
}
GST_END_TEST;

GST_START_TEST(test_compression_none) {
  Pipe p = ending_pipe("compression=none");
  listen(p);
  const std::string d = tmpdir();
  const std::string url = "http://127.0.0.1:" + std::to_string(p.port) + "/stream";
  Child raw({"curl", "-sS", "-N", "--max-time", "60", "-H", "Accept-Encoding: gzip", "-o", d + "/raw", "-D",
             d + "/raw.h", url});
  wait_clients(p, 1);
  p.play();
  wait_eos(p);
  fail_unless_equals_int(raw.wait(), 0);
  const std::string h = slurp(d + "/raw.h");
  fail_unless(header_of(h, "content-encoding").empty(), "%s", h.c_str());
  fail_unless(header_of(h, "vary").find("Accept-Encoding") == std::string::npos, "%s", h.c_str());
  const std::string body = slurp(d + "/raw");
  fail_unless(body.rfind("retry: ", 0) == 0 && body.find(kEos) != std::string::npos, "%.80s", body.c_str());
  p.release();
}
GST_END_TEST;

static Suite *compression_suite(void) {
  Suite *s = suite_create("ssesink-compression");
  TCase *tc = tcase_create("general");
  tcase_set_timeout(tc, 120);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_gzip_clients_get_the_plain_events);
  tcase_add_test(tc, test_gzip_over_https);
  tcase_add_test(tc, test_compression_none);
  return s;
}

GST_CHECK_MAIN(compression);
