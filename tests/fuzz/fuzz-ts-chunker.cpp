/* libFuzzer target: TsChunker on arbitrary bytes, split at arbitrary
 * points. Chunks must be whole packets starting with the sync byte, and key
 * chunks must start with PAT, whatever the input. Every chunk also goes
 * through StreamProbe, as in ssesink, whose JSON must stay well formed. */
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "stream-info.h"
#include "ts-chunker.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  gstsse::TsChunker chunker(4096);
  std::vector<gstsse::TsChunk> out;
  /* The first byte picks the split size, so buffer boundaries vary too. */
  const size_t step = 1 + data[0] * 3;
  for (size_t off = 1; off < size; off += step) {
    const size_t n = off + step <= size ? step : size - off;
    chunker.push(data + off, n, out, (data[off] & 1) ? gstsse::KeyHint::kKey : gstsse::KeyHint::kUnknown);
  }
  chunker.flush(out);
  gstsse::StreamProbe probe;
  for (const auto &c : out) {
    if (probe.feed(c.data.data(), c.data.size(), c.key)) {
      const std::string &j = probe.json_fields();
      if (!j.empty() && (j.front() != '"' || j.back() != '}' || j.find('\n') != std::string::npos))
        abort();
      probe.info().description();
      probe.info().browser_warning();
    }
    if (c.data.empty() || c.data.size() % gstsse::kTsPacketSize != 0)
      abort();
    for (size_t i = 0; i < c.data.size(); i += gstsse::kTsPacketSize)
      if (c.data[i] != 0x47)
        abort();
    if (c.key && (((c.data[1] & 0x1f) << 8) | c.data[2]) != 0)
      abort();
  }
  return 0;
}
