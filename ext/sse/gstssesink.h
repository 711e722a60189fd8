/* GstSseSink: the public face of the ssesink element: its type and the
 * enums its properties and signals use (mirrored by the core's, checked in
 * settings.cpp). The element is gstssesink.cpp, its properties settings.cpp;
 * the logic lives in chunk-pump, event-encoder, http-server and stream. */
#pragma once

#include <gst/base/gstbasesink.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_SSE_SINK (gst_sse_sink_get_type())
G_DECLARE_FINAL_TYPE(GstSseSink, gst_sse_sink, GST, SSE_SINK, GstBaseSink)

/**
 * GstSseSinkClientRemoveReason:
 * @GST_SSE_SINK_REMOVE_CLOSED: the client closed the connection (or it broke)
 * @GST_SSE_SINK_REMOVE_SLOW: the client fell more than #GstSseSink:max-client-bytes behind
 * @GST_SSE_SINK_REMOVE_ERROR: an error on the connection
 * @GST_SSE_SINK_REMOVE_SHUTDOWN: the element stopped (state change to READY or below)
 * @GST_SSE_SINK_REMOVE_EOS: the stream ended and the client received `event: eos`
 * @GST_SSE_SINK_REMOVE_EXPIRED: the client's signed token (#GstSseSink:jwt-key) ran out and it received
 *   `event: expired`
 *
 * Why a client was removed; passed to #GstSseSink::client-removed.
 */
typedef enum {
  GST_SSE_SINK_REMOVE_CLOSED = 0,
  GST_SSE_SINK_REMOVE_SLOW = 1,
  GST_SSE_SINK_REMOVE_ERROR = 2,
  GST_SSE_SINK_REMOVE_SHUTDOWN = 3,
  GST_SSE_SINK_REMOVE_EOS = 4,
  GST_SSE_SINK_REMOVE_EXPIRED = 5,
} GstSseSinkClientRemoveReason;

/**
 * GstSseSinkRecoverPolicy:
 * @GST_SSE_SINK_RECOVER_NONE: do nothing at the soft limit; the hard limit disconnects
 * @GST_SSE_SINK_RECOVER_KEYFRAME: drop the client's queued chunks up to the newest key chunk (or, if none is
 *   queued, until the next one arrives), so its stream stays decodable
 * @GST_SSE_SINK_RECOVER_LATEST: drop all the client's queued chunks and continue with the next one
 *
 * What ssesink does when a client passes its soft limit. Either recovery
 * sends the client a named `gap` event before the chunk it continues with.
 */
typedef enum {
  GST_SSE_SINK_RECOVER_NONE = 0,
  GST_SSE_SINK_RECOVER_KEYFRAME = 1,
  GST_SSE_SINK_RECOVER_LATEST = 2,
} GstSseSinkRecoverPolicy;

#define GST_TYPE_SSE_SINK_RECOVER_POLICY (gst_sse_sink_recover_policy_get_type())
GType gst_sse_sink_recover_policy_get_type(void);

/**
 * GstSseSinkCompression:
 * @GST_SSE_SINK_COMPRESSION_AUTO: gzip for every client whose Accept-Encoding allows it (browsers' EventSource
 *   sends `gzip` by itself); each event is deflated once, for all of them
 * @GST_SSE_SINK_COMPRESSION_NONE: never compress; events are made without a compressed form
 *
 * The Content-Encoding of ssesink's event streams.
 */
typedef enum {
  GST_SSE_SINK_COMPRESSION_AUTO = 0,
  GST_SSE_SINK_COMPRESSION_NONE = 1,
} GstSseSinkCompression;

#define GST_TYPE_SSE_SINK_COMPRESSION (gst_sse_sink_compression_get_type())
GType gst_sse_sink_compression_get_type(void);

#define GST_TYPE_SSE_SINK_CLIENT_REMOVE_REASON (gst_sse_sink_client_remove_reason_get_type())
GType gst_sse_sink_client_remove_reason_get_type(void);

GST_ELEMENT_REGISTER_DECLARE(ssesink);

G_END_DECLS
