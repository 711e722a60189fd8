/* The multiplexed endpoint (GET /streams?paths=...): several ssesinks on
 * one port, read over one connection by a real libsoup client, compared
 * with single-stream clients of each path, and the joined TS of each
 * stream decoded by ffmpeg. docs/protocol.md, "Several streams on one
 * connection". */
#include <gio/gio.h>
#include <gst/check/gstcheck.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "sse-client.h"
#include "test-helpers.h"

namespace {

/* One event of a mux connection: its name, its stream's path (the first
 * data line), the rest of its data, and its id line if it had one. */
struct MuxEvent {
  std::string event, path, json, id;
};

bool next_mux(SseClient &c, MuxEvent *out) {
  SseEvent ev;
  while (c.next(&ev)) {
    if (ev.data.empty())
      continue; /* a comment */
    *out = MuxEvent{};
    out->event = ev.event;
    out->id = ev.id;
    if (ev.event == "streams") {
      out->json = ev.data;
      return true;
    }
    const size_t nl = ev.data.find('\n');
    fail_unless(nl != std::string::npos, "event %s without its path line: %.80s", ev.event.c_str(), ev.data.c_str());
    out->path = ev.data.substr(0, nl);
    out->json = ev.data.substr(nl + 1);
    return true;
  }
  return false;
}

/* What a mux connection received, per stream. */
struct MuxLog {
  std::map<std::string, std::vector<MediaFields>> media;
  std::map<std::string, std::vector<std::string>> media_json;
  std::map<std::string, std::vector<std::string>> named; /* event names, in order, media as "" */
  std::vector<std::string> ids;
  std::map<std::string, uint64_t> last_seq;

  /* Checks one event as it comes: tags, ids, per-stream order. */
  void take(const MuxEvent &e) {
    if (!e.id.empty()) {
      /* The checkpoint: m1, then each stream's last media seq so far. */
      fail_unless(e.id.rfind("m1", 0) == 0, "id %s", e.id.c_str());
      std::map<std::string, uint64_t> said;
      std::string rest = e.id.substr(2);
      while (!rest.empty()) {
        fail_unless(rest[0] == ';', "id %s", e.id.c_str());
        const size_t end = rest.find(';', 1);
        const std::string entry = rest.substr(1, end == std::string::npos ? std::string::npos : end - 1);
        const size_t eq = entry.rfind('=');
        said[entry.substr(0, eq)] = g_ascii_strtoull(entry.c_str() + eq + 1, nullptr, 10);
        rest = end == std::string::npos ? "" : rest.substr(end);
      }
      fail_unless(said == last_seq, "checkpoint %s does not say the last seqs received", e.id.c_str());
      ids.push_back(e.id);
    }
    named[e.path].push_back(e.event);
    if (e.event == "eos")
      last_seq.erase(e.path); /* an ended stream leaves the checkpoints */
    if (!e.event.empty())
      return;
    MediaFields f;
    std::string err;
    fail_unless(parse_media(e.json, &f, &err), "bad media JSON of %s: %s", e.path.c_str(), err.c_str());
    auto &list = media[e.path];
    if (list.empty())
      fail_unless(f.key, "%s: the first media event is not a key chunk", e.path.c_str());
    else
      fail_unless(f.seq == list.back().seq + 1, "%s: seq %" G_GUINT64_FORMAT " after %" G_GUINT64_FORMAT,
                  e.path.c_str(), f.seq, list.back().seq);
    last_seq[e.path] = f.seq;
    list.push_back(std::move(f));
    media_json[e.path].push_back(e.json);
  }
};

/* The JSON of every media event of @c by seq, until it has @upto. */
std::map<uint64_t, std::string> single_until(SseClient &c, uint64_t upto) {
  std::map<uint64_t, std::string> out;
  SseEvent ev;
  for (;;) {
    fail_unless(c.next_media(&ev), "single-stream client ended: %s", c.error().c_str());
    const uint64_t seq = g_ascii_strtoull(ev.id.c_str(), nullptr, 10);
    out[seq] = ev.data;
    if (seq >= upto)
      return out;
  }
}

std::string port_props(int port) {
  return "address=127.0.0.1 port=" + std::to_string(port);
}

}  // namespace

GST_START_TEST(test_mux_is_each_streams_events) {
  const int port = free_port();
  Pipe a = Pipe::video(30, port_props(port) + " path=/a");
  Pipe b = Pipe::video(30, port_props(port) + " path=/b");
  a.play();
  b.play();
  /* Joined before the mux client (their requests are answered), so they
   * get every seq it gets. */
  SseClient sa(port, "/a"), sb(port, "/b");

  SseClient m(port, "/streams?paths=/a,/b,/c");
  fail_unless_equals_int(m.status(), 200);
  expect_string(m.header("Content-Type"), "text/event-stream");
  /* libsoup asks for gzip, and decodes it: the checks below read it. */
  expect_string(m.header("Content-Encoding"), "gzip");
  SseEvent first;
  fail_unless(m.next(&first));
  expect_string(first.event, "streams");
  expect_string(first.retry, "2000");
  expect_string(first.data, "{\"protocol\":1,\"streams\":[\"/a\",\"/b\"],\"missing\":[\"/c\"]}");

  MuxLog log;
  MuxEvent e;
  while (log.media["/a"].size() < 45 || log.media["/b"].size() < 45) {
    fail_unless(next_mux(m, &e), "mux stream ended: %s", m.error().c_str());
    fail_unless(e.path == "/a" || e.path == "/b", "event of %s", e.path.c_str());
    log.take(e);
  }
  fail_unless(log.ids.size() >= 2, "%zu checkpoints", log.ids.size());
  for (const char *path : {"/a", "/b"}) {
    /* Each stream starts with its stream event, then media. */
    fail_unless(!log.named[path].empty() && log.named[path][0] == "stream", "%s starts with %s", path,
                log.named[path].empty() ? "nothing" : log.named[path][0].c_str());
    /* The same JSON as the stream's own clients get for those seqs. */
    SseClient &single = std::string(path) == "/a" ? sa : sb;
    const auto ref = single_until(single, log.media[path].back().seq);
    for (size_t i = 0; i < log.media[path].size(); i++) {
      const uint64_t seq = log.media[path][i].seq;
      auto it = ref.find(seq);
      fail_unless(it != ref.end(), "%s: seq %" G_GUINT64_FORMAT " not seen by a client of the path", path, seq);
      fail_unless(it->second == log.media_json[path][i], "%s: seq %" G_GUINT64_FORMAT " differs", path, seq);
    }
    expect_decodable(log.media[path]);
  }
  /* The wall page is pointed at the endpoint. */
  std::string page;
  fail_unless_equals_int(http_get(port, "/", &page), 200);
  fail_unless(page.find("<meta name=\"sse-mux\" content=\"/streams\">") != std::string::npos, "%.300s", page.c_str());
  /* One viewer in each stream. */
  guint n = 0;
  g_object_get(a.sink, "num-clients", &n, nullptr);
  fail_unless_equals_int(n, 2);
  m.close();
  sa.close();
  sb.close();
  a.release();
  b.release();
}
GST_END_TEST;

/* The positions a checkpoint id names. */
std::map<std::string, uint64_t> id_positions(const std::string &id) {
  std::map<std::string, uint64_t> said;
  std::string rest = id.substr(2);
  while (!rest.empty()) {
    const size_t end = rest.find(';', 1);
    const std::string entry = rest.substr(1, end == std::string::npos ? std::string::npos : end - 1);
    const size_t eq = entry.rfind('=');
    said[entry.substr(0, eq)] = g_ascii_strtoull(entry.c_str() + eq + 1, nullptr, 10);
    rest = end == std::string::npos ? "" : rest.substr(end);
  }
  return said;
}

GST_START_TEST(test_mux_resume_is_gapless) {
  const int port = free_port();
  Pipe a = Pipe::video(30, port_props(port) + " path=/a");
  Pipe b = Pipe::video(30, port_props(port) + " path=/b");
  a.play();
  b.play();
  SseClient sa(port, "/a"), sb(port, "/b");

  /* A first connection, dropped after some checkpoints. */
  MuxLog first;
  std::string last_id;
  {
    SseClient m(port, "/streams?paths=/a,/b");
    MuxEvent e;
    while (first.ids.size() < 4 || first.media["/a"].size() < 20 || first.media["/b"].size() < 20) {
      fail_unless(next_mux(m, &e), "mux stream ended: %s", m.error().c_str());
      first.take(e);
    }
    /* What EventSource would send: the last id received. */
    last_id = first.ids.back();
  }
  const auto pos = id_positions(last_id);
  fail_unless(pos.count("/a") && pos.count("/b"), "%s", last_id.c_str());
  /* Time passes: the streams go on without it. */
  std::map<std::string, std::map<uint64_t, std::string>> ref;
  ref["/a"] = single_until(sa, first.media["/a"].back().seq + 15);

  SseClient m(port, "/streams?paths=/a,/b", "GET", {{"Last-Event-ID", last_id}});
  fail_unless_equals_int(m.status(), 200);
  MuxLog second;
  MuxEvent e;
  while (second.media["/a"].size() < 30 || second.media["/b"].size() < 30) {
    fail_unless(next_mux(m, &e), "mux stream ended: %s", m.error().c_str());
    fail_unless(e.event != "reset", "resume got a reset for %s: %s", e.path.c_str(), e.json.c_str());
    /* Resumed media need not start at a key chunk: not take(). */
    if (e.event.empty()) {
      MediaFields f;
      std::string err;
      fail_unless(parse_media(e.json, &f, &err));
      second.media[e.path].push_back(std::move(f));
      second.media_json[e.path].push_back(e.json);
    }
  }
  for (const char *path : {"/a", "/b"}) {
    const auto &again = second.media[path];
    fail_unless_equals_uint64(again.front().seq, pos.at(path) + 1);
    /* De-duplicated by seq, the two connections make one gapless run,
     * the same bytes as a client that never left. */
    std::vector<MediaFields> joined = first.media[path];
    std::vector<std::string> json = first.media_json[path];
    for (size_t i = 0; i < again.size(); i++) {
      if (again[i].seq <= joined.back().seq)
        continue;
      fail_unless(again[i].seq == joined.back().seq + 1, "%s: gap after %" G_GUINT64_FORMAT, path, joined.back().seq);
      joined.push_back(again[i]);
      json.push_back(second.media_json[path][i]);
    }
    SseClient &single = std::string(path) == "/a" ? sa : sb;
    for (auto &kv : single_until(single, joined.back().seq))
      ref[path].insert(kv);
    for (size_t i = 0; i < joined.size(); i++) {
      auto it = ref[path].find(joined[i].seq);
      fail_unless(it != ref[path].end() && it->second == json[i], "%s: seq %" G_GUINT64_FORMAT " differs", path,
                  joined[i].seq);
    }
    expect_decodable(joined);
  }
  m.close();

  /* A malformed id: each stream gets its reset, then a key-frame join. A
   * position from before the run: that stream's reset; the stream not
   * named joins without one (lastEventId in the query works too). */
  for (const bool malformed : {true, false}) {
    SseClient r(port, malformed ? "/streams?paths=/a,/b" : "/streams?paths=/a,/b&lastEventId=m1%3B%2Fa%3D1", "GET",
                malformed ? std::vector<std::pair<std::string, std::string>>{{"Last-Event-ID", "1234"}}
                          : std::vector<std::pair<std::string, std::string>>{});
    MuxLog log;
    std::map<std::string, std::string> reset;
    while (log.media["/a"].size() < 3 || log.media["/b"].size() < 3) {
      fail_unless(next_mux(r, &e), "mux stream ended: %s", r.error().c_str());
      if (e.event == "reset") {
        fail_unless(log.media[e.path].empty(), "reset of %s after its media", e.path.c_str());
        reset[e.path] = e.json;
      }
      log.take(e); /* media start at a key chunk */
    }
    if (malformed) {
      fail_unless(reset.size() == 2, "%zu resets", reset.size());
      for (const auto &kv : reset)
        fail_unless(kv.second.find("\"reason\":\"malformed\",\"lastEventId\":\"1234\"") != std::string::npos, "%s",
                    kv.second.c_str());
    } else {
      fail_unless(reset.size() == 1 && reset.count("/a"), "%zu resets", reset.size());
      fail_unless(reset["/a"].find("\"reason\":\"previous-run\"") != std::string::npos, "%s", reset["/a"].c_str());
    }
  }
  sa.close();
  sb.close();
  a.release();
  b.release();
}
GST_END_TEST;

GST_START_TEST(test_mux_streams_come_and_go) {
  const int port = free_port();
  Pipe a = Pipe::video(30, port_props(port) + " path=/a");
  a.play();
  Recorder rec_b;
  SseClient m(port, "/streams");
  fail_unless_equals_int(m.status(), 200);
  SseEvent first;
  fail_unless(m.next(&first));
  expect_string(first.data, "{\"protocol\":1,\"streams\":[\"/a\"],\"missing\":[]}");
  MuxLog log;
  MuxEvent e;
  while (log.media["/a"].size() < 5) {
    fail_unless(next_mux(m, &e));
    log.take(e);
  }
  /* A stream added later: its stream event, then it joins at a key chunk. */
  Pipe b = Pipe::video(30, port_props(port) + " path=/b");
  rec_b.attach(b.sink);
  b.play();
  while (log.media["/b"].size() < 35) {
    fail_unless(next_mux(m, &e), "mux stream ended: %s", m.error().c_str());
    log.take(e);
  }
  fail_unless(log.named["/b"][0] == "stream", "/b starts with %s", log.named["/b"][0].c_str());
  expect_decodable(log.media["/b"]);
  fail_unless(rec_b.wait([&] { return rec_b.added.size() == 1; }), "client-added of /b");

  /* A stream removed: its eos, and the other goes on. */
  a.release();
  bool eos = false;
  const size_t b_before = log.media["/b"].size();
  while (!eos || log.media["/b"].size() < b_before + 10) {
    fail_unless(next_mux(m, &e), "mux stream ended: %s", m.error().c_str());
    log.take(e);
    if (e.event == "eos") {
      expect_string(e.path, "/a");
      expect_string(e.json, "{}");
      eos = true;
    }
  }
  m.close();
  fail_unless(rec_b.wait([&] { return rec_b.removed.size() == 1; }), "client-removed of /b");
  b.release();
}
GST_END_TEST;

/* One event block of a raw body: its name and data lines. */
struct RawEvent {
  std::string event, id;
  std::vector<std::string> data;
};

std::vector<RawEvent> parse_blocks(const std::string &text, size_t from) {
  std::vector<RawEvent> out;
  size_t pos = from;
  for (;;) {
    const size_t end = text.find("\n\n", pos);
    if (end == std::string::npos)
      break;
    RawEvent ev;
    size_t at = pos;
    while (at < end) {
      const size_t nl = std::min(text.find('\n', at), end);
      const std::string line = text.substr(at, nl - at);
      if (line.rfind("event: ", 0) == 0)
        ev.event = line.substr(7);
      else if (line.rfind("id: ", 0) == 0)
        ev.id = line.substr(4);
      else if (line.rfind("data: ", 0) == 0)
        ev.data.push_back(line.substr(6));
      at = nl + 1;
    }
    pos = end + 2;
    if (!ev.data.empty())
      out.push_back(std::move(ev));
  }
  return out;
}

/* A mux client that pauses: past the soft limit of the first stream it
 * asked for, every stream skips to its own next key chunk behind a tagged
 * gap, and what each then receives follows on without a hole the gap does
 * not announce. HTTP/1.0: the body is the event stream itself. */
GST_START_TEST(test_mux_slow_client_recovers) {
  const int port = free_port();
  Pipe a(noisy_pipeline(15, port_props(port) + " path=/a soft-max-client-bytes=150000 max-client-bytes=50000000 "
                                               "write-timeout=0"));
  Pipe b(noisy_pipeline(15, port_props(port) + " path=/b"));
  Recorder rec;
  rec.attach(a.sink);
  a.play();
  b.play();
  GSocket *s = raw_client(port, "GET /streams?paths=/a,/b HTTP/1.0\r\n\r\n");
  fail_unless(rec.wait([&] { return rec.added.size() == 1; }));
  const guint id = rec.added[0];
  SseClient normal(port, "/b");
  guint64 dropped = 0;
  for (int i = 0; i < 600 && dropped == 0; i++) {
    read_media(normal, 1); /* paced by the stream */
    GstStructure *st = nullptr;
    g_signal_emit_by_name(a.sink, "get-stats", id, &st);
    fail_unless(st != nullptr, "the slow mux client was disconnected instead of recovered");
    gst_structure_get_uint64(st, "events-dropped", &dropped);
    gst_structure_free(st);
  }
  fail_unless(dropped > 0);

  std::string text;
  char buf[65536];
  g_socket_set_timeout(s, 5);
  std::map<std::string, int> after_gap; /* media after each stream's first gap */
  for (;;) {
    const gssize n = g_socket_receive(s, buf, sizeof buf, nullptr, nullptr);
    fail_unless(n > 0, "stream ended while reading");
    text.append(buf, static_cast<size_t>(n));
    const size_t body = text.find("\r\n\r\n");
    if (body == std::string::npos)
      continue;
    std::map<std::string, uint64_t> next; /* the seq each stream continues with */
    std::map<std::string, bool> gapped;
    after_gap.clear();
    for (const RawEvent &ev : parse_blocks(text, body + 4)) {
      if (ev.event == "streams")
        continue;
      fail_unless(ev.data.size() == 2, "event %s with %zu data lines", ev.event.c_str(), ev.data.size());
      const std::string &path = ev.data[0];
      if (ev.event == "gap") {
        const uint64_t first = g_ascii_strtoull(strstr(ev.data[1].c_str(), "\"first\":") + 8, nullptr, 10);
        const uint64_t last = g_ascii_strtoull(strstr(ev.data[1].c_str(), "\"last\":") + 7, nullptr, 10);
        fail_unless(!next.count(path) || first == next[path],
                    "%s: gap from %" G_GUINT64_FORMAT ", expected %" G_GUINT64_FORMAT, path.c_str(), first, next[path]);
        next[path] = last + 1;
        gapped[path] = true;
        continue;
      }
      if (!ev.event.empty())
        continue;
      MediaFields f;
      std::string err;
      fail_unless(parse_media(ev.data[1], &f, &err), "%s", err.c_str());
      if (next.count(path))
        fail_unless(f.seq == next[path], "%s: seq %" G_GUINT64_FORMAT ", expected %" G_GUINT64_FORMAT, path.c_str(),
                    f.seq, next[path]);
      if (gapped[path] && !after_gap[path]++)
        fail_unless(f.key, "%s: the event after its gap is not a key chunk", path.c_str());
      next[path] = f.seq + 1;
    }
    if (after_gap["/a"] >= 20 && after_gap["/b"] >= 20)
      break;
  }
  read_media(normal, 10); /* the other client never noticed */
  g_object_unref(s);
  a.release();
  b.release();
}
GST_END_TEST;

/* Past the hard limit a mux client is closed as slow: one client, removed
 * from each stream it received. */
GST_START_TEST(test_mux_slow_client_dropped) {
  const int port = free_port();
  Pipe a(noisy_pipeline(30, port_props(port) + " path=/a recover-policy=none max-client-bytes=400000"));
  Pipe b(noisy_pipeline(30, port_props(port) + " path=/b"));
  Recorder ra, rb;
  ra.attach(a.sink);
  rb.attach(b.sink);
  a.play();
  b.play();
  GSocket *s = raw_client(port, "GET /streams?paths=/a,/b HTTP/1.1\r\nHost: x\r\n\r\n");
  fail_unless(ra.wait([&] { return ra.removed.size() == 1; }), "not dropped");
  fail_unless(rb.wait([&] { return rb.removed.size() == 1; }), "not dropped from /b");
  fail_unless_equals_int(ra.removed.begin()->second, 1); /* slow */
  fail_unless_equals_int(rb.removed.begin()->second, 1);
  guint n = 1;
  g_object_get(b.sink, "num-clients", &n, nullptr);
  fail_unless_equals_int(n, 0);
  g_object_unref(s);
  a.release();
  b.release();
}
GST_END_TEST;

/* Each stream's own admission: credentials, CORS and limits of every
 * stream asked for; the first refusal answers. */
GST_START_TEST(test_mux_admission) {
  const int port = free_port();
  const std::string cors = " cors-origin=http://wall.example";
  Pipe a = Pipe::video(30, port_props(port) + " path=/a auth-token=s1" + cors);
  Pipe b = Pipe::video(30, port_props(port) + " path=/b auth-token=s1" + cors);
  Pipe c = Pipe::video(30, port_props(port) + " path=/c auth-token=other max-clients=1");
  a.play();
  b.play();
  c.play();
  const std::vector<std::pair<std::string, std::string>> origin = {{"Origin", "http://wall.example"}};
  {
    SseClient r(port, "/streams?paths=/a,/b", "GET", origin);
    fail_unless_equals_int(r.status(), 401);
    expect_string(r.header("Access-Control-Allow-Origin"), "http://wall.example");
  }
  {
    SseClient r(port, "/streams?paths=/a,/b&token=wrong");
    fail_unless_equals_int(r.status(), 403);
  }
  {
    SseClient r(port, "/streams?paths=/a,/b&token=s1", "GET", origin);
    fail_unless_equals_int(r.status(), 200);
    expect_string(r.header("Access-Control-Allow-Origin"), "http://wall.example");
    MuxLog log;
    MuxEvent e;
    while (log.media["/a"].size() < 3 || log.media["/b"].size() < 3) {
      fail_unless(next_mux(r, &e));
      log.take(e);
    }
  }
  {
    /* Every stream: /c wants another token. */
    SseClient r(port, "/streams?token=s1");
    fail_unless_equals_int(r.status(), 403);
  }
  {
    /* /c has no CORS: the answer has none either. */
    SseClient r(port, "/streams?paths=/a,/c&token=s1", "GET", {{"Origin", "http://wall.example"}});
    fail_unless_equals_int(r.status(), 403); /* s1 is not /c's token */
    SseClient ok(port, "/streams?paths=/c&token=other", "GET", origin);
    fail_unless_equals_int(ok.status(), 200);
    expect_string(ok.header("Access-Control-Allow-Origin"), "");
    /* It is /c's one client: max-clients=1 refuses the next, single or mux. */
    SseClient more(port, "/streams?paths=/c&token=other");
    fail_unless_equals_int(more.status(), 503);
    fail_unless(!more.header("Retry-After").empty());
    SseClient single(port, "/c?token=other");
    fail_unless_equals_int(single.status(), 503);
  }
  {
    SseClient pre(port, "/streams?paths=/a", "OPTIONS", origin);
    fail_unless_equals_int(pre.status(), 204);
    expect_string(pre.header("Access-Control-Allow-Origin"), "http://wall.example");
  }
  a.release();
  b.release();
  c.release();
}
GST_END_TEST;

/* Every stream asked for by name has ended: the body ends after the last
 * tagged eos, a complete gzip body (libsoup checks its trailer). */
GST_START_TEST(test_mux_ends_with_its_streams) {
  const int port = free_port();
  Pipe a(
      "videotestsrc is-live=true num-buffers=60 ! video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! mpegtsmux ! ssesink name=sink " +
      port_props(port) + " path=/a");
  a.play();
  SseClient m(port, "/streams?paths=/a");
  fail_unless_equals_int(m.status(), 200);
  expect_string(m.header("Content-Encoding"), "gzip");
  MuxLog log;
  MuxEvent e, last;
  while (next_mux(m, &e)) {
    log.take(e);
    last = e;
  }
  fail_unless(m.ended_cleanly(), "the body did not end cleanly: %s", m.error().c_str());
  expect_string(last.event, "eos");
  expect_string(last.path, "/a");
  fail_unless(!log.media["/a"].empty());
  expect_decodable(log.media["/a"]);
  a.release();
}
GST_END_TEST;

GST_START_TEST(test_mux_requests) {
  const int port = free_port();
  Pipe a = Pipe::video(30, port_props(port) + " path=/a");
  a.play();
  {
    SseClient c(port, "/streams?paths=a");
    fail_unless_equals_int(c.status(), 400);
  }
  {
    std::string many;
    for (int i = 0; i < 65; i++)
      many += (i ? ",/p" : "/p") + std::to_string(i);
    SseClient c(port, "/streams?paths=" + many);
    fail_unless_equals_int(c.status(), 400);
  }
  {
    SseClient c(port, "/streams/x");
    fail_unless_equals_int(c.status(), 404);
  }
  {
    SseClient c(port, "/streams?paths=/a", "HEAD");
    fail_unless_equals_int(c.status(), 200);
    expect_string(c.header("Content-Type"), "text/event-stream");
  }
  {
    SseClient c(port, "/streams", "POST");
    fail_unless_equals_int(c.status(), 405);
  }
  {
    /* Only missing streams: 200, the prelude says so. */
    SseClient c(port, "/streams?paths=/nope");
    fail_unless_equals_int(c.status(), 200);
    SseEvent ev;
    fail_unless(c.next(&ev));
    expect_string(ev.data, "{\"protocol\":1,\"streams\":[],\"missing\":[\"/nope\"]}");
  }
  a.release();
  /* mux-path="" offers nothing; another mux path is another endpoint. */
  Pipe off = Pipe::video(30, port_props(port) + " path=/a mux-path=\"\"");
  off.play();
  {
    SseClient c(port, "/streams");
    fail_unless_equals_int(c.status(), 404);
  }
  Pipe walls = Pipe::video(30, port_props(port) + " path=/b mux-path=/wall");
  walls.play();
  {
    SseClient c(port, "/wall");
    fail_unless_equals_int(c.status(), 200);
    SseEvent ev;
    fail_unless(c.next(&ev));
    expect_string(ev.data, "{\"protocol\":1,\"streams\":[\"/b\"],\"missing\":[]}");
  }
  /* A stream path that is a mux path fails with a clear error. */
  Pipe dup = Pipe::video(30, port_props(port) + " path=/wall");
  fail_unless(gst_element_set_state(dup.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  const std::string text = bus_error_text(dup.pipeline);
  fail_unless(text.find("mux-path") != std::string::npos, "%s", text.c_str());
  dup.release();
  walls.release();
  off.release();
}
GST_END_TEST;

static Suite *ssesink_mux_suite() {
  Suite *s = suite_create("ssesink-mux");
  TCase *tc = tcase_create("mux");
  tcase_set_timeout(tc, 120);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_mux_is_each_streams_events);
  tcase_add_test(tc, test_mux_resume_is_gapless);
  tcase_add_test(tc, test_mux_streams_come_and_go);
  tcase_add_test(tc, test_mux_slow_client_recovers);
  tcase_add_test(tc, test_mux_slow_client_dropped);
  tcase_add_test(tc, test_mux_admission);
  tcase_add_test(tc, test_mux_ends_with_its_streams);
  tcase_add_test(tc, test_mux_requests);
  return s;
}

GST_CHECK_MAIN(ssesink_mux);
