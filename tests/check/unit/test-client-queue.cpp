/* Unit tests for client-queue: limits count queued and in-flight bytes and
 * the age of the oldest unsent event; the recover policies leave a stream
 * that still starts at a key chunk, announced by a gap event. */
#include <gst/check/gstcheck.h>

#include "client-queue.h"

using gstsse::ClientQueue;
using gstsse::GapInfo;
using gstsse::QueueLimits;
using gstsse::RecoverPolicy;

namespace {

struct Ev {
  size_t n;
  bool media;
  bool key;
  uint64_t seq;
  int64_t made_us;
  size_t size() const { return n; }
  bool is_media() const { return media; }
};
using Q = ClientQueue<Ev>;
using EvPtr = std::shared_ptr<const Ev>;

uint64_t g_seq = 100;
EvPtr media(size_t n, bool key = false, int64_t made = 0) {
  return std::make_shared<const Ev>(Ev{n, true, key, g_seq++, made});
}
EvPtr control(size_t n) {
  return std::make_shared<const Ev>(Ev{n, false, false, 0, 0});
}

GapInfo g_last_gap;
EvPtr make_gap(const GapInfo &g) {
  g_last_gap = g;
  return std::make_shared<const Ev>(Ev{10, false, false, 1, 0});
}
bool is_gap(const EvPtr &e) {
  return e && !e->media && e->seq == 1;
}

QueueLimits limits(size_t soft, size_t hard, RecoverPolicy p) {
  QueueLimits l;
  l.soft_bytes = soft;
  l.hard_bytes = hard;
  l.policy = p;
  return l;
}

}  // namespace

GST_START_TEST(test_hard_limit_counts_unsent) {
  Q q(limits(0, 1000, RecoverPolicy::kNone), 300);
  fail_unless(q.push(media(400, true), 0) == Q::Result::kOk);
  fail_unless(q.push(media(400), 0) == Q::Result::kOk);
  auto first = q.pop_for_write();
  fail_unless(first && first->size() == 400); /* larger than in_flight_max, still goes */
  fail_unless(q.pop_for_write() == nullptr);  /* 400 in flight >= 300 */
  fail_unless_equals_int(q.unsent_bytes(), 800);
  fail_unless(q.push(media(300), 0) == Q::Result::kOverHardLimit); /* in-flight bytes count */
  q.wrote(150);
  fail_unless_equals_int(q.in_flight_bytes(), 250);
  fail_unless_equals_int(q.in_flight_events().size(), 1); /* what a writer resumes from */
  fail_unless(q.in_flight_events().front() == first);
  fail_unless_equals_int(q.front_written(), 150);
  q.wrote(250);
  fail_unless_equals_int(q.in_flight_bytes(), 0);
  fail_unless(q.in_flight_events().empty());
  fail_unless_equals_int(q.front_written(), 0);
  fail_unless(q.check(0) == Q::Result::kOk);
  q.wrote(5000); /* more than handed out: never negative */
  fail_unless_equals_int(q.unsent_bytes(), 700);
}
GST_END_TEST;

GST_START_TEST(test_keyframe_policy_jumps_to_newest_key) {
  Q q(limits(1000, 0, RecoverPolicy::kKeyframe), 1 << 20, make_gap);
  q.push(media(300, true), 0);
  q.push(control(5), 0); /* e.g. a stream event: kept */
  q.push(media(300), 0);
  q.push(media(300), 0);
  auto k2 = media(300, true);
  q.push(k2, 0); /* 1205 > 1000: drop the three media before k2 */
  fail_unless_equals_int(q.dropped_events(), 3);
  fail_unless_equals_int(g_last_gap.events, 3);
  fail_unless_equals_int(g_last_gap.bytes, 900);
  auto a = q.pop_for_write();
  fail_unless(a && !a->media && !is_gap(a)); /* the control event, in order */
  fail_unless(is_gap(q.pop_for_write()));
  fail_unless(q.pop_for_write() == k2);
  fail_if(q.skipping());
}
GST_END_TEST;

GST_START_TEST(test_keyframe_policy_waits_for_next_key) {
  Q q(limits(1000, 0, RecoverPolicy::kKeyframe), 1 << 20, make_gap);
  q.push(media(300, true), 0);
  fail_unless(q.pop_for_write() != nullptr); /* 300 in flight */
  q.push(media(300), 0);
  q.push(media(300), 0);
  q.push(media(300), 0); /* 1200 > 1000, no key queued */
  fail_unless(q.skipping());
  fail_unless_equals_int(q.queued_events(), 0);
  q.push(media(300), 0); /* still a delta: dropped */
  fail_unless_equals_int(q.dropped_events(), 4);
  auto key = media(300, true);
  q.push(key, 0);
  fail_if(q.skipping());
  fail_unless(is_gap(q.pop_for_write()));
  fail_unless_equals_int(g_last_gap.events, 4);
  fail_unless(q.pop_for_write() == key);
}
GST_END_TEST;

GST_START_TEST(test_latest_policy_and_none) {
  Q latest(limits(1000, 0, RecoverPolicy::kLatest), 1 << 20, make_gap);
  latest.push(media(600, true), 0);
  latest.push(media(600), 0); /* 1200: drop all queued media */
  fail_unless_equals_int(latest.dropped_events(), 2);
  fail_unless(is_gap(latest.pop_for_write()));
  auto next = media(100);
  latest.push(next, 0);
  fail_unless(latest.pop_for_write() == next);

  Q none(limits(1000, 2000, RecoverPolicy::kNone), 1 << 20, make_gap);
  none.push(media(600, true), 0);
  fail_unless(none.push(media(600), 0) == Q::Result::kOk);
  fail_unless_equals_int(none.dropped_events(), 0);
  fail_unless(none.push(media(900), 0) == Q::Result::kOverHardLimit);
}
GST_END_TEST;

GST_START_TEST(test_lag_limits) {
  QueueLimits l = limits(0, 0, RecoverPolicy::kKeyframe);
  l.soft_lag_us = 1000;
  l.hard_lag_us = 5000;
  Q q(l, 1 << 20, make_gap);
  q.push(media(10, true, 0), 0);
  q.push(media(10, false, 100), 100);
  fail_unless_equals_int(q.lag_us(600), 600);
  fail_unless(q.check(600) == Q::Result::kOk);
  fail_unless_equals_int(q.dropped_events(), 0);
  auto k = media(10, true, 1500);
  fail_unless(q.push(k, 1500) == Q::Result::kOk); /* lag 1500 > 1000: jump to k */
  fail_unless_equals_int(q.dropped_events(), 2);
  fail_unless(is_gap(q.pop_for_write()));
  fail_unless(q.pop_for_write() == k); /* now in flight, never dropped */
  fail_unless(q.check(6000) == Q::Result::kOverHardLimit);
  q.wrote(10);
  fail_unless(q.check(6000) == Q::Result::kOk);
}
GST_END_TEST;

/* A gzip client's queue counts what its wire carries (the SizeFn: here a
 * quarter of each event), for limits, in-flight bytes, writes and drops. */
GST_START_TEST(test_size_fn_counts_wire_bytes) {
  Q q(limits(0, 1000, RecoverPolicy::kNone), 300, make_gap, [](const Ev &e) { return e.n / 4; });
  fail_unless(q.push(media(2000, true), 0) == Q::Result::kOk); /* 500 on the wire */
  fail_unless(q.push(media(1600), 0) == Q::Result::kOk);       /* 400 */
  fail_unless_equals_int(q.unsent_bytes(), 900);
  auto first = q.pop_for_write();
  fail_unless(first && q.in_flight_bytes() == 500 && q.pop_for_write() == nullptr);
  q.wrote(499);
  fail_unless_equals_int(q.front_written(), 499);
  q.wrote(1);
  fail_unless(q.in_flight_events().empty() && q.unsent_bytes() == 400);
  fail_unless(q.push(media(2800), 0) == Q::Result::kOverHardLimit); /* 400 + 700 > 1000 */
}
GST_END_TEST;

static Suite *queue_suite(void) {
  Suite *s = suite_create("client-queue");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_hard_limit_counts_unsent);
  tcase_add_test(tc, test_keyframe_policy_jumps_to_newest_key);
  tcase_add_test(tc, test_keyframe_policy_waits_for_next_key);
  tcase_add_test(tc, test_latest_policy_and_none);
  tcase_add_test(tc, test_lag_limits);
  tcase_add_test(tc, test_size_fn_counts_wire_bytes);
  return s;
}

GST_CHECK_MAIN(queue);
