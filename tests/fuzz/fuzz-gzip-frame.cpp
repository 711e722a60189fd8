/* libFuzzer target: the compressed writer's framing. The input is cut into
 * events (each deflated on its own, or as stored blocks, as ssesink makes
 * them), a client takes a run of them from some join point through a
 * BodyFrame (chunked or not, socket writes of input-chosen sizes) with the
 * gzip header in its first frame and the trailer in its last; the wire,
 * de-chunked and inflated by zlib, must be exactly the plain events, with
 * a right CRC-32 and ISIZE. Also: accepts_gzip() on the input. */
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "body-frame.h"
#include "gunzip.h"
#include "gzip-frame.h"

namespace {

struct Piece {
  std::string plain;
  gstsse::GzipPiece gz;
};
using PiecePtr = std::shared_ptr<const Piece>;

struct Vec {
  const void *buffer;
  size_t size;
};

/* Reads the next byte of the input, 0 when it is used up. */
struct Reader {
  const uint8_t *p;
  size_t n;
  uint8_t byte() {
    if (n == 0)
      return 0;
    n--;
    return *p++;
  }
};

/* The body of a chunked message; aborts on a malformed one. */
std::string dechunk(const std::string &wire) {
  std::string body;
  size_t at = 0;
  for (;;) {
    const size_t eol = wire.find("\r\n", at);
    if (eol == std::string::npos)
      abort();
    const size_t len = std::strtoul(wire.substr(at, eol - at).c_str(), nullptr, 16);
    at = eol + 2;
    if (len == 0) {
      if (wire.compare(at, std::string::npos, "\r\n") != 0)
        abort();
      return body;
    }
    if (at + len + 2 > wire.size() || wire.compare(at + len, 2, "\r\n") != 0)
      abort();
    body.append(wire, at, len);
    at += len + 2;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string text(reinterpret_cast<const char *>(data), size);
  (void)gstsse::accepts_gzip(text.substr(0, text.find('\0')).c_str());
  if (size < 4)
    return 0;
  Reader r{data, size};
  const bool chunked = r.byte() & 1;
  const unsigned step_seed = r.byte();
  const unsigned join = r.byte() % 8;
  /* Events: a length byte, then that many bytes (of what is left). */
  std::vector<PiecePtr> events;
  while (r.n > 0 && events.size() < 64) {
    const bool stored = r.byte() & 1;
    const size_t len = 1 + r.byte() * 7u % 600u; /* an SSE event is never empty */
    std::string plain;
    for (size_t i = 0; i < len; i++)
      plain += static_cast<char>(r.byte());
    auto p = std::make_shared<Piece>();
    p->gz = stored ? gstsse::stored_blocks(plain) : gstsse::deflate_event(plain, 1 + step_seed % 9);
    p->plain = std::move(plain);
    events.push_back(p);
  }
  if (join < events.size())
    events.erase(events.begin(), events.begin() + join);
  if (events.empty())
    return 0;

  /* The client: frames of up to three events, written in steps. */
  std::string wire, expect;
  gstsse::GzipTrailer trailer;
  bool header_sent = false;
  size_t next = 0, step = 1 + step_seed % 97;
  do {
    std::deque<PiecePtr> inflight;
    size_t payload = 0;
    for (int k = 0; k < 3 && next < events.size(); k++, next++) {
      inflight.push_back(events[next]);
      payload += events[next]->gz.bytes.size();
      trailer.add(events[next]->gz.crc, events[next]->plain.size());
      expect += events[next]->plain;
    }
    const bool last = next == events.size();
    char tail[gstsse::GzipTrailer::kSize];
    trailer.write(tail);
    gstsse::BodyFrame f;
    f.start(payload, chunked, last,
            header_sent ? std::string_view() : std::string_view(gstsse::kGzipHeader, gstsse::kGzipHeaderSize),
            last ? std::string_view(tail, sizeof tail) : std::string_view());
    header_sent = true;
    size_t first_written = 0;
    if (!f.active())
      abort();
    while (f.active()) {
      Vec v[8];
      const size_t n =
          f.gather(inflight, first_written, v, 8, [](const PiecePtr &p) { return std::string_view(p->gz.bytes); });
      if (n == 0)
        abort();
      size_t took = 0;
      for (size_t i = 0; i < n && took < step; i++) {
        const size_t k = v[i].size < step - took ? v[i].size : step - took;
        wire.append(static_cast<const char *>(v[i].buffer), k);
        took += k;
      }
      size_t p = f.advance(took);
      while (p > 0) {
        const size_t left = inflight.front()->gz.bytes.size() - first_written;
        if (p < left) {
          first_written += p;
          break;
        }
        p -= left;
        first_written = 0;
        inflight.pop_front();
      }
      step = 1 + (step * 31 + 7) % 211;
    }
  } while (next < events.size());

  std::string out;
  if (!gunzip(chunked ? dechunk(wire) : wire, &out) || out != expect)
    abort();
  return 0;
}
