/* Test streams made at test time: the MPEG-TS that a real pipeline
 * (videotestsrc ! encoder ! mpegtsmux ! appsink name=out) produces, as
 * mpegtsmux pushed it. Shared by the unit and element tests. */
#pragma once

#include <gst/app/gstappsink.h>
#include <gst/check/gstcheck.h>

#include <cstdint>
#include <string>
#include <vector>

inline namespace encoded_ts {

/* The buffers of @desc, a pipeline ending in "appsink name=out", until EOS;
 * the test fails on a pipeline error or when nothing came out. */
inline std::vector<std::vector<uint8_t>> encode_ts_buffers(const std::string &desc) {
  GError *err = nullptr;
  GstElement *p = gst_parse_launch(desc.c_str(), &err);
  fail_unless(p != nullptr, "%s: %s", desc.c_str(), err ? err->message : "?");
  g_clear_error(&err);
  GstElement *out = gst_bin_get_by_name(GST_BIN(p), "out");
  fail_unless(out != nullptr, "%s: no appsink named out", desc.c_str());
  fail_unless(gst_element_set_state(p, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE, "%s", desc.c_str());
  GstBus *bus = gst_element_get_bus(p);
  std::vector<std::vector<uint8_t>> bufs;
  for (;;) {
    GstSample *s = gst_app_sink_try_pull_sample(GST_APP_SINK(out), GST_SECOND / 10);
    if (!s) {
      if (gst_app_sink_is_eos(GST_APP_SINK(out)))
        break;
      if (GstMessage *m = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
        GError *e = nullptr;
        gst_message_parse_error(m, &e, nullptr);
        fail("%s: %s", desc.c_str(), e->message);
      }
      continue;
    }
    GstMapInfo map;
    GstBuffer *b = gst_sample_get_buffer(s);
    gst_buffer_map(b, &map, GST_MAP_READ);
    bufs.emplace_back(map.data, map.data + map.size);
    gst_buffer_unmap(b, &map);
    gst_sample_unref(s);
  }
  gst_element_set_state(p, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(out);
  gst_object_unref(p);
  fail_unless(!bufs.empty(), "%s: no output", desc.c_str());
  return bufs;
}

/* The same as one byte string. */
inline std::vector<uint8_t> encode_ts(const std::string &desc) {
  std::vector<uint8_t> ts;
  for (const auto &b : encode_ts_buffers(desc))
    ts.insert(ts.end(), b.begin(), b.end());
  return ts;
}

}  // namespace encoded_ts
