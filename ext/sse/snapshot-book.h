/* The bookkeeping of a stream's snapshots (GET <path>/snapshot.jpg): which
 * key frame the cache holds, which JPEG widths of it are ready, which job
 * the decoder runs, who waits for it, when the decoder may go, and the
 * pure parsing a request and a key chunk need (?width=, the TS bytes and
 * the video codec of a key chunk).
 *
 * Plain C++: no GLib, no GObject; unit-tested (tests/check/unit/
 * test-snapshot-book.cpp). Not thread-safe: the server thread owns a
 * stream's book (snapshot.cpp runs the jobs it asks for on its worker
 * thread and hands the results back to the server thread). */
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gstsse {

/* The snapshot settings of a stream (the snapshot-* properties). */
struct SnapshotConfig {
  std::string decoder;      /* element factory; empty: the best installed decoder for the codec */
  unsigned idle_ms = 10000; /* the decoder stays this long after the last request */
  bool keep_warm = false;   /* decode every key frame, asked for or not */
};

/* Where a stream at @stream_path serves its snapshot: <path>/snapshot.jpg
 * ("/snapshot.jpg" for "/"). */
inline std::string snapshot_path(const std::string &stream_path) {
  return stream_path + (!stream_path.empty() && stream_path.back() == '/' ? "" : "/") + "snapshot.jpg";
}

/* ?width= bounds: below the minimum or above the maximum is refused (400);
 * a width at or above the picture's is the picture's own size. */
constexpr unsigned kSnapshotMinWidth = 16;
constexpr unsigned kSnapshotMaxWidth = 4096;
/* JPEG widths kept per key frame besides the full size; older ones go. */
constexpr size_t kSnapshotMaxVariants = 4;

/* ?width=: @value (nullptr: not given, 0 = full size) must be plain
 * decimal digits within the bounds above. False, and @error saying why,
 * for anything else. */
bool parse_snapshot_width(const char *value, unsigned *width, std::string *error);

/* The height of a picture @src_w x @src_h scaled to @width, even and at
 * least 2 (what JPEG encoders of 4:2:0 want). */
unsigned scaled_height(unsigned src_w, unsigned src_h, unsigned width);

/* The Base64 of the TS bytes in the wire text of a media event
 * (`id: ..\ndata: {...,"data":"<b64>"}\n\n`): its offset and length; false
 * when the text has none. */
bool find_media_base64(std::string_view wire, size_t *offset, size_t *length);

/* The video a key chunk carries, from its PAT and PMT (a key chunk starts
 * with both). */
enum class SnapshotCodec { kNone, kH264, kH265, kMpeg2, kMpeg4 };
SnapshotCodec snapshot_codec(const uint8_t *ts, size_t size);
/* "H.264"..., for messages; the caps a decoder takes; the parser element. */
const char *codec_name(SnapshotCodec c);
const char *codec_caps(SnapshotCodec c);
const char *codec_parser(SnapshotCodec c);

/* One decode-and-encode job: decode key chunk @seq (unless the decoder
 * already holds its picture) and encode it at each of @widths (0: full). */
struct SnapshotJob {
  uint64_t seq = 0;
  bool decode = false;
  std::vector<unsigned> widths;
};

struct SnapshotCounters {
  uint64_t requests = 0;    /* answered or waiting, refused ones not counted */
  uint64_t from_cache = 0;  /* answered at once */
  uint64_t waited = 0;      /* waited for a job */
  uint64_t decodes = 0;     /* jobs that decoded a key chunk */
  uint64_t encodes = 0;     /* JPEGs made */
  uint64_t unavailable = 0; /* answered 503 */
};

class SnapshotBook {
 public:
  /* @idle_us: the decoder stays this long after the last request, and
   * decodes each new key frame while it does; @warm: always. */
  SnapshotBook(int64_t idle_us, bool warm) : idle_us_(idle_us), warm_(warm) {}

  enum class Reply {
    kReady,       /* the JPEG of key frame @seq at @width is cached: answer now */
    kWait,        /* a job will make it: answer when done() names this waiter */
    kNoKeyFrame,  /* no key frame yet: 503 with Retry-After */
    kUnavailable, /* no decoder for the stream (reason()): 503 */
    kFailed,      /* the latest key frame did not decode (reason()): 503 until the next one */
  };
  struct Answer {
    Reply reply;
    uint64_t seq = 0;   /* kReady: the key frame */
    unsigned width = 0; /* kReady: the width as cached (0: full) */
  };
  /* A request of waiter @id for @width (0: full) at @now, the stream's
   * latest key chunk being @latest_key (0: none held, kNoKeyFrame). */
  Answer request(uint64_t id, unsigned width, uint64_t latest_key, int64_t now);

  /* A key chunk @seq was dispatched: while the decoder is wanted
   * (active()), it is decoded as it comes. */
  void key_chunk(uint64_t seq, int64_t now);

  /* The job to start now, when none is running and one is wanted; the
   * book then counts it as running until done(). */
  bool next_job(int64_t now, SnapshotJob *job);

  struct Done {
    uint64_t id;
    bool ok;            /* false: answer 503 (failed()) */
    unsigned width = 0; /* ok: the width as cached */
  };
  /* The running job ended: @ok with the picture @src_w x @src_h and the
   * widths encoded (as cached: 0 for the full size), or failed for @reason
   * (@missing: no decoder for the codec, sticky for the run; else this key
   * frame is not retried). Returns the waiters to answer now, with what. */
  std::vector<Done> done(bool ok, bool missing, const std::string &reason, unsigned src_w, unsigned src_h,
                         const std::vector<unsigned> &widths);

  /* The width as it would be cached: at or above the picture's width (once
   * known) it is the full size, 0. */
  unsigned cached_width(unsigned width) const;
  /* Widths no longer cached after the last done() (the glue drops their
   * JPEGs); emptied by the call. */
  std::vector<unsigned> take_evicted();

  /* Whether the decoder is wanted: warm, or a request within idle_us. */
  bool active(int64_t now) const;
  /* Nothing running, nobody waiting, not active: the decoder and the cache
   * can go (then call reset_cache()). */
  bool idle(int64_t now) const;
  /* When idle() may become true: the last request + idle_us; -1: never
   * (warm, or never asked). */
  int64_t idle_at() const;
  void reset_cache();

  /* Waiters to answer at once, the run ending: all of them. */
  std::vector<uint64_t> take_waiters();

  bool running() const { return running_; }
  bool unavailable() const { return unavailable_; }
  /* Why the last job failed (kUnavailable, kFailed). */
  const std::string &reason() const { return reason_; }
  uint64_t cached_seq() const { return cached_seq_; }
  const SnapshotCounters &counters() const { return counters_; }

 private:
  struct Waiter {
    uint64_t id;
    uint64_t want_seq; /* the latest key frame when it asked */
    unsigned width;
  };
  bool ready(unsigned width) const;
  void keep(unsigned width);

  int64_t idle_us_;
  bool warm_;
  int64_t last_request_us_ = -1;
  uint64_t latest_key_ = 0;
  uint64_t cached_seq_ = 0;     /* the key frame the decoder's picture is of; 0: none */
  std::vector<unsigned> ready_; /* widths encoded from it, oldest first */
  std::vector<unsigned> evicted_;
  unsigned src_w_ = 0, src_h_ = 0;
  bool running_ = false;
  SnapshotJob job_; /* the running one */
  std::vector<Waiter> waiters_;
  bool unavailable_ = false;
  uint64_t failed_seq_ = 0; /* the key frame that did not decode; 0: none */
  std::string reason_;
  SnapshotCounters counters_;
};

}  // namespace gstsse
