/* The bus messages, the id list and the structures of ssesink; see
 * element-messages.h. */
#include "element-messages.h"

GstMessage *gst_sse_sink_client_added_message(GstObject *src, guint id, const char *address, const char *path) {
  GstStructure *s = gst_structure_new("ssesink-client-added", "id", G_TYPE_UINT, id, "address", G_TYPE_STRING, address,
                                      "path", G_TYPE_STRING, path, nullptr);
  return gst_message_new_element(src, s);
}

GstMessage *gst_sse_sink_client_removed_message(GstObject *src, guint id, const char *address, const char *path,
                                                GstSseSinkClientRemoveReason reason) {
  GEnumClass *klass = static_cast<GEnumClass *>(g_type_class_ref(GST_TYPE_SSE_SINK_CLIENT_REMOVE_REASON));
  const GEnumValue *v = g_enum_get_value(klass, reason);
  GstStructure *s =
      gst_structure_new("ssesink-client-removed", "id", G_TYPE_UINT, id, "address", G_TYPE_STRING, address, "path",
                        G_TYPE_STRING, path, "reason", G_TYPE_STRING, v ? v->value_nick : "unknown", "reason-code",
                        GST_TYPE_SSE_SINK_CLIENT_REMOVE_REASON, reason, nullptr);
  g_type_class_unref(klass);
  return gst_message_new_element(src, s);
}

GValueArray *gst_sse_sink_id_array(const std::vector<uint32_t> &ids) {
  /* GValueArray is deprecated in GLib, but it is what GStreamer's own
   * action signals return for lists, and what bindings convert. */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  GValueArray *array = g_value_array_new(static_cast<guint>(ids.size()));
  GValue v = G_VALUE_INIT;
  g_value_init(&v, G_TYPE_UINT);
  for (uint32_t id : ids) {
    g_value_set_uint(&v, id);
    g_value_array_append(array, &v);
  }
  g_value_unset(&v);
  G_GNUC_END_IGNORE_DEPRECATIONS
  return array;
}

GstStructure *gst_sse_sink_client_stats_structure(const gstsse::ClientStats &st, gint64 now_us) {
  return gst_structure_new("ssesink-client-stats", "id", G_TYPE_UINT, st.id, "remote-address", G_TYPE_STRING,
                           st.remote_address.c_str(), "bytes-sent", G_TYPE_UINT64, st.bytes_sent, "events-sent",
                           G_TYPE_UINT64, st.events_sent, "events-dropped", G_TYPE_UINT64, st.events_dropped,
                           "queue-bytes", G_TYPE_UINT64, st.queued_bytes, "connected-time", G_TYPE_UINT64,
                           static_cast<guint64>(now_us - st.connected_us) * 1000, nullptr);
}

GstStructure *gst_sse_sink_publish_stats_structure(const gstsse::PublisherStats &st, bool active) {
  return gst_structure_new("ssesink-publish-stats", "active", G_TYPE_BOOLEAN, active, "connected", G_TYPE_BOOLEAN,
                           st.connected, "messages-published", G_TYPE_UINT64, st.published, "bytes-published",
                           G_TYPE_UINT64, st.bytes, "messages-dropped", G_TYPE_UINT64, st.dropped, "failures",
                           G_TYPE_UINT64, st.failures, "outages", G_TYPE_UINT64, st.outages, "failovers", G_TYPE_UINT64,
                           st.failovers, "queue-bytes", G_TYPE_UINT64, st.queued_bytes, "url", G_TYPE_STRING,
                           st.url.c_str(), "last-error", G_TYPE_STRING, st.last_error.c_str(), nullptr);
}

GstStructure *gst_sse_sink_stream_info_structure(const gstsse::StreamInfo &info) {
  if (info.empty())
    return nullptr;
  GstStructure *st = gst_structure_new_empty("stream-info");
  const std::string codecs = info.codecs();
  if (!codecs.empty())
    gst_structure_set(st, "codecs", G_TYPE_STRING, codecs.c_str(), nullptr);
  const gstsse::VideoInfo &v = info.video;
  if (!v.codec.empty())
    gst_structure_set(st, "video-codec", G_TYPE_STRING, v.codec.c_str(), nullptr);
  if (v.have_sps) {
    gst_structure_set(st, "profile", G_TYPE_STRING, v.sps.profile.c_str(), "level", G_TYPE_STRING, v.sps.level.c_str(),
                      "chroma-format", G_TYPE_STRING, v.chroma_format(), "bit-depth", G_TYPE_INT,
                      static_cast<gint>(v.bit_depth()), "width", G_TYPE_INT, static_cast<gint>(v.sps.width), "height",
                      G_TYPE_INT, static_cast<gint>(v.sps.height), "interlaced", G_TYPE_BOOLEAN, v.sps.interlaced,
                      nullptr);
    if (v.sps.fps_d && v.sps.fps_n <= G_MAXINT && v.sps.fps_d <= G_MAXINT)
      gst_structure_set(st, "framerate", GST_TYPE_FRACTION, static_cast<gint>(v.sps.fps_n),
                        static_cast<gint>(v.sps.fps_d), nullptr);
  }
  if (v.have_sps || (!v.codec.empty() && v.codec != "h264" && v.codec != "h265"))
    gst_structure_set(st, "browser-safe", G_TYPE_BOOLEAN, v.browser_safe(), nullptr);
  if (v.missing_parameter_sets)
    gst_structure_set(st, "missing-parameter-sets", G_TYPE_STRING, v.missing_parameter_set_names().c_str(), nullptr);
  const gstsse::AudioInfo &a = info.audio;
  if (!a.codec.empty())
    gst_structure_set(st, "audio-codec", G_TYPE_STRING, a.codec.c_str(), nullptr);
  if (!a.codecs.empty())
    gst_structure_set(st, "audio-codecs", G_TYPE_STRING, a.codecs.c_str(), nullptr);
  if (a.sample_rate)
    gst_structure_set(st, "rate", G_TYPE_INT, static_cast<gint>(a.sample_rate), nullptr);
  if (a.channels)
    gst_structure_set(st, "channels", G_TYPE_INT, static_cast<gint>(a.channels), nullptr);
  gst_structure_set(st, "description", G_TYPE_STRING, info.description().c_str(), nullptr);
  return st;
}
