/* Unit tests for client-queue: the hard limit counts queued and in-flight
 * bytes; in-flight bytes are capped but one event always gets through. */
#include <gst/check/gstcheck.h>

#include "client-queue.h"

using gstsse::ClientQueue;

namespace {
struct Ev {
  size_t n;
  size_t size() const { return n; }
};
std::shared_ptr<const Ev> ev(size_t n) {
  return std::make_shared<const Ev>(Ev{n});
}
}  // namespace

GST_START_TEST(test_hard_limit_counts_unsent) {
  ClientQueue<Ev> q(1000, 300);
  fail_unless(q.push(ev(400)));
  fail_unless(q.push(ev(400)));
  fail_if(q.push(ev(300))); /* 1100 > 1000 */
  fail_unless_equals_int(q.unsent_bytes(), 800);
  auto first = q.pop_for_write();
  fail_unless(first && first->size() == 400); /* larger than in_flight_max, still goes */
  fail_unless(q.pop_for_write() == nullptr);  /* 400 in flight >= 300 */
  fail_unless_equals_int(q.unsent_bytes(), 800);
  fail_if(q.push(ev(300))); /* in-flight bytes count too */
  q.wrote(400);
  fail_unless(q.push(ev(300)));
  fail_unless_equals_int(q.unsent_bytes(), 700);
  fail_unless(q.pop_for_write() != nullptr);
  q.wrote(100);
  q.wrote(300);
  fail_unless_equals_int(q.in_flight_bytes(), 0);
  fail_unless(q.pop_for_write() != nullptr);
  fail_unless(q.empty());
}
GST_END_TEST;

GST_START_TEST(test_unlimited_and_direct_writes) {
  ClientQueue<Ev> q(0, 1000);
  for (int i = 0; i < 100; i++)
    fail_unless(q.push(ev(1000)));
  q.add_in_flight(50);
  fail_unless_equals_int(q.unsent_bytes(), 100050);
  fail_unless(q.pop_for_write() != nullptr); /* 50 in flight < 1000 */
  fail_unless(q.pop_for_write() == nullptr);
  q.wrote(5000); /* never goes negative */
  fail_unless_equals_int(q.in_flight_bytes(), 0);
  fail_unless_equals_int(q.queued_events(), 99);
}
GST_END_TEST;

static Suite *queue_suite(void) {
  Suite *s = suite_create("client-queue");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_hard_limit_counts_unsent);
  tcase_add_test(tc, test_unlimited_and_direct_writes);
  return s;
}

GST_CHECK_MAIN(queue);
