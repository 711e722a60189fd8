/* What ssesink tells applications besides its signals: the element
 * messages it posts on the bus when a client comes and goes, and the list
 * its get-client-ids action signal returns. Plain builders, no state: the
 * element (gstssesink.cpp) calls them on the server thread (the messages)
 * or on the caller's thread (the list), with no lock held. */
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <vector>

#include "gstssesink.h"

/* `ssesink-client-added`: id (uint), address (string), path (string). */
GstMessage *gst_sse_sink_client_added_message(GstObject *src, guint id, const char *address, const char *path);

/* `ssesink-client-removed`: the same fields, and reason twice: as its nick
 * (string: closed, slow, error, shutdown, eos) and as reason-code
 * (GstSseSinkClientRemoveReason). */
GstMessage *gst_sse_sink_client_removed_message(GstObject *src, guint id, const char *address, const char *path,
                                                GstSseSinkClientRemoveReason reason);

/* A GValueArray of guint (what get-client-ids returns; Python's gi turns it
 * into a list). */
GValueArray *gst_sse_sink_id_array(const std::vector<uint32_t> &ids);
