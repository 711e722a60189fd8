/* Inflates one whole gzip member with zlib: what the compression tests, the
 * gzip framing's unit test and its fuzz target check ssesink's bytes with.
 * Header-only, needing only zlib. */
#pragma once

#include <zlib.h>

#include <string>

/* Fills @out with what @in inflates to; false when zlib finds @in invalid
 * (blocks, CRC-32 or ISIZE), incomplete, or followed by anything. */
inline bool gunzip(const std::string &in, std::string *out) {
  z_stream z{};
  if (inflateInit2(&z, 16 + 15) != Z_OK)
    return false;
  z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  out->clear();
  char buf[16384];
  int r;
  do {
    z.next_out = reinterpret_cast<Bytef *>(buf);
    z.avail_out = sizeof buf;
    r = inflate(&z, Z_NO_FLUSH);
    out->append(buf, sizeof buf - z.avail_out);
  } while (r == Z_OK);
  const bool ok = r == Z_STREAM_END && z.avail_in == 0;
  inflateEnd(&z);
  return ok;
}
