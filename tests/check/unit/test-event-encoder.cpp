/* Unit tests for event-encoder: Base64 against GLib's, JSON through
 * json-glib, SSE framing as the EventSource parser reads it. */
#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>

#include <random>

#include "event-encoder.h"

using namespace gstsse;

GST_START_TEST(test_base64_matches_glib) {
  std::mt19937 rng(42);
  for (size_t size = 0; size < 700; size++) {
    std::vector<uint8_t> data(size);
    for (auto &b : data)
      b = static_cast<uint8_t>(rng());
    std::string ours;
    base64_append(ours, data.data(), data.size());
    gchar *theirs = g_base64_encode(data.data(), data.size());
    fail_unless_equals_string(ours.c_str(), theirs);
    fail_unless_equals_int(ours.size(), base64_length(size));
    g_free(theirs);
  }
}
GST_END_TEST;

GST_START_TEST(test_media_event_round_trip) {
  std::vector<uint8_t> ts(188 * 3);
  for (size_t i = 0; i < ts.size(); i++)
    ts[i] = static_cast<uint8_t>(i * 7);
  MediaEventFields f;
  f.seq = 1795666877402898ull;
  f.key = true;
  f.pts_ns = 3601003188888;
  f.ts_us = 1764130000123456;
  const std::string wire = encode_media_event(f, ts.data(), ts.size());

  /* Frame: "id: N\ndata: JSON\n\n", one data line. */
  const std::string head = "id: 1795666877402898\ndata: ";
  fail_unless(wire.compare(0, head.size(), head) == 0, "%s", wire.substr(0, 60).c_str());
  fail_unless(wire.size() > 2 && wire.substr(wire.size() - 2) == "\n\n");
  const std::string json = wire.substr(head.size(), wire.size() - head.size() - 2);
  fail_unless(json.find('\n') == std::string::npos);

  JsonParser *parser = json_parser_new();
  fail_unless(json_parser_load_from_data(parser, json.c_str(), -1, nullptr));
  JsonObject *o = json_node_get_object(json_parser_get_root(parser));
  fail_unless_equals_uint64(json_object_get_int_member(o, "seq"), f.seq);
  fail_unless(json_object_get_boolean_member(o, "key"));
  fail_unless_equals_int64(json_object_get_int_member(o, "pts"), f.pts_ns);
  fail_unless_equals_int64(json_object_get_int_member(o, "ts"), f.ts_us);
  gsize n = 0;
  guchar *raw = g_base64_decode(json_object_get_string_member(o, "data"), &n);
  fail_unless(n == ts.size() && memcmp(raw, ts.data(), n) == 0);
  g_free(raw);
  g_object_unref(parser);

  f.key = false;
  f.pts_ns = -1;
  const std::string delta = encode_media_event(f, ts.data(), 188);
  fail_unless(delta.find("\"key\":false,\"pts\":null,") != std::string::npos, "%s", delta.c_str());
}
GST_END_TEST;

GST_START_TEST(test_json_string_escaping) {
  std::string out;
  json_append_string(out, "a\"b\\c\nd\te\x01/é");
  JsonParser *parser = json_parser_new();
  const std::string doc = "[" + out + "]";
  fail_unless(json_parser_load_from_data(parser, doc.c_str(), -1, nullptr));
  JsonArray *a = json_node_get_array(json_parser_get_root(parser));
  fail_unless_equals_string(json_array_get_string_element(a, 0), "a\"b\\c\nd\te\x01/é");
  fail_unless(out.find('\n') == std::string::npos);
  g_object_unref(parser);
}
GST_END_TEST;

GST_START_TEST(test_named_events_and_comments) {
  const std::string eos = encode_named_event("eos", "{}");
  const std::string comment = encode_comment("keepalive");
  const std::string retry = encode_retry(2500);
  fail_unless_equals_string(eos.c_str(), "event: eos\ndata: {}\n\n");
  fail_unless_equals_string(comment.c_str(), ": keepalive\n\n");
  fail_unless_equals_string(retry.c_str(), "retry: 2500\n");
}
GST_END_TEST;

GST_START_TEST(test_stream_json) {
  const std::string plain = stream_event_json("", 42, "/s");
  fail_unless_equals_string(plain.c_str(), "{\"protocol\":1,\"caps\":null,\"epoch\":42,\"path\":\"/s\"}");
  const std::string json = stream_event_json("video/mpegts, a=\"b\"", 7, "/x\"y");
  GError *err = nullptr;
  JsonNode *node = json_from_string(json.c_str(), &err);
  fail_unless(node != nullptr, "%s", err ? err->message : "");
  JsonObject *o = json_node_get_object(node);
  fail_unless_equals_string(json_object_get_string_member(o, "caps"), "video/mpegts, a=\"b\"");
  fail_unless_equals_string(json_object_get_string_member(o, "path"), "/x\"y");
  json_node_unref(node);
}
GST_END_TEST;

GST_START_TEST(test_find_data_field) {
  size_t off = 0, len = 0;
  MediaEventFields f;
  f.seq = 12;
  const uint8_t ts[3] = {1, 2, 3};
  const std::string media = encode_media_event(f, ts, sizeof ts);
  fail_unless(find_data_field(media, &off, &len));
  const std::string value = media.substr(off, len);
  fail_unless_equals_string(value.c_str(), "{\"seq\":12,\"key\":false,\"pts\":null,\"ts\":0,\"data\":\"AQID\"}");
  const std::string named = encode_retry(10) + encode_named_event("stream", "{\"a\":1}");
  fail_unless(find_data_field(named, &off, &len));
  fail_unless(named.substr(off, len) == "{\"a\":1}");
  /* Only at the start of a line, and the last line may lack its newline. */
  fail_unless(find_data_field("event: x\ndata: v", &off, &len));
  fail_unless_equals_uint64(off, 15);
  fail_unless_equals_uint64(len, 1);
  fail_unless(!find_data_field("id: 1 data: x\n\n", &off, &len));
  fail_unless(!find_data_field(encode_comment("data: x"), &off, &len));
  fail_unless(!find_data_field("", &off, &len));
}
GST_END_TEST;

GST_START_TEST(test_control_events) {
  const std::string eos = encode_eos_event();
  fail_unless_equals_string(eos.c_str(), "event: eos\ndata: {}\n\n");
  const std::string keepalive = encode_keepalive();
  fail_unless_equals_string(keepalive.c_str(), ": keepalive\n\n");
  const std::string gap = encode_gap_event(3, 4096, 10, 12);
  fail_unless_equals_string(gap.c_str(),
                            "event: gap\ndata: {\"dropped\":3,\"bytes\":4096,\"first\":10,\"last\":12}\n\n");
  const std::string reset = encode_reset_event("unknown", "12\"3", 99);
  fail_unless_equals_string(
      reset.c_str(), "event: reset\ndata: {\"reason\":\"unknown\",\"lastEventId\":\"12\\\"3\",\"epoch\":99}\n\n");
  /* The id the client sent is cut to 64 bytes. */
  const std::string cut = encode_reset_event("malformed", std::string(100, 'x'), 1);
  fail_unless(cut.find(std::string(64, 'x') + "\"") != std::string::npos);
  fail_unless(cut.find(std::string(65, 'x')) == std::string::npos);
}
GST_END_TEST;

static Suite *encoder_suite(void) {
  Suite *s = suite_create("event-encoder");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_base64_matches_glib);
  tcase_add_test(tc, test_media_event_round_trip);
  tcase_add_test(tc, test_json_string_escaping);
  tcase_add_test(tc, test_named_events_and_comments);
  tcase_add_test(tc, test_stream_json);
  tcase_add_test(tc, test_find_data_field);
  tcase_add_test(tc, test_control_events);
  return s;
}

GST_CHECK_MAIN(encoder);
