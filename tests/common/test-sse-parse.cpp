/* Unit tests for the shared wire parsers (sse-parse.h) of the load client
 * and the C++ tests' SSE client: every input is also fed split at every byte
 * position, as read() may split it. */
#include "sse-parse.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace sseparse;

namespace {

int failures = 0;

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      std::fprintf(stderr, "%s:%d: CHECK(%s)\n", __FILE__, __LINE__, #cond); \
      failures++;                                                            \
    }                                                                        \
  } while (0)

std::string b64(const std::string &in) {
  static const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += a[v >> 18];
    out += a[(v >> 12) & 63];
    out += a[(v >> 6) & 63];
    out += a[v & 63];
  }
  if (in.size() - i == 1) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += a[v >> 18];
    out += a[(v >> 12) & 63];
    out += "==";
  } else if (in.size() - i == 2) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += a[v >> 18];
    out += a[(v >> 12) & 63];
    out += a[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string media(uint64_t seq, bool key, int64_t ts, size_t payload) {
  std::string id = std::to_string(seq);
  return "id: " + id + "\ndata: {\"seq\":" + id + ",\"key\":" + (key ? "true" : "false") +
         ",\"pts\":null,\"ts\":" + std::to_string(ts) + ",\"data\":\"" + b64(std::string(payload, 'x')) + "\"}\n\n";
}

struct Seen {
  std::string type;
  bool has_id, id_other;
  uint64_t id, seq;
  bool key;
  int64_t ts;
  uint64_t payload;
  bool payload_ok;
};

std::vector<Seen> parse_sse(const std::string &text, size_t split, int *comments, uint64_t *malformed) {
  SseParser p;
  std::vector<Seen> out;
  *comments = 0;
  auto on_event = [&](const SseEvent &e) {
    out.push_back({std::string(e.type), e.has_id, e.id_other, e.id, e.json.seq, e.json.key, e.json.ts, e.payload_size,
                   e.payload_ok});
  };
  auto on_comment = [&] { ++*comments; };
  if (split == 0) {
    p.feed(text.data(), text.size(), on_event, on_comment);
  } else {
    for (size_t i = 0; i < text.size(); i += split)
      p.feed(text.data() + i, std::min(split, text.size() - i), on_event, on_comment);
  }
  *malformed = p.malformed();
  return out;
}

void test_http_head() {
  HttpHead h;
  CHECK(parse_http_head("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n", &h));
  CHECK(h.status == 200 && h.chunked && h.content_type == "text/event-stream");
  HttpHead h2;
  CHECK(parse_http_head("HTTP/1.1 503 Service Unavailable\r\nretry-after: 2", &h2));
  CHECK(h2.status == 503 && !h2.chunked);
  HttpHead h3;
  CHECK(!parse_http_head("SSH-2.0-OpenSSH", &h3));
}

void test_chunked() {
  const std::string body = "hello, world\nsecond chunk\n";
  const std::string wire = "5\r\nhello\r\n8;ext=1\r\n, world\n\r\nD\r\nsecond chunk\n\r\n0\r\nTrailer: x\r\n\r\n";
  for (size_t split = 1; split <= wire.size(); split++) {
    ChunkedDecoder d;
    std::string got;
    bool ok = true;
    for (size_t i = 0; i < wire.size(); i += split)
      ok = ok && d.feed(wire.data() + i, std::min(split, wire.size() - i),
                        [&](const char *p, size_t n) { got.append(p, n); });
    CHECK(ok && got == body && d.done());
  }
  ChunkedDecoder bad;
  CHECK(!bad.feed("zz\r\n", 4, [](const char *, size_t) {}));
}

void test_json() {
  MediaJson j;
  parse_media_json("{\"seq\":42,\"key\":true,\"pts\":null,\"ts\":1700000000123456,\"data\":\"QUJD\"}", &j);
  CHECK(j.has_seq && j.seq == 42 && j.has_key && j.key && j.has_ts && j.ts == 1700000000123456);
  CHECK(j.has_data && j.data_closed && j.data_len == 4);
  /* Field order does not matter; strings with escaped quotes are skipped. */
  MediaJson k;
  parse_media_json("{ \"note\" : \"a \\\"b\\\" c\", \"ts\" : -5 , \"key\":false, \"seq\": 7 }", &k);
  CHECK(k.has_seq && k.seq == 7 && k.has_key && !k.key && k.ts == -5 && !k.has_data);
  /* A prefix: fields before the cut are read, the data is open. */
  MediaJson p;
  parse_media_json("{\"seq\":9,\"key\":false,\"ts\":12,\"data\":\"AAAA", &p);
  CHECK(p.seq == 9 && p.ts == 12 && p.has_data && !p.data_closed && p.data_start == 37);
  /* A number cut by the prefix is not taken. */
  MediaJson q;
  parse_media_json("{\"seq\":12", &q);
  CHECK(!q.has_seq);
}

void test_base64_size() {
  for (size_t n = 0; n < 20; n++) {
    const std::string t = b64(std::string(n, 'y'));
    CHECK(base64_decoded_size(t.size(), t.substr(t.size() >= 2 ? t.size() - 2 : 0)) == n);
  }
}

void test_sse() {
  std::string text = "retry: 2000\nevent: stream\ndata: {\"protocol\":1,\"caps\":\"video/mpegts\"}\n\n";
  text += media(100, true, 1000, 188 * 3);
  text += ": keepalive\n\n";
  text += media(101, false, 1001, 1000); /* longer than the kept prefix */
  text += media(103, false, 1002, 2);    /* padded */
  text += "id: 104\r\ndata: {\"seq\":104,\"key\":false,\"ts\":5,\"data\":\"QQ==\"}\r\n\r\n";
  text += "event: eos\ndata: {}\n\n";
  for (size_t split = 0; split <= 64; split++) {
    int comments = 0;
    uint64_t malformed = 0;
    auto ev = parse_sse(text, split, &comments, &malformed);
    CHECK(malformed == 0);
    CHECK(comments == 1);
    CHECK(ev.size() == 6);
    if (ev.size() != 6)
      continue;
    CHECK(ev[0].type == "stream");
    CHECK(ev[1].type.empty() && ev[1].has_id && ev[1].id == 100 && ev[1].seq == 100 && ev[1].key);
    CHECK(ev[1].ts == 1000 && ev[1].payload_ok && ev[1].payload == 188 * 3);
    CHECK(ev[2].id == 101 && !ev[2].key && ev[2].payload_ok && ev[2].payload == 1000);
    CHECK(ev[3].id == 103 && ev[3].payload == 2);
    CHECK(ev[4].id == 104 && ev[4].ts == 5 && ev[4].payload == 1);
    CHECK(ev[5].type == "eos");
  }
}

/* nchan relays our JSON with its own ids (`time:tag`), no `event: stream`,
 * a `: hi` comment first and no chunked coding; the ids are opaque, not
 * malformed, and the JSON seq is still read. */
void test_sse_nchan() {
  std::string text = ": hi\n\n";
  for (uint64_t seq = 1795675587840873; seq < 1795675587840876; seq++) {
    std::string m = media(seq, seq % 2 == 0, 1795675589862525, 100);
    m.replace(4, std::to_string(seq).size(), "1795675589:" + std::to_string(seq % 1000));
    text += m;
  }
  text += "id: \ndata: {\"seq\":5,\"key\":true,\"ts\":1,\"data\":\"QQ==\"}\n\n"; /* empty: opaque too */
  for (size_t split = 0; split <= 40; split++) {
    int comments = 0;
    uint64_t malformed = 0;
    auto ev = parse_sse(text, split, &comments, &malformed);
    CHECK(malformed == 0 && comments == 1);
    CHECK(ev.size() == 4);
    if (ev.size() != 4)
      continue;
    for (size_t k = 0; k < 3; k++) {
      CHECK(!ev[k].has_id && ev[k].id_other && ev[k].seq == 1795675587840873 + k);
      CHECK(ev[k].key == (k == 1) && ev[k].ts == 1795675589862525 && ev[k].payload_ok && ev[k].payload == 100);
    }
    CHECK(!ev[3].has_id && ev[3].id_other && ev[3].seq == 5);
  }
  /* ssesink's numeric ids stay numbers. */
  int comments = 0;
  uint64_t malformed = 0;
  auto ev = parse_sse(media(7, true, 1, 3), 0, &comments, &malformed);
  CHECK(ev.size() == 1 && ev[0].has_id && !ev[0].id_other && ev[0].id == 7);
}

/* Whole events, as the C++ tests' SSE client keeps them: data lines joined
 * by '\n', retry and id as sent, a block of `retry:` alone dispatched too;
 * the measuring is the same as with a prefix. */
void test_sse_whole_lines() {
  const std::string big = media(9, true, 3, 5000); /* one data line over kPrefix */
  std::string text = "retry: 2000\nevent: stream\ndata: {\"protocol\":1}\n\n";
  text += "data: one\r\ndata:two\ndata\nid: a:1\nfoo: bar\n\n";
  text += ": keepalive\n";
  text += "retry: 500\n\n";
  text += big;
  for (size_t split = 0; split <= 70; split++) {
    SseParser p(SseParser::kWholeLines);
    struct Got {
      std::string type, id, retry, data;
      bool has_retry, key;
      uint64_t payload;
    };
    std::vector<Got> ev;
    int comments = 0;
    auto on_event = [&](const SseEvent &e) {
      ev.push_back({std::string(e.type), std::string(e.id_text), std::string(e.retry), std::string(e.data), e.has_retry,
                    e.json.key, e.payload_size});
    };
    auto on_comment = [&] { comments++; };
    for (size_t i = 0; i < text.size(); i += split ? split : text.size())
      p.feed(text.data() + i, std::min(split ? split : text.size(), text.size() - i), on_event, on_comment);
    CHECK(p.malformed() == 0 && comments == 1);
    CHECK(ev.size() == 4);
    if (ev.size() != 4)
      continue;
    CHECK(ev[0].type == "stream" && ev[0].has_retry && ev[0].retry == "2000" && ev[0].data == "{\"protocol\":1}");
    CHECK(ev[1].type.empty() && ev[1].id == "a:1" && !ev[1].has_retry && ev[1].data == "one\ntwo\n");
    CHECK(ev[2].has_retry && ev[2].retry == "500" && ev[2].data.empty() && ev[2].id.empty());
    CHECK(ev[3].id == "9" && ev[3].key && ev[3].payload == 5000);
    CHECK("data: " + ev[3].data + "\n\n" == big.substr(big.find("data: ")));
  }
  /* With the default prefix, a long data line is cut, not kept whole. */
  SseParser p;
  size_t kept = 0;
  p.feed(
      big.data(), big.size(), [&](const SseEvent &e) { kept = e.data.size(); }, [] {});
  CHECK(kept > 0 && kept < SseParser::kPrefix);
}

void test_rai() {
  std::vector<uint8_t> ts(188 * 4, 0xff);
  for (int i = 0; i < 4; i++) {
    uint8_t *p = &ts[188 * i];
    p[0] = 0x47;
    p[1] = 0x01;
    p[2] = 0x00;
    p[3] = i == 2 ? 0x30 : 0x10; /* packet 2 has an adaptation field */
    p[4] = 7;
    p[5] = i == 2 ? 0x50 : 0x00; /* RAI + PCR flags */
  }
  for (size_t split = 1; split <= ts.size(); split += 7) {
    TsRaiScanner s;
    size_t found_at = 0;
    for (size_t i = 0; i < ts.size() && !s.found(); i += split) {
      if (s.feed(ts.data() + i, std::min(split, ts.size() - i)))
        found_at = i;
    }
    CHECK(s.found() && !s.lost_sync());
    CHECK(found_at <= 188 * 2 + 5 && found_at + split > 188 * 2 + 5);
  }
  TsRaiScanner junk;
  const uint8_t z[200] = {0};
  CHECK(!junk.feed(z, sizeof z) && junk.lost_sync());
}

}  // namespace

int main() {
  test_http_head();
  test_chunked();
  test_json();
  test_base64_size();
  test_sse();
  test_sse_nchan();
  test_sse_whole_lines();
  test_rai();
  if (failures) {
    std::fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  std::printf("all parser checks passed\n");
  return 0;
}
