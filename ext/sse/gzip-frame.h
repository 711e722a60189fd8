/* The gzip form of an SSE body, made of pieces shared by every client.
 *
 * Owns the byte-level rules of `Content-Encoding: gzip` in ssesink:
 *  - deflate_event(): one event, deflated once on its own (raw deflate
 *    ending in a full flush: byte-aligned, no block marked final, nothing
 *    referring back to an earlier event), so any run of such pieces, from
 *    any join or resume point, is a valid deflate stream;
 *  - stored_blocks(): the same for a client's own small events (prelude,
 *    keepalive, gap, reset), as uncompressed stored blocks;
 *  - the gzip header (kGzipHeader) and the trailer (GzipTrailer: a final
 *    empty block, then CRC-32 and ISIZE of the plain bytes, combined from
 *    each piece's CRC with crc32_combine());
 *  - accepts_gzip(): whether an Accept-Encoding value allows gzip.
 *
 * Plain C++ over zlib, no GLib. deflate_event() keeps one deflate state per
 * thread (the streaming thread, or a loop thread's idle flush); everything
 * else is pure. */
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gstsse {

/* The `compression` property; mirrors GstSseSinkCompression (checked in
 * settings.cpp). kAuto: gzip for every client whose Accept-Encoding allows
 * it; kNone: never (no event gets a gzip piece: no cost). */
enum class Compression { kAuto = 0, kNone = 1 };

/* One event's bytes in the gzip body and the CRC-32 of its plain bytes. */
struct GzipPiece {
  std::string bytes; /* deflate blocks, byte-aligned, none final */
  uint32_t crc = 0;  /* crc32() of the plain bytes */
};

/* The deflate level of deflate_event(): 4 compresses these events as well
 * as 6 in less time (docs/performance.md, Compression). */
constexpr int kDeflateLevel = 4;

/* @plain deflated on its own (Z_FULL_FLUSH, no final block). */
GzipPiece deflate_event(std::string_view plain, int level = kDeflateLevel);
/* @plain as stored (uncompressed) blocks of at most 65535 bytes, none final. */
GzipPiece stored_blocks(std::string_view plain);

/* The gzip member header: deflate, no name, no mtime, unknown OS. */
constexpr char kGzipHeader[10] = {'\x1f', '\x8b', '\x08', 0, 0, 0, 0, 0, 0, '\xff'};
constexpr size_t kGzipHeaderSize = sizeof kGzipHeader;

/* The running CRC-32 and length of a client's plain body, and the trailer
 * that ends it. */
class GzipTrailer {
 public:
  /* A piece of @plain_size plain bytes whose CRC-32 is @crc was sent. */
  void add(uint32_t crc, size_t plain_size);
  uint32_t crc() const { return crc_; }
  uint64_t length() const { return length_; }
  /* A final empty block, the CRC-32 and ISIZE (length mod 2^32), little-endian. */
  static constexpr size_t kSize = 10;
  void write(char out[kSize]) const;

 private:
  uint32_t crc_ = 0;
  uint64_t length_ = 0;
};

/* Whether an Accept-Encoding header value allows gzip (`gzip`, `x-gzip` or
 * `*` with a q above 0, and gzip not refused with q=0). nullptr: no. */
bool accepts_gzip(const char *accept_encoding);

}  // namespace gstsse
