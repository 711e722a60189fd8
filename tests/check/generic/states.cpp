/* Every state transition of ssesink, alone and in order, as upstream's
 * tests/check/generic/states.c does for all elements. */
#include <gst/check/gstcheck.h>

GST_START_TEST(test_state_changes_up_and_down_seq) {
  GstElement *sink = gst_element_factory_make("ssesink", nullptr);
  fail_unless(sink != nullptr);
  g_object_set(sink, "port", 0, nullptr);
  for (int round = 0; round < 3; round++) {
    const GstState up[] = {GST_STATE_READY, GST_STATE_PAUSED, GST_STATE_PLAYING};
    for (GstState s : up) {
      fail_if(gst_element_set_state(sink, s) == GST_STATE_CHANGE_FAILURE);
      gint port = 0;
      g_object_get(sink, "current-port", &port, nullptr);
      if (s != GST_STATE_READY)
        fail_unless(port > 0);
    }
    const GstState down[] = {GST_STATE_PAUSED, GST_STATE_READY, GST_STATE_NULL};
    for (GstState s : down)
      fail_if(gst_element_set_state(sink, s) == GST_STATE_CHANGE_FAILURE);
  }
  /* Straight jumps. */
  fail_if(gst_element_set_state(sink, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  fail_if(gst_element_set_state(sink, GST_STATE_NULL) == GST_STATE_CHANGE_FAILURE);
  gst_object_unref(sink);
}
GST_END_TEST;

static Suite *states_suite(void) {
  Suite *s = suite_create("states");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_state_changes_up_and_down_seq);
  return s;
}

GST_CHECK_MAIN(states);
