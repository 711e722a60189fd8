/* Microbenchmark of the per-chunk work on ssesink's streaming thread:
 * gstsse::encode_media_event (Base64 + JSON + SSE framing, once per chunk)
 * and base64_append alone, beside memcpy of the same bytes. Throughput is in
 * input (TS) bytes per second, so the three compare directly.
 * Sizes: 7 packets (a small P frame), 44 packets (a typical 2 Mbit/s frame),
 * 64 KiB (a key frame) and 512 KiB (the largest chunk). */
#include "event-encoder.h"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

std::vector<uint8_t> ts_bytes(size_t size) {
  std::vector<uint8_t> v(size);
  std::mt19937 rng(42);
  for (auto &b : v)
    b = static_cast<uint8_t>(rng());
  for (size_t i = 0; i < size; i += 188)
    v[i] = 0x47;
  return v;
}

void sizes(benchmark::internal::Benchmark *b) {
  for (int64_t s : {188 * 7, 188 * 44, 188 * 349, 188 * 2788})
    b->Arg(s);
}

void BM_EncodeMediaEvent(benchmark::State &state) {
  const auto in = ts_bytes(static_cast<size_t>(state.range(0)));
  gstsse::MediaEventFields f;
  f.seq = 1795666877402898;
  f.key = true;
  f.pts_ns = 3601003188888;
  f.ts_us = 1795666877412345;
  for (auto _ : state) {
    std::string ev = gstsse::encode_media_event(f, in.data(), in.size());
    benchmark::DoNotOptimize(ev.data());
    f.seq++;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_EncodeMediaEvent)->Apply(sizes);

void BM_Base64Append(benchmark::State &state) {
  const auto in = ts_bytes(static_cast<size_t>(state.range(0)));
  std::string out;
  out.reserve(gstsse::base64_length(in.size()));
  for (auto _ : state) {
    out.clear();
    gstsse::base64_append(out, in.data(), in.size());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Base64Append)->Apply(sizes);

/* The floor: copying the chunk once into a fresh buffer, as any sink that
 * keeps its own copy would. */
void BM_Memcpy(benchmark::State &state) {
  const auto in = ts_bytes(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    std::string out(in.size(), '\0');
    std::memcpy(out.data(), in.data(), in.size());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Memcpy)->Apply(sizes);

}  // namespace

BENCHMARK_MAIN();
