/* What ssesink tells applications besides its signals: the element
 * messages it posts on the bus when a client comes and goes, the list its
 * get-client-ids action signal returns, and the structures of get-stats,
 * publish-stats and stream-info. Plain builders, no state: the element
 * (gstssesink.cpp) calls them on the server thread (the messages) or on the
 * caller's thread (the rest), with no lock held. */
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <vector>

#include "gstssesink.h"
#include "nchan-publisher.h"
#include "stream-info.h"
#include "stream.h"

/* `ssesink-client-added`: id (uint), address (string), path (string). */
GstMessage *gst_sse_sink_client_added_message(GstObject *src, guint id, const char *address, const char *path);

/* `ssesink-client-removed`: the same fields, and reason twice: as its nick
 * (string: closed, slow, error, shutdown, eos, expired) and as reason-code
 * (GstSseSinkClientRemoveReason). */
GstMessage *gst_sse_sink_client_removed_message(GstObject *src, guint id, const char *address, const char *path,
                                                GstSseSinkClientRemoveReason reason);

/* A GValueArray of guint (what get-client-ids returns; Python's gi turns it
 * into a list). */
GValueArray *gst_sse_sink_id_array(const std::vector<uint32_t> &ids);

/* `ssesink-client-stats` (get-stats) of a client, its connected-time counted
 * to @now_us (monotonic). */
GstStructure *gst_sse_sink_client_stats_structure(const gstsse::ClientStats &st, gint64 now_us);

/* `ssesink-publish-stats` (the publish-stats property); @active: a
 * publisher runs. */
GstStructure *gst_sse_sink_publish_stats_structure(const gstsse::PublisherStats &st, bool active);

/* `stream-info` (the stream-info property); NULL while nothing is known. */
GstStructure *gst_sse_sink_stream_info_structure(const gstsse::StreamInfo &info);
