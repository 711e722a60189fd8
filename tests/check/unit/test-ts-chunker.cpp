/* Unit tests for ts-chunker on real mpegtsmux output (the fixtures made at
 * build time from tests/fixtures/pipelines.txt, shared with web/test) and
 * on damaged copies of it. */
#include <gst/check/gstcheck.h>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <set>

#include "ts-chunker.h"
#include "ts-fixtures.h"

using namespace gstsse;

namespace {

constexpr int kFrames = 90;
constexpr int kGop = 30;

/* 90 frames of H.264 in TS (fixture "ball": kFrames, an IDR every kGop), as
 * mpegtsmux pushes them: one buffer per packet. */
std::vector<std::vector<uint8_t>> mux_output(const char *fixture = "ball") {
  return ts_fixture_packets(fixture);
}

std::vector<uint8_t> flat(const std::vector<std::vector<uint8_t>> &bufs) {
  std::vector<uint8_t> all;
  for (auto &b : bufs)
    all.insert(all.end(), b.begin(), b.end());
  return all;
}

/* Feeds @bufs one by one, as mpegtsmux pushed them, then flushes. */
std::vector<TsChunk> chunk_all(TsChunker &chunker, const std::vector<std::vector<uint8_t>> &bufs) {
  std::vector<TsChunk> chunks;
  for (auto &b : bufs)
    chunker.push(b.data(), b.size(), chunks);
  chunker.flush(chunks);
  return chunks;
}

uint16_t pid(const uint8_t *p) {
  return static_cast<uint16_t>(((p[1] & 0x1f) << 8) | p[2]);
}

void check_chunks(const std::vector<TsChunk> &chunks) {
  for (auto &c : chunks) {
    fail_unless(!c.data.empty() && c.data.size() % kTsPacketSize == 0);
    for (size_t off = 0; off < c.data.size(); off += kTsPacketSize)
      fail_unless_equals_int(c.data[off], 0x47);
    if (c.key) {
      fail_unless_equals_int(pid(c.data.data()), 0); /* PAT */
      fail_unless(c.pts_ns >= 0);
    }
  }
}

/* Continuity counters of every PID are continuous across all chunks. */
void check_continuity(const std::vector<TsChunk> &chunks) {
  int cc[8192];
  for (int &c : cc)
    c = -1;
  for (auto &c : chunks)
    for (size_t off = 0; off < c.data.size(); off += kTsPacketSize) {
      const uint8_t *p = c.data.data() + off;
      if (!(p[3] & 0x10) || pid(p) == 0x1fff)
        continue;
      const int v = p[3] & 0x0f;
      if (cc[pid(p)] >= 0)
        fail_unless_equals_int(v, (cc[pid(p)] + 1) & 0x0f);
      cc[pid(p)] = v;
    }
}

}  // namespace

GST_START_TEST(test_one_chunk_per_frame) {
  auto bufs = mux_output();
  TsChunker chunker;
  const auto chunks = chunk_all(chunker, bufs);
  check_chunks(chunks);
  check_continuity(chunks);
  int keys = 0, with_pts = 0;
  for (auto &c : chunks) {
    keys += c.key;
    with_pts += c.pts_ns >= 0;
  }
  fail_unless_equals_int(keys, kFrames / kGop);
  fail_unless(chunks[0].key);
  /* One frame per chunk: each frame's PES ends its chunk at once. */
  fail_unless_equals_int(with_pts, kFrames);
  fail_unless(chunks.size() <= kFrames + 1, "%zu chunks", chunks.size());
  fail_unless(chunker.primary_is_video());
  fail_unless_equals_int(chunker.stats().resyncs, 0);
}
GST_END_TEST;

GST_START_TEST(test_any_split_gives_same_chunks) {
  auto bufs = mux_output();
  const auto all = flat(bufs);
  TsChunker ref;
  std::vector<TsChunk> expected;
  ref.push(all.data(), all.size(), expected);
  ref.flush(expected);

  std::mt19937 rng(7);
  for (int trial = 0; trial < 5; trial++) {
    TsChunker chunker;
    std::vector<TsChunk> got;
    size_t off = 0;
    while (off < all.size()) {
      const size_t n = std::min<size_t>(1 + rng() % 3000, all.size() - off);
      chunker.push(all.data() + off, n, got);
      off += n;
    }
    chunker.flush(got);
    fail_unless_equals_int(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); i++) {
      fail_unless(got[i].data == expected[i].data, "chunk %zu differs", i);
      fail_unless(got[i].key == expected[i].key);
    }
  }
}
GST_END_TEST;

GST_START_TEST(test_key_chunks_get_psi_inserted) {
  /* With PAT/PMT only every 10 s, key chunks after the first carry copies. */
  auto bufs = mux_output("ball_sparse_psi");
  TsChunker chunker;
  const auto chunks = chunk_all(chunker, bufs);
  check_chunks(chunks);
  check_continuity(chunks);
  int keys = 0;
  for (auto &c : chunks)
    keys += c.key;
  fail_unless_equals_int(keys, kFrames / kGop);
}
GST_END_TEST;

GST_START_TEST(test_damaged_input_resyncs) {
  auto all = flat(mux_output());
  std::mt19937 rng(3);
  /* Junk between packets, a truncated packet, random bytes flipped. */
  std::vector<uint8_t> bad(all.begin(), all.begin() + 40 * 188);
  for (int i = 0; i < 500; i++)
    bad.push_back(static_cast<uint8_t>(rng()));
  bad.insert(bad.end(), all.begin() + 40 * 188, all.begin() + 80 * 188 + 100); /* cut mid-packet */
  bad.insert(bad.end(), all.begin() + 81 * 188, all.end());
  for (int i = 0; i < 20; i++)
    bad[rng() % bad.size()] ^= 0xff;

  TsChunker chunker;
  std::vector<TsChunk> chunks;
  for (size_t off = 0; off < bad.size(); off += 777)
    chunker.push(bad.data() + off, std::min<size_t>(777, bad.size() - off), chunks);
  chunker.flush(chunks);
  check_chunks(chunks);
  fail_unless(chunker.stats().resyncs >= 2, "resyncs %" G_GUINT64_FORMAT, chunker.stats().resyncs);
  fail_unless(chunker.stats().skipped_bytes >= 500);
  size_t packets = 0;
  for (auto &c : chunks)
    packets += c.data.size() / 188;
  fail_unless(packets >= all.size() / 188 - 25, "kept %zu of %zu packets", packets, all.size() / 188);

  /* Pure noise: no crash, nothing key. */
  TsChunker noise;
  std::vector<TsChunk> none;
  std::vector<uint8_t> junk(100000);
  for (auto &b : junk)
    b = static_cast<uint8_t>(rng() | 0x01); /* never 0x47... mostly */
  noise.push(junk.data(), junk.size(), none);
  noise.flush(none);
  for (auto &c : none)
    fail_if(c.key);
}
GST_END_TEST;

GST_START_TEST(test_unbounded_pes_waits_for_flush) {
  /* A large frame: PES_packet_length 0, so its end is not in the TS. */
  auto bufs = mux_output();
  TsChunker chunker;
  std::vector<TsChunk> chunks;
  /* Only the first GOP's IDR, the biggest frame; check flush() ends it. */
  for (auto &b : bufs)
    chunker.push(b.data(), b.size(), chunks);
  fail_unless(chunker.has_pending() || !chunks.empty());
  const size_t before = chunks.size();
  chunker.flush(chunks);
  fail_unless(!chunker.has_pending());
  fail_unless(chunks.size() >= before);
}
GST_END_TEST;

GST_START_TEST(test_large_frames) {
  /* Fixture "large": 4 IDR frames of 1080p noise, each over 64 KiB, so each
   * PES has PES_packet_length 0 and ends only where the next one starts. */
  const auto bufs = mux_output("large");
  TsChunker chunker;
  std::vector<TsChunk> chunks;
  for (auto &b : bufs)
    chunker.push(b.data(), b.size(), chunks);
  /* The last frame's end is not in the TS: it waits for flush(). */
  fail_unless(chunker.has_pending());
  chunker.flush(chunks);
  fail_if(chunker.has_pending());
  check_chunks(chunks);
  check_continuity(chunks);
  int keys = 0, with_pts = 0;
  size_t frame_bytes = 0, smallest_frame = SIZE_MAX;
  for (size_t i = 0; i < chunks.size(); i++) {
    keys += chunks[i].key;
    with_pts += chunks[i].pts_ns >= 0;
    /* A frame over max_chunk_bytes (512 KiB) is cut once a piece reaches
     * the limit (a key piece may hold the PAT/PMT copies beyond it): only
     * its first chunk carries the PTS. */
    fail_unless(chunks[i].data.size() < 512 * 1024 + (chunks[i].key ? 3 : 1) * kTsPacketSize, "chunk %zu: %zu bytes", i,
                chunks[i].data.size());
    if (i > 0 && chunks[i].pts_ns >= 0) {
      smallest_frame = std::min(smallest_frame, frame_bytes);
      frame_bytes = 0;
    }
    frame_bytes += chunks[i].data.size();
  }
  smallest_frame = std::min(smallest_frame, frame_bytes);
  fail_unless_equals_int(keys, 4);
  fail_unless_equals_int(with_pts, 4);
  fail_unless(smallest_frame > 65535, "a frame of %zu bytes", smallest_frame);
  fail_unless(chunks[0].key);
  fail_unless(chunker.primary_is_video());
  fail_unless_equals_int(chunker.stats().resyncs, 0);

  /* Without the size limit in the way: one chunk per frame. */
  TsChunker whole(64 << 20);
  const auto frames = chunk_all(whole, bufs);
  fail_unless_equals_int(frames.size(), 4);
  for (auto &c : frames)
    fail_unless(c.key && c.pts_ns >= 0 && c.data.size() > 65535);
}
GST_END_TEST;

GST_START_TEST(test_audio_and_b_frames) {
  /* Fixture "av": 60 frames, an IDR every 30, two B-frames, and AAC. */
  const auto bufs = mux_output("av");
  TsChunker chunker;
  const auto chunks = chunk_all(chunker, bufs);
  check_chunks(chunks);
  check_continuity(chunks);
  fail_unless(chunker.primary_is_video());
  fail_unless_equals_int(chunker.stats().resyncs, 0);
  int keys = 0;
  std::vector<int64_t> pts;
  for (auto &c : chunks) {
    keys += c.key;
    if (c.pts_ns >= 0)
      pts.push_back(c.pts_ns);
  }
  fail_unless_equals_int(keys, 2);
  /* One chunk per video frame, each with its frame's PTS: B-frames come
   * before the frame they follow in display order, and sorted, the PTS are
   * one frame (33.3 ms) apart. */
  fail_unless_equals_int(pts.size(), 60);
  fail_if(std::is_sorted(pts.begin(), pts.end()), "no frame reordered");
  std::sort(pts.begin(), pts.end());
  for (size_t i = 1; i < pts.size(); i++)
    fail_unless(std::llabs(pts[i] - pts[i - 1] - 33333333) < 1000000, "PTS step %" G_GINT64_FORMAT,
                pts[i] - pts[i - 1]);
  /* Every audio and video packet is in the chunks, in order (only PAT and
   * PMT copies are added). PES PIDs: those whose unit starts are 00 00 01. */
  std::set<uint16_t> pes_pids;
  for (auto &b : bufs)
    if ((b[1] & 0x40) && !(b[3] & 0x20) && b[4] == 0 && b[5] == 0 && b[6] == 1)
      pes_pids.insert(pid(b.data()));
  fail_unless_equals_int(pes_pids.size(), 2);
  std::vector<uint8_t> in, out;
  auto es_packets = [&](const uint8_t *p, size_t n, std::vector<uint8_t> &to) {
    for (size_t off = 0; off < n; off += kTsPacketSize)
      if (pes_pids.count(pid(p + off)))
        to.insert(to.end(), p + off, p + off + kTsPacketSize);
  };
  for (auto &b : bufs)
    es_packets(b.data(), b.size(), in);
  for (auto &c : chunks)
    es_packets(c.data.data(), c.data.size(), out);
  fail_unless(!in.empty() && in == out, "%zu of %zu bytes of audio and video", out.size(), in.size());
}
GST_END_TEST;

static Suite *chunker_suite(void) {
  Suite *s = suite_create("ts-chunker");
  TCase *tc = tcase_create("general");
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_one_chunk_per_frame);
  tcase_add_test(tc, test_any_split_gives_same_chunks);
  tcase_add_test(tc, test_key_chunks_get_psi_inserted);
  tcase_add_test(tc, test_damaged_input_resyncs);
  tcase_add_test(tc, test_unbounded_pes_waits_for_flush);
  tcase_add_test(tc, test_large_frames);
  tcase_add_test(tc, test_audio_and_b_frames);
  return s;
}

GST_CHECK_MAIN(chunker);
