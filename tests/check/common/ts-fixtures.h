/* The MPEG-TS fixtures made once at build time from
 * tests/fixtures/pipelines.txt (tests/fixtures/meson.build), the same files
 * the player's unit tests read (web/test/fixtures.mjs). Read from
 * $SSE_FIXTURES_DIR when set, else from the build directory compiled in
 * (SSE_FIXTURES_DIR). For the test's own thread. */
#pragma once

#include <gst/check/gstcheck.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#ifndef SSE_FIXTURES_DIR
#error "SSE_FIXTURES_DIR: the build directory of tests/fixtures (tests/check/meson.build defines it)"
#endif

inline namespace ts_fixtures {

/* The bytes of fixture @name; the test fails when it was not built. */
inline std::vector<uint8_t> ts_fixture(const char *name) {
  const char *dir = std::getenv("SSE_FIXTURES_DIR");
  const std::string path = std::string(dir && *dir ? dir : SSE_FIXTURES_DIR) + "/" + name + ".ts";
  gchar *data = nullptr;
  gsize len = 0;
  GError *err = nullptr;
  const gboolean ok = g_file_get_contents(path.c_str(), &data, &len, &err);
  fail_unless(ok, "fixture %s: %s (made at build time from tests/fixtures/pipelines.txt: ninja builds it)", name,
              err ? err->message : "?");
  std::vector<uint8_t> ts(data, data + len);
  g_free(data);
  fail_unless(!ts.empty() && ts.size() % 188 == 0, "fixture %s: %zu bytes, not whole TS packets", name, ts.size());
  return ts;
}

/* The same as 188-byte buffers, as mpegtsmux pushes them. */
inline std::vector<std::vector<uint8_t>> ts_fixture_packets(const char *name) {
  const auto ts = ts_fixture(name);
  std::vector<std::vector<uint8_t>> packets;
  for (size_t off = 0; off < ts.size(); off += 188)
    packets.emplace_back(ts.begin() + off, ts.begin() + off + 188);
  return packets;
}

}  // namespace ts_fixtures
