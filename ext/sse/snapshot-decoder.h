/* The decoder of snapshots: a small GStreamer pipeline, appsrc ! tsdemux !
 * <parser> ! <decoder> ! appsink, built for the codec a key chunk's PMT
 * names, that decodes one key chunk's TS bytes into a picture and encodes
 * it as JPEG at the widths asked for (gst_video_convert_sample). Keeps the
 * last picture, for widths asked for later. snapshot.h runs it.
 *
 * Threads: the snapshot worker thread alone creates, runs and destroys a
 * SnapshotDecoder (GStreamer's own streaming threads work inside run()). */
#pragma once

#include <gst/gst.h>

#include <string>
#include <utility>
#include <vector>

#include "event.h"
#include "snapshot-book.h"

namespace gstsse {

/* A reference to a GBytes (or none), copied by reference. */
struct GBytesPtr {
  GBytes *b = nullptr;
  GBytesPtr() = default;
  explicit GBytesPtr(GBytes *bytes) : b(bytes) {}
  GBytesPtr(const GBytesPtr &o) : b(o.b ? g_bytes_ref(o.b) : nullptr) {}
  GBytesPtr &operator=(const GBytesPtr &o) {
    GBytesPtr tmp(o);
    std::swap(b, tmp.b);
    return *this;
  }
  ~GBytesPtr() {
    if (b)
      g_bytes_unref(b);
  }
};

/* What a job made, handed from the worker to the server thread. */
struct JobResult {
  bool ok = false, missing = false; /* missing: no decoder (or parser) for the codec */
  std::string reason;               /* why not ok */
  unsigned src_w = 0, src_h = 0;
  std::vector<std::pair<unsigned, GBytesPtr>> jpegs; /* width as cached (0: full) */
  std::string decoder;                               /* the factory used */
  bool decoded = false;                              /* a new picture: the old JPEGs go */
};

class SnapshotDecoder {
 public:
  /* @element: named in log lines (not owned); @wanted: the decoder
   * factory, empty for the highest-ranked installed one. */
  SnapshotDecoder(GstElement *element, std::string wanted);
  ~SnapshotDecoder();
  SnapshotDecoder(const SnapshotDecoder &) = delete;
  SnapshotDecoder &operator=(const SnapshotDecoder &) = delete;

  /* Runs @job: decodes @chunk when the job says so, then encodes. */
  void run(const SnapshotJob &job, const EventPtr &chunk, JobResult *r);
  /* Drops the pipeline and the picture. */
  void teardown();

 private:
  GstElementFactory *pick(SnapshotCodec codec);
  bool build(SnapshotCodec codec, JobResult *r);
  bool decode(const EventPtr &chunk, JobResult *r);
  GBytesPtr encode(unsigned w, unsigned h, JobResult *r);

  GstElement *element_;
  const std::string wanted_;
  SnapshotCodec codec_ = SnapshotCodec::kNone;
  std::string factory_;
  GstElement *pipe_ = nullptr, *src_ = nullptr, *sink_ = nullptr, *parser_ = nullptr;
  GstSample *raw_ = nullptr;
};

}  // namespace gstsse
