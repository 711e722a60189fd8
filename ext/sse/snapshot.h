/* GET <path>/snapshot.jpg: a JPEG of a stream's latest key frame, from a
 * cache made when that key frame is decoded (docs/operations.md).
 *
 * Owns: the answer to each snapshot request (admission as for the stream,
 * ?width=, 200/400/503, requests waiting for a decode), the JPEG cache,
 * and the worker thread that runs the decoder (snapshot-decoder.h: appsrc
 * ! tsdemux ! parser ! decoder ! appsink), which exists only while
 * snapshots are asked for (or with keep_warm). What to decode and who
 * waits is SnapshotBook's (snapshot-book.h); this file is the glue.
 *
 * Threads: the server thread calls serve(), key_chunk() and stop(), and
 * gets the worker's results back through a wake source on its context;
 * the worker thread only decodes and encodes. Any thread may call
 * stats_structure(). */
#pragma once

#include <gst/gst.h>
#include <libsoup/soup.h>

#include <memory>
#include <string>

#include "event.h"
#include "snapshot-book.h"
#include "stream.h"

namespace gstsse {

class Snapshotter {
 public:
  /* @stream: the stream's settings (access, CORS, header limit, retry);
   * @ctx: the server thread's context; @element: named in log lines and
   * posting the warning (not owned; outlives this). */
  Snapshotter(const SnapshotConfig &config, const StreamConfig &stream, GMainContext *ctx, GstElement *element);
  ~Snapshotter();
  Snapshotter(const Snapshotter &) = delete;
  Snapshotter &operator=(const Snapshotter &) = delete;

  /* Server thread. A request for the snapshot; @latest_key: the stream's
   * latest key chunk (null: none yet). */
  void serve(SoupServerMessage *msg, GHashTable *query, const EventPtr &latest_key);
  /* Server thread. A key chunk was dispatched. */
  void key_chunk(const EventPtr &ev);
  /* Server thread. Answers whoever waits (503), stops the worker. */
  void stop();

  /* Any thread: `ssesink-snapshot-stats` (requests, from-cache, waited,
   * decodes, encodes, unavailable, decoder). */
  GstStructure *stats_structure() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/* The stats structure of no running snapshotter (all zero). */
GstStructure *snapshot_stats_structure_empty();

}  // namespace gstsse
