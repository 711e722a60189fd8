/* Unit tests for backlog.h: trimming by size and age, and the latest GOP
 * kept whole for joins, with synthetic events (no encoder needed). */
#include <gst/check/gstcheck.h>

#include <memory>

#include "backlog.h"

using namespace gstsse;

namespace {

struct FakeEvent {
  uint64_t seq;
  bool key;
  int64_t made_us;
  size_t bytes;
  size_t size() const { return bytes; }
};
using FakePtr = std::shared_ptr<const FakeEvent>;

/* Adds events @first..@last, each @bytes big and @step_us apart after
 * @t0_us; @key_every: every n-th id (counted from 0) is a key. */
void add_run(Backlog<FakePtr> &b, uint64_t first, uint64_t last, size_t bytes, int64_t t0_us, int64_t step_us,
             uint64_t key_every) {
  for (uint64_t s = first; s <= last; s++)
    b.add(std::make_shared<const FakeEvent>(
        FakeEvent{s, key_every && s % key_every == 0, t0_us + static_cast<int64_t>(s - first) * step_us, bytes}));
}

}  // namespace

GST_START_TEST(test_unbounded_keeps_all) {
  Backlog<FakePtr> b;
  fail_unless(b.empty());
  fail_unless_equals_uint64(b.first_seq(), 0);
  fail_unless_equals_uint64(b.latest_key_seq(), 0);
  add_run(b, 10, 19, 100, 0, 1000, 5);
  fail_unless_equals_uint64(b.size(), 10);
  fail_unless_equals_uint64(b.bytes(), 1000);
  fail_unless_equals_uint64(b.first_seq(), 10);
  fail_unless_equals_uint64(b.back_seq(), 19);
  fail_unless_equals_uint64(b.last_seq(), 19);
  fail_unless_equals_uint64(b.latest_key_seq(), 15);
  fail_unless(b.holds(15) && !b.holds(9) && !b.holds(20));
  fail_unless_equals_uint64(b[b.index_of(15)]->seq, 15);
}
GST_END_TEST;

GST_START_TEST(test_trim_by_size_keeps_latest_gop) {
  /* 1000 bytes allowed; GOPs of 4 events of 100 bytes. */
  Backlog<FakePtr> b(BacklogLimits{1000, 0});
  add_run(b, 0, 11, 100, 0, 1, 4);
  /* 1200 bytes: the two oldest go, down to the limit. */
  fail_unless_equals_uint64(b.bytes(), 1000);
  fail_unless_equals_uint64(b.first_seq(), 2);
  fail_unless_equals_uint64(b.latest_key_seq(), 8);

  /* One GOP larger than the limit: everything before its key goes, the GOP
   * itself stays although the total is over the limit. */
  Backlog<FakePtr> g(BacklogLimits{1000, 0});
  add_run(g, 0, 0, 100, 0, 1, 1); /* a key */
  add_run(g, 1, 3, 100, 0, 1, 0);
  g.add(std::make_shared<const FakeEvent>(FakeEvent{4, true, 10, 300}));
  add_run(g, 5, 9, 300, 10, 1, 0); /* the GOP from 4: 1800 bytes */
  fail_unless_equals_uint64(g.first_seq(), 4);
  fail_unless_equals_uint64(g.latest_key_seq(), 4);
  fail_unless_equals_uint64(g.bytes(), 1800);
  fail_unless(g.bytes() > 1000);
}
GST_END_TEST;

GST_START_TEST(test_gop_over_twice_the_limit_is_cut) {
  /* A stream that never sends another key: its GOP is cut once it alone is
   * over twice the limit, and joins then wait for the next key. */
  Backlog<FakePtr> b(BacklogLimits{1000, 0});
  add_run(b, 0, 20, 100, 0, 1, 1000); /* only 0 is a key */
  fail_unless(b.bytes() <= 2000);
  fail_unless_equals_uint64(b.latest_key_seq(), 0);
  fail_unless(b.first_seq() > 0);
  fail_unless_equals_uint64(b.back_seq(), 20);
  fail_unless_equals_uint64(b.last_seq(), 20);
  /* The next key is kept again. */
  b.add(std::make_shared<const FakeEvent>(FakeEvent{21, true, 21, 100}));
  fail_unless_equals_uint64(b.latest_key_seq(), 21);
}
GST_END_TEST;

GST_START_TEST(test_trim_by_age) {
  /* 10 ms allowed, one event per ms, a key every 4. */
  Backlog<FakePtr> b(BacklogLimits{0, 10000});
  add_run(b, 0, 30, 10, 0, 1000, 4);
  /* The newest is at 30 ms: what is older than 20 ms goes, except the GOP
   * of the latest key (28). */
  fail_unless_equals_uint64(b.first_seq(), 20);
  fail_unless_equals_uint64(b.latest_key_seq(), 28);

  /* A GOP longer than the age limit stays whole. */
  Backlog<FakePtr> g(BacklogLimits{0, 10000});
  add_run(g, 0, 50, 10, 0, 1000, 40); /* keys at 0 and 40 */
  fail_unless_equals_uint64(g.first_seq(), 40);
  add_run(g, 51, 70, 10, 51000, 1000, 0); /* no key: 40..70 spans 30 ms */
  fail_unless_equals_uint64(g.first_seq(), 40);
  fail_unless_equals_uint64(g.latest_key_seq(), 40);
}
GST_END_TEST;

GST_START_TEST(test_clear) {
  Backlog<FakePtr> b(BacklogLimits{1000, 0});
  add_run(b, 5, 9, 100, 0, 1, 5);
  b.clear();
  fail_unless(b.empty());
  fail_unless_equals_uint64(b.bytes(), 0);
  fail_unless_equals_uint64(b.latest_key_seq(), 0);
  fail_unless(!b.holds(5));
}
GST_END_TEST;

static Suite *backlog_suite(void) {
  Suite *s = suite_create("backlog");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_unbounded_keeps_all);
  tcase_add_test(tc, test_trim_by_size_keeps_latest_gop);
  tcase_add_test(tc, test_gop_over_twice_the_limit_is_cut);
  tcase_add_test(tc, test_trim_by_age);
  tcase_add_test(tc, test_clear);
  return s;
}

GST_CHECK_MAIN(backlog);
