/* The bus messages and the id list of ssesink; see element-messages.h. */
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
