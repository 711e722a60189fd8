/* libFuzzer target: what a request to the multiplexed endpoint says, the
 * mux id (Last-Event-ID) and the paths list. Whatever decodes encodes
 * back to an id that decodes to the same positions. */
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mux-id.h"

using namespace gstsse;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  std::vector<MuxPosition> positions;
  if (decode_mux_id(text, &positions)) {
    const std::string again = encode_mux_id(positions);
    std::vector<MuxPosition> back;
    if (!decode_mux_id(again, &back) || back.size() != positions.size())
      abort();
    for (size_t i = 0; i < back.size(); i++)
      if (back[i].path != positions[i].path || back[i].seq != positions[i].seq)
        abort();
  }
  std::vector<std::string> paths;
  std::string error;
  if (parse_mux_paths(text, &paths, &error)) {
    if (paths.size() > kMaxMuxPaths)
      abort();
    for (const auto &p : paths)
      if (p.empty() || p[0] != '/')
        abort();
  } else if (error.empty()) {
    abort();
  }
  return 0;
}
