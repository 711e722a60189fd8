/* Unit tests for the multiplexed endpoint's pure parts: the mux id
 * (encode, decode, escapes, the size bound), the paths list, and the
 * tagged wire text (event-encoder.h). */
#include <gst/check/gstcheck.h>

#include "event-encoder.h"
#include "mux-id.h"

using namespace gstsse;

/* fail_unless_equals_string() on a std::string result (a temporary's
 * c_str() would be gone when the macro reads it). */
#define expect_str(got, want)                        \
  do {                                               \
    const std::string got_ = (got);                  \
    fail_unless_equals_string(got_.c_str(), (want)); \
  } while (0)

GST_START_TEST(test_mux_id_round_trip) {
  const std::vector<MuxPosition> in = {{"/cam1", 1795666877402898}, {"/a b;c=d%e", 7}, {"/caf\xc3\xa9", 1}};
  const std::string id = encode_mux_id(in);
  expect_str(id, "m1;/cam1=1795666877402898;/a%20b%3Bc%3Dd%25e=7;/caf%C3%A9=1");
  std::vector<MuxPosition> out;
  fail_unless(decode_mux_id(id, &out));
  fail_unless_equals_int(out.size(), 3);
  for (size_t i = 0; i < in.size(); i++) {
    fail_unless(out[i].path == in[i].path, "%s", out[i].path.c_str());
    fail_unless_equals_uint64(out[i].seq, in[i].seq);
  }
  /* No stream has sent media yet. */
  expect_str(encode_mux_id({}), "m1");
  fail_unless(decode_mux_id("m1", &out) && out.empty());
  /* Lower-case escapes are read too. */
  fail_unless(decode_mux_id("m1;/a%3bb=5", &out) && out.size() == 1 && out[0].path == "/a;b");
}
GST_END_TEST;

GST_START_TEST(test_mux_id_malformed) {
  const char *bad[] = {
      "",
      "m2",
      "m1;",
      "m1;/a",
      "m1;/a=",
      "m1;/a=x",
      "m1;a=1",
      "m1;=1",
      "m1;/a=1;/a=2",
      "m1;/a=1;%2Fa=2",
      "m1;/a%zz=1",
      "m1;/a%2=1",
      "m1;/a%=1",
      "m1;/a b=1",
      "m1;/a=-1",
      "m1;/a=1 ",
      "m1 ;/a=1",
      "m1;/a=1;",
      "m1;/a=1;;",
      "x1;/a=1",
      "1795666877",
      "m1;/a=12345678901234567890",
      "m1;/\xc3\xa9=1",
  };
  std::vector<MuxPosition> out;
  for (const char *id : bad)
    fail_if(decode_mux_id(id, &out), "accepted \"%s\"", id);
  /* Over the bound. */
  std::string big = "m1;/" + std::string(kMaxMuxIdBytes, 'a') + "=1";
  fail_if(decode_mux_id(big, &out));
}
GST_END_TEST;

GST_START_TEST(test_mux_id_bound_drops_oldest) {
  std::vector<MuxPosition> in;
  for (int i = 0; i < 300; i++)
    in.push_back({"/camera-number-" + std::to_string(i), 1795666877402898ull + static_cast<uint64_t>(i)});
  const std::string id = encode_mux_id(in);
  fail_unless(id.size() <= kMaxMuxIdBytes, "%zu bytes", id.size());
  std::vector<MuxPosition> out;
  fail_unless(decode_mux_id(id, &out));
  fail_unless(!out.empty() && out.size() < in.size());
  /* The newest entries stay, in order. */
  fail_unless(out.back().path == in.back().path);
  for (size_t i = 0; i < out.size(); i++)
    fail_unless(out[i].path == in[in.size() - out.size() + i].path);
  /* A small bound keeps what fits. */
  expect_str(encode_mux_id({{"/a", 1}, {"/b", 2}}, 8), "m1;/b=2");
  expect_str(encode_mux_id({{"/a", 1}}, 3), "m1");
}
GST_END_TEST;

GST_START_TEST(test_mux_paths) {
  std::vector<std::string> out;
  std::string error;
  fail_unless(parse_mux_paths("", &out, &error) && out.empty());
  fail_unless(parse_mux_paths("/a,/b/hd", &out, &error));
  fail_unless(out == std::vector<std::string>({"/a", "/b/hd"}));
  fail_unless(parse_mux_paths(",/a,,/b,/a,", &out, &error));
  fail_unless(out == std::vector<std::string>({"/a", "/b"}));
  fail_if(parse_mux_paths("/a,b", &out, &error));
  fail_unless(error.find("\"b\"") != std::string::npos, "%s", error.c_str());
  std::string list;
  for (int i = 0; i < 64; i++)
    list += "/p" + std::to_string(i) + ",/p0,";
  fail_unless(parse_mux_paths(list, &out, &error)); /* 64, duplicates not counted */
  fail_unless_equals_int(out.size(), 64);
  fail_if(parse_mux_paths(list + "/p64", &out, &error));
  fail_unless(error.find("64") != std::string::npos, "%s", error.c_str());
}
GST_END_TEST;

GST_START_TEST(test_mux_wire_text) {
  expect_str(encode_mux_head("id: 1795666877402898\n", "/cam1"), "data: /cam1\n");
  expect_str(encode_mux_head("event: stream\n", "/cam1"), "event: stream\ndata: /cam1\n");
  expect_str(encode_mux_head("", "/x"), "data: /x\n");
  expect_str(encode_tagged_event("gap", "/a", "{}"), "event: gap\ndata: /a\ndata: {}\n\n");
  expect_str(encode_streams_event({"/a", "/q\"uote"}, {"/m"}),
             "event: streams\ndata: {\"protocol\":1,\"streams\":[\"/a\",\"/q\\\"uote\"],"
             "\"missing\":[\"/m\"]}\n\n");
  expect_str(encode_streams_event({}, {}), "event: streams\ndata: {\"protocol\":1,\"streams\":[],\"missing\":[]}\n\n");
}
GST_END_TEST;

static Suite *mux_id_suite(void) {
  Suite *s = suite_create("mux-id");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_mux_id_round_trip);
  tcase_add_test(tc, test_mux_id_malformed);
  tcase_add_test(tc, test_mux_id_bound_drops_oldest);
  tcase_add_test(tc, test_mux_paths);
  tcase_add_test(tc, test_mux_wire_text);
  return s;
}

GST_CHECK_MAIN(mux_id);
