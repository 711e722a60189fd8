/* Shared gzip pieces of an SSE body; see gzip-frame.h. */
#include "gzip-frame.h"

#include <zlib.h>

#include <cctype>
#include <cstring>
#include <stdexcept>

namespace gstsse {
namespace {

/* One raw deflate state per thread, reused: deflateInit2() allocates a
 * few hundred KiB, too much to do per event. */
class Deflater {
 public:
  ~Deflater() {
    if (ready_)
      deflateEnd(&z_);
  }

  void run(std::string_view in, int level, std::string *out) {
    if (!ready_ || level != level_) {
      if (ready_)
        deflateEnd(&z_);
      std::memset(&z_, 0, sizeof z_);
      if (deflateInit2(&z_, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("deflateInit2 failed");
      ready_ = true;
      level_ = level;
    }
    /* Z_FULL_FLUSH resets the dictionary: the next event refers to nothing
     * of this one. Bound: deflateBound plus the flush's empty block. */
    /* Appended to @out. */
    size_t used = out->size();
    out->resize(used + deflateBound(&z_, static_cast<uLong>(in.size())) + 16);
    z_.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    for (;;) {
      z_.next_out = reinterpret_cast<Bytef *>(&(*out)[used]);
      z_.avail_out = static_cast<uInt>(out->size() - used);
      const int r = deflate(&z_, Z_FULL_FLUSH);
      used = out->size() - z_.avail_out;
      if (r != Z_OK && r != Z_BUF_ERROR)
        throw std::runtime_error("deflate failed");
      if (z_.avail_in == 0 && z_.avail_out != 0)
        break;
      out->resize(out->size() * 2);
    }
    out->resize(used);
  }

 private:
  z_stream z_{};
  bool ready_ = false;
  int level_ = 0;
};

uint32_t crc_of(std::string_view s) {
  return static_cast<uint32_t>(
      crc32(crc32(0, Z_NULL, 0), reinterpret_cast<const Bytef *>(s.data()), static_cast<uInt>(s.size())));
}

void put_le32(char *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

/* A qvalue (RFC 9110: 0, 1, or 0.ddd) in thousandths, read without the
 * locale; anything else counts as 0. Advances @p past it. */
int parse_q(const char **p) {
  const char *s = *p;
  int q = 0;
  if (*s == '0' || *s == '1') {
    q = (*s - '0') * 1000;
    s++;
    if (*s == '.') {
      s++;
      for (int scale = 100; scale >= 1 && *s >= '0' && *s <= '9'; scale /= 10, s++)
        q += (*s - '0') * scale;
    }
  }
  while (*s && *s != ',' && *s != ';')
    s++;
  *p = s;
  return q > 1000 ? 1000 : q;
}

}  // namespace

GzipPiece deflate_event(std::string_view plain, int level) {
  thread_local Deflater deflater;
  GzipPiece p;
  deflater.run(plain, level, &p.bytes);
  p.crc = crc_of(plain);
  return p;
}

GzipPiece stored_blocks(std::string_view plain) {
  GzipPiece p;
  p.crc = crc_of(plain);
  p.bytes.reserve(plain.size() + 5 * (plain.size() / 65535 + 1));
  size_t at = 0;
  do {
    const size_t n = plain.size() - at < 65535 ? plain.size() - at : 65535;
    /* BFINAL 0, BTYPE 00, padded to the byte (we are byte-aligned), then
     * LEN and its complement. */
    const char head[5] = {0, static_cast<char>(n & 0xff), static_cast<char>(n >> 8), static_cast<char>(~n & 0xff),
                          static_cast<char>((~n >> 8) & 0xff)};
    p.bytes.append(head, sizeof head);
    p.bytes.append(plain.data() + at, n);
    at += n;
  } while (at < plain.size());
  return p;
}

void GzipTrailer::add(uint32_t crc, size_t plain_size) {
  crc_ = static_cast<uint32_t>(crc32_combine(crc_, crc, static_cast<z_off_t>(plain_size)));
  length_ += plain_size;
}

void GzipTrailer::write(char out[kSize]) const {
  /* A final block with fixed codes holding only end-of-block: bits 1, 01,
   * then 0000000, padded: 0x03 0x00. */
  out[0] = 0x03;
  out[1] = 0x00;
  put_le32(out + 2, crc_);
  put_le32(out + 6, static_cast<uint32_t>(length_ & 0xffffffffu));
}

bool accepts_gzip(const char *value) {
  if (!value)
    return false;
  /* Each element: coding [; q=value]. An explicit gzip entry wins over `*`. */
  int gzip_q = -1, star_q = -1; /* q in thousandths; -1: not listed */
  const char *p = value;
  while (*p) {
    while (*p == ' ' || *p == '\t' || *p == ',')
      p++;
    const char *name = p;
    while (*p && *p != ',' && *p != ';' && *p != ' ' && *p != '\t')
      p++;
    const std::string coding(name, static_cast<size_t>(p - name));
    int q = 1000;
    while (*p && *p != ',') {
      if (*p == ';') {
        p++;
        while (*p == ' ' || *p == '\t')
          p++;
        if ((*p == 'q' || *p == 'Q') && p[1] == '=') {
          p += 2;
          q = parse_q(&p);
          continue;
        }
      }
      if (*p)
        p++;
    }
    std::string lower;
    for (char c : coding)
      lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "gzip" || lower == "x-gzip")
      gzip_q = q > gzip_q ? q : gzip_q;
    else if (lower == "*")
      star_q = q;
  }
  if (gzip_q >= 0)
    return gzip_q > 0;
  return star_q > 0;
}

}  // namespace gstsse
