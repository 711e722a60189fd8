/* Registers the elements of the "sse" plugin. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstssesink.h"

static gboolean plugin_init(GstPlugin *plugin) {
  return GST_ELEMENT_REGISTER(ssesink, plugin);
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, sse,
                  "Serve MPEG-TS streams to web browsers as Server-Sent Events", plugin_init, VERSION, GST_LICENSE,
                  GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
