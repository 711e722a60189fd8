/* What a request to the multiplexed endpoint says (docs/protocol.md,
 * "Several streams on one connection"): the mux id of Last-Event-ID, a
 * checkpoint of each stream's position, and the `paths` list.
 *
 * Owns the spelling of both: `m1` then `;<path>=<seq>` per stream, paths
 * percent-encoding `;`, `=`, `%`, space and anything outside printable
 * ASCII, at most kMaxMuxIdBytes; and `paths=/a,/b` (at most kMaxMuxPaths,
 * each with a leading `/`).
 *
 * Plain C++, no GLib. Both parse untrusted input, strictly, and are fuzzed
 * (tests/fuzz/fuzz-mux-id.cpp). Pure: any thread. */
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gstsse {

/* Longest mux id the server writes; longer ones are malformed. */
constexpr size_t kMaxMuxIdBytes = 4096;
/* Most paths one request may ask for. */
constexpr size_t kMaxMuxPaths = 64;

/* One stream's position: the last media seq the client has of @path. */
struct MuxPosition {
  std::string path;
  uint64_t seq = 0;
};

/* The mux id of @positions, oldest first: when it would be longer than
 * @max_bytes, the first (oldest) entries are left out until it fits. */
std::string encode_mux_id(const std::vector<MuxPosition> &positions, size_t max_bytes = kMaxMuxIdBytes);

/* Parses a mux id into @out (in its order); false when it is malformed:
 * not `m1`, an entry without `=`, a bad escape, a raw byte that should have
 * been escaped, a path without its leading `/`, a seq that is not 1 to 19
 * digits, a path named twice, or over kMaxMuxIdBytes. */
bool decode_mux_id(std::string_view text, std::vector<MuxPosition> *out);

/* Parses the `paths` query value (already percent-decoded): comma-separated
 * paths, empty items skipped, duplicates dropped (first kept). False with
 * @error set when there are more than kMaxMuxPaths or one lacks its leading
 * `/`. An empty result means every stream. */
bool parse_mux_paths(std::string_view value, std::vector<std::string> *out, std::string *error);

}  // namespace gstsse
