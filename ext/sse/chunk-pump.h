/* The chunk pump: one run of ssesink from TS bytes to events. Owns the
 * TsChunker, the StreamProbe that reads what the chunks carry, the event
 * ids (seq) and the idle-flush timer, and hands every event to the run's
 * EventSinks (the server's Stream and/or the NchanPublisher): the element
 * fans out once, here.
 *
 * Thread rule. Everything above is guarded by one mutex inside the pump,
 * and only the pump touches it:
 *  - the streaming thread calls push(), finish(), reset() and set_caps();
 *  - the idle flush runs on the loop thread whose context the pump was
 *    given (the server's; the publisher's with publish-only), when no bytes
 *    came for Config::timeout_ms while a chunk waits for its end.
 * Sinks are called with the mutex held, so they see events, stream
 * descriptions and caps in the order they were made; a sink only queues
 * and wakes its own thread (event.h). The InfoFn is called with no lock
 * held, on whichever of those threads made the chunk.
 * stop() (from any thread but the loop thread's flush itself) destroys the
 * timer, forgets the sinks and waits for a flush in progress to return:
 * after it the pump calls nobody, so the sinks may go on any thread. */
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "defaults.h"
#include "event.h"
#include "stream-info.h"

namespace gstsse {

class ChunkPump {
 public:
  struct Config {
    uint64_t first_seq = 0;                          /* id of the first media event */
    unsigned timeout_ms = defaults::kChunkTimeoutMs; /* idle flush; 0: wait for the next bytes */
    GMainContext *context = nullptr;                 /* where the idle flush runs; nullptr: none */
    GstDebugCategory *log_category = nullptr;        /* nullptr: no log lines */
    GObject *log_object = nullptr;                   /* named in them (the element; not owned) */
    bool deflate = false; /* media and eos events get their gzip piece (compression on, a server) */
  };
  /* What the stream carries changed (StreamProbe). @generation grows with
   * every change: calls from two threads may arrive out of order, and the
   * one with the larger generation is the newer. */
  using InfoFn = std::function<void(uint64_t generation, const StreamInfo &info)>;

  ChunkPump(Config config, std::vector<std::shared_ptr<EventSink>> sinks, InfoFn on_info);
  ~ChunkPump(); /* stop() */
  ChunkPump(const ChunkPump &) = delete;
  ChunkPump &operator=(const ChunkPump &) = delete;

  /* Streaming thread. @data: TS as upstream pushed it; @delta_unit: the
   * buffer has GST_BUFFER_FLAG_DELTA_UNIT (trusted only once upstream has
   * shown it sets the flag). */
  void push(const uint8_t *data, size_t size, bool delta_unit);
  /* End of stream: the pending chunk, then the `eos` event. */
  void finish();
  /* Flush: forgets the pending chunk and partial packets. */
  void reset();
  void set_caps(const std::string &caps);

  /* Events made so far (any thread). */
  uint64_t next_seq() const;

  void stop();

 private:
  struct State;
  std::shared_ptr<State> state_; /* shared with the timer's callback */
};

}  // namespace gstsse
