/* Unit tests for PublishQueue: what waits for the upstream, and what is
 * dropped when it cannot keep up. */
#include <gst/check/gstcheck.h>

#include <string>

#include "publish-queue.h"

using namespace gstsse;

namespace {

struct Item {
  int id = 0;
  size_t size = 100;
  bool media = true;
  bool key = false;
  int64_t made_us = 0;
};

Item media(int id, bool key, int64_t made_us = 0, size_t size = 100) {
  return Item{id, size, true, key, made_us};
}

Item control(int id) {
  return Item{id, 10, false, false, 0};
}

/* The ids left in the queue, in order, as "1,2,3". */
std::string ids_of(PublishQueue<Item> q) {
  std::string out;
  while (!q.empty()) {
    if (!out.empty())
      out += ",";
    out += std::to_string(q.take().id);
  }
  return out;
}

#define expect_ids(q, want)                                                       \
  do {                                                                            \
    const std::string got = ids_of(q);                                            \
    fail_unless(got == (want), "queue holds %s, expected %s", got.c_str(), want); \
  } while (0)

}  // namespace

GST_START_TEST(test_unbounded_keeps_order) {
  PublishQueue<Item> q;
  q.push(media(1, true), 0);
  q.push(control(2), 0);
  q.push(media(3, false), 0);
  fail_unless_equals_uint64(q.bytes(), 210);
  expect_ids(q, "1,2,3");
  fail_unless_equals_uint64(q.dropped(), 0);
}
GST_END_TEST;

GST_START_TEST(test_over_bytes_drops_to_next_key) {
  PublishQueue<Item> q({350, 0});
  q.push(media(1, true), 0);
  q.push(media(2, false), 0);
  q.push(media(3, true), 0);
  fail_unless_equals_uint64(q.push(media(4, false), 0), 2); /* 1 over the limit, 2 after it */
  expect_ids(q, "3,4");
  fail_unless_equals_uint64(q.dropped(), 2);
  fail_unless(!q.skipping_to_key());
}
GST_END_TEST;

GST_START_TEST(test_control_items_survive) {
  PublishQueue<Item> q({250, 0});
  q.push(media(1, true), 0);
  q.push(control(2), 0);
  q.push(media(3, false), 0);
  q.push(media(4, true), 0);
  expect_ids(q, "2,4");
}
GST_END_TEST;

GST_START_TEST(test_loss_without_key_skips_until_key) {
  PublishQueue<Item> q({150, 0});
  q.push(media(1, true), 0);
  q.push(media(2, false), 0); /* over: 1 goes, and 2 cannot be decoded without it */
  fail_unless(q.empty());
  fail_unless(q.skipping_to_key());
  fail_unless_equals_uint64(q.push(media(3, false, 0, 20), 0), 1);
  fail_unless(q.empty());
  q.push(control(4), 0); /* control items pass even then */
  q.push(media(5, true, 0, 20), 0);
  fail_unless(!q.skipping_to_key());
  q.push(media(6, false, 0, 20), 0);
  expect_ids(q, "4,5,6");
  fail_unless_equals_uint64(q.dropped(), 3);
}
GST_END_TEST;

GST_START_TEST(test_oversized_item_is_dropped) {
  PublishQueue<Item> q({1000, 0});
  q.push(media(1, true, 0, 100), 0);
  q.push(media(2, true, 0, 5000), 0);
  /* 1 is dropped first (oldest), then 2, still over on its own. */
  fail_unless(q.empty());
  fail_unless_equals_uint64(q.bytes(), 0);
  fail_unless(q.skipping_to_key());
}
GST_END_TEST;

GST_START_TEST(test_expired_items_go_at_trim) {
  PublishQueue<Item> q({0, 1000});
  q.push(media(1, true, 0), 0);
  q.push(media(2, false, 500), 500);
  q.push(media(3, true, 900), 900);
  q.push(media(4, false, 1000), 1000); /* 1 is 1000 old: at the limit, not over */
  fail_unless_equals_uint64(q.size(), 4);
  fail_unless_equals_uint64(q.trim(1400), 2); /* 1 is 1400 old, and 2 depends on it */
  expect_ids(q, "3,4");
}
GST_END_TEST;

GST_START_TEST(test_take_and_put_back) {
  PublishQueue<Item> q({1000, 0});
  q.push(media(1, true), 0);
  q.push(media(2, false), 0);
  Item x = q.take();
  fail_unless_equals_int(x.id, 1);
  fail_unless_equals_uint64(q.bytes(), 100);
  q.put_back(x);
  fail_unless_equals_uint64(q.bytes(), 200);
  expect_ids(q, "1,2");
  q.clear();
  fail_unless(q.empty());
  fail_unless_equals_uint64(q.bytes(), 0);
}
GST_END_TEST;

static Suite *publish_queue_suite(void) {
  Suite *s = suite_create("publish-queue");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_unbounded_keeps_order);
  tcase_add_test(tc, test_over_bytes_drops_to_next_key);
  tcase_add_test(tc, test_control_items_survive);
  tcase_add_test(tc, test_loss_without_key_skips_until_key);
  tcase_add_test(tc, test_oversized_item_is_dropped);
  tcase_add_test(tc, test_expired_items_go_at_trim);
  tcase_add_test(tc, test_take_and_put_back);
  return s;
}

GST_CHECK_MAIN(publish_queue);
