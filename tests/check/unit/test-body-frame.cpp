/* Unit tests for body-frame: a run of events goes out as one HTTP chunk (or
 * as it is, for a close-delimited body), byte-exact however the socket
 * splits the writes, and only event bytes are counted as written. */
#include <gst/check/gstcheck.h>

#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "body-frame.h"

using gstsse::BodyFrame;

namespace {

struct Ev {
  std::string text;
  const char *data() const { return text.data(); }
  size_t size() const { return text.size(); }
};
using EvPtr = std::shared_ptr<const Ev>;

struct Vec {
  const void *buffer;
  size_t size;
};

std::deque<EvPtr> events_of(const std::vector<std::string> &texts) {
  std::deque<EvPtr> q;
  for (const auto &t : texts)
    q.push_back(std::make_shared<const Ev>(Ev{t}));
  return q;
}

/* Writes @texts as one frame through a socket that takes at most @step
 * bytes per write, from at most @max_vecs vectors, the way the server does:
 * written events leave the in-flight list as the payload count says. */
std::string write_frame(const std::vector<std::string> &texts, bool chunked, bool last, size_t step, size_t max_vecs,
                        size_t *payload_counted, std::string_view prefix = {}, std::string_view suffix = {}) {
  std::deque<EvPtr> inflight = events_of(texts);
  size_t payload = 0;
  for (const auto &t : texts)
    payload += t.size();
  BodyFrame f;
  f.start(payload, chunked, last, prefix, suffix);
  size_t first_written = 0;
  std::string wire;
  *payload_counted = 0;
  int writes = 0;
  while (f.active()) {
    fail_unless(++writes < 100000, "frame never completes");
    Vec v[16];
    const size_t n = f.gather(inflight, first_written, v, max_vecs);
    fail_unless(n > 0 && n <= max_vecs);
    /* The socket takes a prefix of what it is offered. */
    size_t took = 0;
    for (size_t i = 0; i < n && took < step; i++) {
      const size_t k = std::min(v[i].size, step - took);
      wire.append(static_cast<const char *>(v[i].buffer), k);
      took += k;
    }
    size_t p = f.advance(took);
    *payload_counted += p;
    /* What ClientQueue::wrote() does with the payload count. */
    while (p > 0) {
      const size_t left = inflight.front()->size() - first_written;
      if (p < left) {
        first_written += p;
        break;
      }
      p -= left;
      first_written = 0;
      inflight.pop_front();
    }
  }
  fail_unless(inflight.empty());
  return wire;
}

}  // namespace

GST_START_TEST(test_chunk_framing) {
  const std::vector<std::string> one = {std::string(500, 'a')};
  size_t counted = 0;
  fail_unless(write_frame(one, true, false, 1 << 20, 16, &counted) == "1f4\r\n" + one[0] + "\r\n");
  fail_unless_equals_int(counted, 500);

  /* Several events: one chunk, sized by their sum. */
  const std::vector<std::string> three = {"id: 1\ndata: x\n\n", "id: 2\ndata: yy\n\n", ": keepalive\n\n"};
  const std::string joined = three[0] + three[1] + three[2];
  char size_line[32];
  g_snprintf(size_line, sizeof size_line, "%zx\r\n", joined.size());
  fail_unless(write_frame(three, true, false, 1 << 20, 16, &counted) == size_line + joined + "\r\n");
  fail_unless_equals_int(counted, joined.size());

  /* The last frame also ends the body. */
  fail_unless(write_frame(three, true, true, 1 << 20, 16, &counted) == size_line + joined + "\r\n0\r\n\r\n");
  fail_unless_equals_int(counted, joined.size());
}
GST_END_TEST;

GST_START_TEST(test_size_line_in_hex) {
  const struct {
    size_t n;
    const char *line;
  } cases[] = {{1, "1\r\n"}, {15, "f\r\n"}, {16, "10\r\n"}, {4096, "1000\r\n"}, {0xabcdef, "abcdef\r\n"}};
  for (const auto &c : cases) {
    BodyFrame f;
    f.start(c.n, true, false);
    fail_unless(f.head_left() == c.line, "%zu: %.*s", c.n, static_cast<int>(f.head_left().size()),
                f.head_left().data());
    fail_unless_equals_int(f.payload_left(), c.n);
    fail_unless(f.tail_left() == "\r\n");
  }
}
GST_END_TEST;

GST_START_TEST(test_close_delimited_is_unframed) {
  const std::vector<std::string> two = {"retry: 2000\nevent: stream\ndata: {}\n\n", "event: eos\ndata: {}\n\n"};
  size_t counted = 0;
  for (const bool last : {false, true}) {
    fail_unless(write_frame(two, false, last, 1 << 20, 16, &counted) == two[0] + two[1]);
    fail_unless_equals_int(counted, two[0].size() + two[1].size());
  }
  BodyFrame f;
  f.start(10, false, true);
  fail_unless(f.head_left().empty() && f.tail_left().empty() && f.last());
  fail_unless_equals_int(f.advance(10), 10);
  fail_unless(!f.active());
}
GST_END_TEST;

/* Every split of the writes, and few vectors per write, give the same
 * bytes; the event bytes counted are exactly the payload. */
GST_START_TEST(test_partial_writes_resume_exactly) {
  const std::vector<std::string> texts = {"id: 7\ndata: {\"seq\":7}\n\n", std::string(300, 'b'), "c", "dd\n\n"};
  size_t payload = 0;
  for (const auto &t : texts)
    payload += t.size();
  for (const bool chunked : {true, false})
    for (const bool last : {true, false}) {
      size_t counted = 0;
      const std::string whole = write_frame(texts, chunked, last, 1 << 20, 16, &counted);
      for (const size_t step : {1, 2, 3, 5, 7, 64, 299, 301})
        for (const size_t max_vecs : {1, 2, 3, 16}) {
          const std::string got = write_frame(texts, chunked, last, step, max_vecs, &counted);
          fail_unless(got == whole, "chunked %d last %d step %zu vecs %zu", chunked, last, step, max_vecs);
          fail_unless_equals_int(counted, payload);
        }
    }
}
GST_END_TEST;

GST_START_TEST(test_tail_waits_for_payload) {
  /* With room for only the head and one event, the tail is not offered. */
  auto q = events_of({"aaaa", "bbbb"});
  BodyFrame f;
  f.start(8, true, false);
  Vec v[2];
  fail_unless_equals_int(f.gather(q, 0, v, 2), 2);
  fail_unless_equals_int(v[0].size, 3); /* "8\r\n" */
  fail_unless_equals_int(v[1].size, 4);
  /* Head and the first event written: the rest, then the tail. */
  fail_unless_equals_int(f.advance(7), 4);
  q.pop_front();
  Vec w[4];
  fail_unless_equals_int(f.gather(q, 0, w, 4), 2);
  fail_unless(std::string(static_cast<const char *>(w[0].buffer), w[0].size) == "bbbb");
  fail_unless(std::string(static_cast<const char *>(w[1].buffer), w[1].size) == "\r\n");
  /* One byte of the tail, then the other. */
  fail_unless_equals_int(f.advance(5), 4);
  fail_unless(f.active() && f.tail_left() == "\n");
  fail_unless_equals_int(f.advance(1), 0);
  fail_unless(!f.active());
}
GST_END_TEST;

/* A gzip body's header and trailer go inside the frame's chunk, around the
 * events, and are never counted as event bytes, however the writes split. */
GST_START_TEST(test_prefix_and_suffix) {
  const std::vector<std::string> two = {"abc", "defgh"};
  const std::string head("\x1f\x8b\x08\0\0\0\0\0\0\xff", 10), trailer("TTTTTTTTTT", 10);
  for (size_t step = 1; step <= 40; step++) {
    size_t counted = 0;
    fail_unless(write_frame(two, true, true, step, 16, &counted, head, trailer) ==
                    "1c\r\n" + head + "abcdefgh" + trailer + "\r\n0\r\n\r\n",
                "step %zu", step);
    fail_unless_equals_int(counted, 8);
    fail_unless(write_frame(two, false, false, step, 2, &counted, head, {}) == head + "abcdefgh", "step %zu", step);
    fail_unless_equals_int(counted, 8);
  }
}
GST_END_TEST;

/* gather() with bytes_of: the events' other form (a gzip client's pieces). */
GST_START_TEST(test_gather_other_bytes) {
  std::deque<EvPtr> q = events_of({"plain-1", "plain-22"});
  const std::vector<std::string> other = {"XY", "Z"};
  BodyFrame f;
  f.start(3, true, false);
  Vec v[4];
  size_t i = 0;
  const size_t n = f.gather(q, 0, v, 4, [&](const EvPtr &) { return std::string_view(other[i++]); });
  fail_unless_equals_int(n, 4);
  std::string wire;
  for (size_t k = 0; k < n; k++)
    wire.append(static_cast<const char *>(v[k].buffer), v[k].size);
  fail_unless(wire == "3\r\nXYZ\r\n", "%s", wire.c_str());
}
GST_END_TEST;

static Suite *body_frame_suite(void) {
  Suite *s = suite_create("body-frame");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_chunk_framing);
  tcase_add_test(tc, test_size_line_in_hex);
  tcase_add_test(tc, test_close_delimited_is_unframed);
  tcase_add_test(tc, test_partial_writes_resume_exactly);
  tcase_add_test(tc, test_tail_waits_for_payload);
  tcase_add_test(tc, test_prefix_and_suffix);
  tcase_add_test(tc, test_gather_other_bytes);
  return s;
}

GST_CHECK_MAIN(body_frame);
