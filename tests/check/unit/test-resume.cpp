/* Unit tests for resume: every kind of Last-Event-ID a client may send. */
#include <gst/check/gstcheck.h>

#include "resume.h"

using namespace gstsse;
using Kind = ResumeDecision::Kind;

static BacklogView view() {
  BacklogView b;
  b.run_first_seq = 1000;
  b.backlog_first = 1100;
  b.last_seq = 1200;
  return b;
}

GST_START_TEST(test_resume_within_backlog) {
  auto d = decide_resume("1150", view());
  fail_unless(d.kind == Kind::kResume);
  fail_unless_equals_uint64(d.next_seq, 1151);
  d = decide_resume("1099", view()); /* next one is the oldest kept */
  fail_unless(d.kind == Kind::kResume);
  fail_unless_equals_uint64(d.next_seq, 1100);
  d = decide_resume("1200", view()); /* up to date */
  fail_unless(d.kind == Kind::kResume);
  fail_unless_equals_uint64(d.next_seq, 1201);
  fail_unless(decide_resume("", view()).kind == Kind::kJoin);
}
GST_END_TEST;

GST_START_TEST(test_reset_reasons) {
  const struct {
    const char *id, *reason;
  } cases[] = {
      {"1098", "expired"},    {"1000", "expired"},    {"999", "previous-run"},
      {"0", "previous-run"},  {"1201", "unknown"},    {"9999999999999999999", "unknown"},
      {"abc", "malformed"},   {"-5", "malformed"},    {"12a", "malformed"},
      {" 1150", "malformed"}, {"1150 ", "malformed"}, {"1e3", "malformed"},
      {"+1150", "malformed"}, {"11.5", "malformed"},  {"99999999999999999999", "malformed"},
      {"0x10", "malformed"},
  };
  for (const auto &c : cases) {
    auto d = decide_resume(c.id, view());
    fail_unless(d.kind == Kind::kReset, "%s: not reset", c.id);
    fail_unless(std::string(d.reason) == c.reason, "%s: %s, expected %s", c.id, d.reason, c.reason);
  }
  const std::string overlong(5000, '7');
  fail_unless(std::string(decide_resume(overlong, view()).reason) == "malformed");
  /* Nothing published yet in this run. */
  BacklogView empty;
  empty.run_first_seq = 1000;
  fail_unless(std::string(decide_resume("1000", empty).reason) == "unknown");
}
GST_END_TEST;

static Suite *resume_suite(void) {
  Suite *s = suite_create("resume");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_resume_within_backlog);
  tcase_add_test(tc, test_reset_reasons);
  return s;
}

GST_CHECK_MAIN(resume);
