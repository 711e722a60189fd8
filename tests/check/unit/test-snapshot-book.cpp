/* Unit tests for snapshot-book: ?width= parsing, the TS of a key chunk and
 * its codec, and the bookkeeping that keeps snapshots at one decode per key
 * frame. */
#include <gst/check/gstcheck.h>

#include "event.h"
#include "snapshot-book.h"
#include "ts-fixtures.h"

using namespace gstsse;
using Reply = SnapshotBook::Reply;

#define expect_string(got, want)                     \
  do {                                               \
    const std::string got_ = (got);                  \
    fail_unless_equals_string(got_.c_str(), (want)); \
  } while (0)

constexpr int64_t kIdle = 10 * 1000 * 1000;

GST_START_TEST(test_width_parsing) {
  unsigned w = 99;
  std::string err;
  fail_unless(parse_snapshot_width(nullptr, &w, &err) && w == 0);
  fail_unless(parse_snapshot_width("320", &w, &err) && w == 320);
  fail_unless(parse_snapshot_width("16", &w, &err) && w == 16);
  fail_unless(parse_snapshot_width("4096", &w, &err) && w == 4096);
  for (const char *bad :
       {"", "0", "15", "4097", "99999", "123456", "-5", "+320", " 320", "320 ", "32px", "3.2e2", "0x140", "abc"}) {
    err.clear();
    fail_if(parse_snapshot_width(bad, &w, &err), "\"%s\" accepted", bad);
    fail_unless(err.find("16 to 4096") != std::string::npos, "%s: %s", bad, err.c_str());
  }
  fail_unless_equals_int(scaled_height(320, 240, 100), 74); /* 75, made even */
  fail_unless_equals_int(scaled_height(1920, 1080, 640), 360);
  fail_unless_equals_int(scaled_height(1920, 1080, 16), 8);
  fail_unless_equals_int(scaled_height(4000, 2, 16), 2); /* never below 2 */
  fail_unless_equals_int(scaled_height(320, 240, 0), 240);
  expect_string(snapshot_path("/stream"), "/stream/snapshot.jpg");
  expect_string(snapshot_path("/cam/1/"), "/cam/1/snapshot.jpg");
  expect_string(snapshot_path("/"), "/snapshot.jpg");
}
GST_END_TEST;

/* The TS bytes of a media event come back out of its wire text, and the
 * codec of a fixture's first packets (PAT and PMT) is read. */
GST_START_TEST(test_key_chunk_ts_and_codec) {
  const std::vector<uint8_t> ts = ts_fixture("video");
  const std::vector<uint8_t> head(ts.begin(), ts.begin() + 188 * 8);
  MediaEventFields f;
  f.seq = 7;
  f.key = true;
  EventPtr ev = make_media_event(f, head.data(), head.size());
  size_t off = 0, len = 0;
  fail_unless(find_media_base64(ev->wire(), &off, &len));
  gsize n = 0;
  guchar *raw = g_base64_decode(std::string(ev->wire().substr(off, len)).c_str(), &n);
  fail_unless(n == head.size() && memcmp(raw, head.data(), n) == 0);
  g_free(raw);
  fail_if(find_media_base64("id: 1\ndata: {}\n\n", &off, &len));
  fail_if(find_media_base64(": keepalive\n\n", &off, &len));

  fail_unless(snapshot_codec(head.data(), head.size()) == SnapshotCodec::kH264);
  const std::vector<uint8_t> h265 = ts_fixture("h265");
  fail_unless(snapshot_codec(h265.data(), 188 * 8) == SnapshotCodec::kH265);
  const std::vector<uint8_t> junk(188 * 2, 0x47);
  fail_unless(snapshot_codec(junk.data(), junk.size()) == SnapshotCodec::kNone);
  fail_unless(snapshot_codec(head.data(), 100) == SnapshotCodec::kNone);
  expect_string(codec_parser(SnapshotCodec::kH265), "h265parse");
}
GST_END_TEST;

/* Many requests for one key frame: one job, every waiter answered by it;
 * then answered from the cache at once. */
GST_START_TEST(test_one_decode_for_many) {
  SnapshotBook b(kIdle, false);
  fail_unless(b.request(1, 0, 0, 0).reply == Reply::kNoKeyFrame);
  b.key_chunk(100, 0); /* nobody asked for long: no job */
  SnapshotJob job;
  fail_if(b.next_job(kIdle + 1, &job));
  for (uint64_t id = 2; id < 52; id++)
    fail_unless(b.request(id, 0, 100, kIdle + 2).reply == Reply::kWait);
  fail_unless(b.next_job(kIdle + 2, &job));
  fail_unless(job.seq == 100 && job.decode && job.widths == std::vector<unsigned>{0});
  fail_if(b.next_job(kIdle + 2, &job)); /* one at a time */
  const auto done = b.done(true, false, "", 320, 240, {0});
  fail_unless_equals_int(done.size(), 50);
  for (const auto &d : done)
    fail_unless(d.ok && d.width == 0);
  const auto a = b.request(60, 0, 100, kIdle + 3);
  fail_unless(a.reply == Reply::kReady && a.seq == 100);
  fail_if(b.next_job(kIdle + 3, &job));
  fail_unless_equals_uint64(b.counters().decodes, 1);
  fail_unless_equals_uint64(b.counters().from_cache, 1);
  fail_unless_equals_uint64(b.counters().waited, 50);
}
GST_END_TEST;

/* While asked for, each new key frame is decoded as it comes, with the
 * widths asked for before; idle, nothing is, and the cache may go. */
GST_START_TEST(test_active_decodes_each_key_frame) {
  SnapshotBook b(kIdle, false);
  SnapshotJob job;
  b.key_chunk(100, 0);
  fail_unless(b.request(1, 160, 100, 0).reply == Reply::kWait);
  fail_unless(b.next_job(0, &job) && job.decode && job.widths == (std::vector<unsigned>{0, 160}));
  fail_unless_equals_int(b.done(true, false, "", 320, 240, {0, 160}).size(), 1);
  fail_unless(b.request(2, 160, 100, 1).reply == Reply::kReady);
  fail_unless(b.request(3, 5000, 100, 1).reply == Reply::kReady); /* above the picture: the full size */
  fail_unless_equals_int(b.cached_width(320), 0);

  b.key_chunk(130, 1000);
  fail_unless(b.next_job(1000, &job) && job.seq == 130 && job.decode);
  fail_unless(job.widths == (std::vector<unsigned>{0, 160}));
  /* A request meanwhile waits for that decode, not the old picture. */
  fail_unless(b.request(4, 0, 130, 1001).reply == Reply::kWait);
  b.key_chunk(160, 1002); /* and another key frame while it runs */
  auto done = b.done(true, false, "", 320, 240, {0, 160});
  fail_unless(done.size() == 1 && done[0].id == 4);
  fail_unless(b.next_job(1003, &job) && job.seq == 160);
  b.done(true, false, "", 320, 240, {0, 160});
  fail_unless_equals_uint64(b.counters().decodes, 3);

  fail_if(b.idle(1001 + kIdle - 1));
  fail_unless(b.idle(1001 + kIdle));
  fail_unless_equals_int64(b.idle_at(), 1001 + kIdle);
  b.key_chunk(190, 1001 + kIdle);
  fail_if(b.next_job(1001 + kIdle, &job));
  b.reset_cache();
  fail_unless(b.cached_seq() == 0);
  /* Asked again: decoded again, at once. */
  fail_unless(b.request(5, 0, 190, 2 * kIdle).reply == Reply::kWait);
  fail_unless(b.next_job(2 * kIdle, &job) && job.seq == 190 && job.decode);
}
GST_END_TEST;

/* A new width of the cached picture is an encode without a decode; the
 * widths kept are bounded. */
GST_START_TEST(test_widths_encode_only_and_bounded) {
  SnapshotBook b(kIdle, false);
  SnapshotJob job;
  b.request(1, 0, 100, 0);
  b.next_job(0, &job);
  b.done(true, false, "", 1280, 720, {0});
  for (unsigned w = 100; w < 100 + kSnapshotMaxVariants + 2; w++) {
    fail_unless(b.request(w, w, 100, 1).reply == Reply::kWait);
    fail_unless(b.next_job(1, &job) && !job.decode && job.widths == std::vector<unsigned>{w});
    const auto done = b.done(true, false, "", 1280, 720, {w});
    fail_unless(done.size() == 1 && done[0].width == w);
  }
  const auto evicted = b.take_evicted();
  fail_unless(evicted == (std::vector<unsigned>{100, 101}));
  fail_unless(b.request(9, 100, 100, 2).reply == Reply::kWait); /* evicted: made again */
  fail_unless(b.request(9, 0, 100, 2).reply == Reply::kReady);  /* the full size always stays */
  fail_unless_equals_uint64(b.counters().decodes, 1);
}
GST_END_TEST;

/* No decoder: every waiter 503, then at once, sticky; a key frame that did
 * not decode is not retried, the next one is. */
GST_START_TEST(test_failures) {
  SnapshotBook b(kIdle, false);
  SnapshotJob job;
  b.request(1, 0, 100, 0);
  b.request(2, 0, 100, 0);
  b.next_job(0, &job);
  auto done = b.done(false, false, "corrupt", 0, 0, {});
  fail_unless(done.size() == 2 && !done[0].ok && !done[1].ok);
  fail_unless(b.request(3, 0, 100, 1).reply == Reply::kFailed);
  fail_if(b.next_job(1, &job));
  b.key_chunk(130, 2);
  fail_unless(b.next_job(2, &job) && job.seq == 130);
  done = b.done(false, true, "no H.264 decoder", 0, 0, {});
  fail_unless(b.unavailable());
  expect_string(b.reason(), "no H.264 decoder");
  fail_unless(b.request(4, 0, 130, 3).reply == Reply::kUnavailable);
  b.key_chunk(160, 4);
  fail_if(b.next_job(4, &job));
  fail_unless_equals_uint64(b.counters().unavailable, 4);
}
GST_END_TEST;

/* keep-warm: every key frame is decoded though nobody asks; stop() takes
 * the waiters. */
GST_START_TEST(test_warm_and_stop) {
  SnapshotBook b(kIdle, true);
  SnapshotJob job;
  b.key_chunk(100, 0);
  fail_unless(b.next_job(0, &job) && job.decode);
  b.done(true, false, "", 320, 240, {0});
  fail_unless(b.request(1, 0, 100, 100 * kIdle).reply == Reply::kReady);
  fail_unless_equals_int64(b.idle_at(), -1);
  fail_if(b.idle(100 * kIdle));
  b.key_chunk(130, 100 * kIdle);
  fail_unless(b.next_job(100 * kIdle, &job));
  fail_unless(b.request(2, 0, 130, 100 * kIdle).reply == Reply::kWait);
  fail_unless(b.take_waiters() == std::vector<uint64_t>{2});
}
GST_END_TEST;

static Suite *snapshot_book_suite(void) {
  Suite *s = suite_create("snapshot-book");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_width_parsing);
  tcase_add_test(tc, test_key_chunk_ts_and_codec);
  tcase_add_test(tc, test_one_decode_for_many);
  tcase_add_test(tc, test_active_decodes_each_key_frame);
  tcase_add_test(tc, test_widths_encode_only_and_bounded);
  tcase_add_test(tc, test_failures);
  tcase_add_test(tc, test_warm_and_stop);
  return s;
}

GST_CHECK_MAIN(snapshot_book);
