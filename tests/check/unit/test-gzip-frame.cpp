/* Unit tests for gzip-frame: per-event deflate pieces and stored blocks,
 * framed by the gzip header and trailer, inflate (zlib) to exactly the
 * plain SSE stream from every join point and for resumes, and the trailer's
 * CRC-32 and ISIZE are the plain bytes'. */
#include <gst/check/gstcheck.h>
#include <zlib.h>

#include <random>
#include <string>
#include <vector>

#include "event-encoder.h"
#include "gunzip.h"
#include "gzip-frame.h"

using namespace gstsse;

namespace {

/* Media events as the element makes them: TS-like bytes (sync bytes,
 * stuffing, noise) in the JSON of encode_media_event(). */
std::vector<std::string> media_events(size_t n) {
  std::mt19937 rng(7);
  std::vector<std::string> out;
  for (size_t i = 0; i < n; i++) {
    std::vector<uint8_t> ts(188 * (1 + rng() % 40));
    for (size_t p = 0; p < ts.size(); p++)
      ts[p] = p % 188 == 0 ? 0x47 : (p % 188 > 150 ? 0xff : static_cast<uint8_t>(rng()));
    MediaEventFields f;
    f.seq = 1000 + i;
    f.key = i % 5 == 0;
    f.pts_ns = static_cast<int64_t>(i) * 33333333;
    f.ts_us = 1700000000000000 + static_cast<int64_t>(i) * 33333;
    out.push_back(encode_media_event(f, ts.data(), ts.size()));
  }
  return out;
}

struct Body {
  std::string gz, plain;
  GzipTrailer trailer;
  void add(const GzipPiece &p, const std::string &plain_text) {
    gz += p.bytes;
    plain += plain_text;
    trailer.add(p.crc, plain_text.size());
  }
  std::string finish() {
    char t[GzipTrailer::kSize];
    trailer.write(t);
    return std::string(kGzipHeader, kGzipHeaderSize) + gz + std::string(t, sizeof t);
  }
};

}  // namespace

GST_START_TEST(test_every_join_point_inflates_to_the_plain_stream) {
  const auto events = media_events(24);
  std::vector<GzipPiece> pieces;
  for (const auto &e : events)
    pieces.push_back(deflate_event(e));
  const std::string prelude = encode_retry(2000) + encode_named_event("stream", "{\"protocol\":1}");
  for (size_t from = 0; from < events.size(); from++)
    for (size_t to = from; to <= events.size(); to++) {
      Body b;
      b.add(stored_blocks(prelude), prelude);
      for (size_t i = from; i < to; i++)
        b.add(pieces[i], events[i]);
      std::string out;
      fail_unless(gunzip(b.finish(), &out), "join %zu..%zu does not inflate", from, to);
      fail_unless(out == b.plain, "join %zu..%zu inflates to other bytes", from, to);
    }
}
GST_END_TEST;

GST_START_TEST(test_resume_with_gap_keepalive_and_eos) {
  const auto events = media_events(12);
  Body b;
  const std::string keepalive = encode_keepalive();
  const std::string gap = encode_gap_event(3, 9000, 1004, 1006);
  const std::string eos = encode_eos_event();
  /* A resume after id 1001: 1002, 1003, a keepalive, a gap over 1004-1006,
   * then 1007 on, and the eos event (deflated, as the pump makes it). */
  for (size_t i = 2; i < 4; i++)
    b.add(deflate_event(events[i]), events[i]);
  b.add(stored_blocks(keepalive), keepalive);
  b.add(stored_blocks(gap), gap);
  for (size_t i = 7; i < events.size(); i++)
    b.add(deflate_event(events[i]), events[i]);
  b.add(deflate_event(eos), eos);
  std::string out;
  fail_unless(gunzip(b.finish(), &out));
  fail_unless(out == b.plain);
}
GST_END_TEST;

GST_START_TEST(test_trailer_crc_and_isize) {
  const auto events = media_events(6);
  Body b;
  std::string all;
  for (const auto &e : events) {
    b.add(deflate_event(e, 1), e);
    all += e;
  }
  const uint32_t crc = static_cast<uint32_t>(
      crc32(crc32(0, Z_NULL, 0), reinterpret_cast<const Bytef *>(all.data()), static_cast<uInt>(all.size())));
  fail_unless_equals_uint64(b.trailer.crc(), crc);
  fail_unless_equals_uint64(b.trailer.length(), all.size());
  const std::string body = b.finish();
  const auto le32 = [&](size_t at) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
      v = (v << 8) | static_cast<uint8_t>(body[at + i]);
    return v;
  };
  fail_unless_equals_uint64(le32(body.size() - 8), crc);
  fail_unless_equals_uint64(le32(body.size() - 4), all.size());
  /* A body with nothing in it is an empty gzip member. */
  Body empty;
  std::string out = "x";
  fail_unless(gunzip(empty.finish(), &out) && out.empty());
  /* A wrong CRC is found by zlib: the test can fail. */
  std::string bad = body;
  bad[bad.size() - 8] ^= 1;
  fail_if(gunzip(bad, &out));
}
GST_END_TEST;

GST_START_TEST(test_pieces_are_independent_and_small) {
  const auto events = media_events(30);
  size_t plain = 0, packed = 0;
  for (const auto &e : events) {
    const GzipPiece p = deflate_event(e);
    plain += e.size();
    packed += p.bytes.size();
    /* Every piece ends a full flush: the empty stored block 00 00 ff ff. */
    fail_unless(p.bytes.size() >= 4 && p.bytes.compare(p.bytes.size() - 4, 4, std::string("\0\0\xff\xff", 4)) == 0);
    /* And alone (after the header) it inflates to its event. */
    Body b;
    b.add(p, e);
    std::string out;
    fail_unless(gunzip(b.finish(), &out) && out == e);
  }
  /* Base64 comes back through the Huffman stage: well under the plain size. */
  fail_unless(packed * 100 < plain * 85, "%zu of %zu bytes", packed, plain);
}
GST_END_TEST;

GST_START_TEST(test_stored_blocks_split_large_events) {
  std::string big(200000, 'a');
  for (size_t i = 0; i < big.size(); i += 7)
    big[i] = static_cast<char>('b' + i % 20);
  for (size_t size : {size_t{0}, size_t{1}, size_t{65535}, size_t{65536}, big.size()}) {
    const std::string plain = big.substr(0, size);
    const GzipPiece p = stored_blocks(plain);
    fail_unless_equals_uint64(p.bytes.size(), plain.size() + 5 * (size == 0 ? 1 : (size + 65534) / 65535));
    Body b;
    b.add(p, plain);
    std::string out;
    fail_unless(gunzip(b.finish(), &out) && out == plain, "size %zu", size);
  }
}
GST_END_TEST;

GST_START_TEST(test_accept_encoding) {
  fail_if(accepts_gzip(nullptr));
  fail_if(accepts_gzip(""));
  fail_unless(accepts_gzip("gzip"));
  fail_unless(accepts_gzip("gzip, deflate, br, zstd"));
  fail_unless(accepts_gzip("deflate,GZip;q=0.5"));
  fail_unless(accepts_gzip("x-gzip"));
  fail_unless(accepts_gzip("*"));
  fail_unless(accepts_gzip("br;q=1.0, gzip;q=0.001"));
  fail_if(accepts_gzip("identity"));
  fail_if(accepts_gzip("br, deflate"));
  fail_if(accepts_gzip("gzip;q=0"));
  fail_if(accepts_gzip("gzip; q=0.000, *"));
  fail_if(accepts_gzip("*;q=0"));
  fail_if(accepts_gzip("*, gzip;q=0"));
  fail_if(accepts_gzip("gzipx"));
}
GST_END_TEST;

static Suite *gzip_frame_suite(void) {
  Suite *s = suite_create("gzip-frame");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_every_join_point_inflates_to_the_plain_stream);
  tcase_add_test(tc, test_resume_with_gap_keepalive_and_eos);
  tcase_add_test(tc, test_trailer_crc_and_isize);
  tcase_add_test(tc, test_pieces_are_independent_and_small);
  tcase_add_test(tc, test_stored_blocks_split_large_events);
  tcase_add_test(tc, test_accept_encoding);
  return s;
}

GST_CHECK_MAIN(gzip_frame);
