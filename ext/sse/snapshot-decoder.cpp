/* The snapshot decoder pipeline; see snapshot-decoder.h. */
#include "snapshot-decoder.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>

#include <algorithm>

GST_DEBUG_CATEGORY_EXTERN(gst_sse_sink_debug);
#define GST_CAT_DEFAULT gst_sse_sink_debug

namespace gstsse {
namespace {

/* How long one decode may take before it counts as failed. */
constexpr GstClockTime kDecodeTimeout = 5 * GST_SECOND;

}  // namespace

SnapshotDecoder::SnapshotDecoder(GstElement *element, std::string wanted)
    : element_(element), wanted_(std::move(wanted)) {}

SnapshotDecoder::~SnapshotDecoder() {
  teardown();
}

void SnapshotDecoder::run(const SnapshotJob &job, const EventPtr &chunk, JobResult *r) {
  if (job.decode && !decode(chunk, r))
    return;
  r->decoded = job.decode;
  if (!raw_) {
    r->reason = "no decoded picture";
    return;
  }
  GstVideoInfo info;
  gst_video_info_from_caps(&info, gst_sample_get_caps(raw_));
  r->src_w = static_cast<unsigned>(GST_VIDEO_INFO_WIDTH(&info));
  r->src_h = static_cast<unsigned>(GST_VIDEO_INFO_HEIGHT(&info));
  for (unsigned w : job.widths) {
    const unsigned cw = w >= r->src_w ? 0 : w;
    if (std::any_of(r->jpegs.begin(), r->jpegs.end(), [cw](const auto &j) { return j.first == cw; }))
      continue;
    GBytesPtr jpeg = encode(cw ? cw : r->src_w, scaled_height(r->src_w, r->src_h, cw), r);
    if (!jpeg.b)
      return;
    r->jpegs.emplace_back(cw, jpeg);
  }
  r->ok = true;
  r->decoder = factory_;
}

void SnapshotDecoder::teardown() {
  if (raw_)
    gst_sample_unref(raw_);
  raw_ = nullptr;
  if (pipe_) {
    gst_element_set_state(pipe_, GST_STATE_NULL);
    gst_object_unref(pipe_);
    GST_INFO_OBJECT(element_, "snapshot: decoder %s torn down", factory_.c_str());
  }
  pipe_ = src_ = sink_ = parser_ = nullptr;
}

GstElementFactory *SnapshotDecoder::pick(SnapshotCodec codec) {
  GList *all = gst_element_factory_list_get_elements(
      GST_ELEMENT_FACTORY_TYPE_DECODER | GST_ELEMENT_FACTORY_TYPE_MEDIA_VIDEO, GST_RANK_MARGINAL);
  GstCaps *caps = gst_caps_from_string(codec_caps(codec));
  GList *fit = gst_element_factory_list_filter(all, caps, GST_PAD_SINK, FALSE);
  fit = g_list_sort(fit, gst_plugin_feature_rank_compare_func);
  GstElementFactory *f = fit ? GST_ELEMENT_FACTORY(gst_object_ref(fit->data)) : nullptr;
  gst_plugin_feature_list_free(fit);
  gst_plugin_feature_list_free(all);
  gst_caps_unref(caps);
  return f;
}

/* The pipeline for @codec; false with @r->reason (and missing) when an
 * element is not installed. */
bool SnapshotDecoder::build(SnapshotCodec codec, JobResult *r) {
  if (pipe_ && codec == codec_)
    return true;
  teardown();
  codec_ = codec;
  if (codec == SnapshotCodec::kNone) {
    r->reason = "the stream has no video this element can snapshot (H.264, H.265, MPEG-2, MPEG-4 Part 2)";
    r->missing = true;
    return false;
  }
  GstElement *dec = nullptr;
  if (!wanted_.empty()) {
    dec = gst_element_factory_make(wanted_.c_str(), nullptr);
    if (!dec)
      r->reason = "snapshot-decoder \"" + wanted_ + "\" is not an installed element";
  } else if (GstElementFactory *f = pick(codec)) {
    dec = gst_element_factory_create(f, nullptr);
    gst_object_unref(f);
  }
  if (!dec && r->reason.empty())
    r->reason = std::string("no ") + codec_name(codec) +
                " decoder is installed (avdec_h264/avdec_h265 from gstreamer1.0-libav, or openh264dec)";
  GstElement *parser = gst_element_factory_make(codec_parser(codec), nullptr);
  GstElement *demux = gst_element_factory_make("tsdemux", nullptr);
  if (dec && (!parser || !demux))
    r->reason = std::string("element ") + (parser ? "tsdemux" : codec_parser(codec)) + " is not installed";
  if (!dec || !parser || !demux) {
    for (GstElement *e : {dec, parser, demux})
      if (e)
        gst_object_unref(e);
    r->missing = true;
    return false;
  }
  GstElementFactory *df = gst_element_get_factory(dec);
  factory_ = df ? GST_OBJECT_NAME(df) : "?";
  pipe_ = gst_pipeline_new("ssesink-snapshot");
  src_ = gst_element_factory_make("appsrc", nullptr);
  sink_ = gst_element_factory_make("appsink", nullptr);
  parser_ = parser;
  GstCaps *ts = gst_caps_from_string("video/mpegts, systemstream=(boolean)true, packetsize=(int)188");
  g_object_set(src_, "caps", ts, "format", GST_FORMAT_BYTES, nullptr);
  gst_caps_unref(ts);
  g_object_set(sink_, "sync", FALSE, nullptr);
  gst_bin_add_many(GST_BIN(pipe_), src_, demux, parser, dec, sink_, nullptr);
  gst_element_link(src_, demux);
  gst_element_link_many(parser, dec, sink_, nullptr);
  g_signal_connect(demux, "pad-added", G_CALLBACK(+[](GstElement *, GstPad *pad, gpointer p) {
                     GstPad *sinkpad = gst_element_get_static_pad(GST_ELEMENT(p), "sink");
                     GstCaps *caps = gst_pad_get_current_caps(pad);
                     if (!caps)
                       caps = gst_pad_query_caps(pad, nullptr);
                     const char *name = gst_structure_get_name(gst_caps_get_structure(caps, 0));
                     if (g_str_has_prefix(name, "video/") && !gst_pad_is_linked(sinkpad))
                       gst_pad_link(pad, sinkpad);
                     gst_caps_unref(caps);
                     gst_object_unref(sinkpad);
                   }),
                   parser);
  GST_INFO_OBJECT(element_, "snapshot: decoder built: tsdemux ! %s ! %s", codec_parser(codec), factory_.c_str());
  return true;
}

/* Decodes the key chunk into raw_. */
bool SnapshotDecoder::decode(const EventPtr &chunk, JobResult *r) {
  size_t off = 0, len = 0;
  if (!chunk || !find_media_base64(chunk->wire(), &off, &len)) {
    r->reason = "the key chunk has no TS bytes";
    return false;
  }
  std::string b64(chunk->wire().substr(off, len));
  gsize size = 0;
  g_base64_decode_inplace(b64.data(), &size);
  const auto *ts = reinterpret_cast<const uint8_t *>(b64.data());
  if (!build(snapshot_codec(ts, size), r))
    return false;
  if (raw_)
    gst_sample_unref(raw_);
  raw_ = nullptr;
  if (gst_element_set_state(pipe_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    r->reason = "decoder " + factory_ + " could not start";
    teardown();
    return false;
  }
  gst_app_src_push_buffer(GST_APP_SRC(src_), gst_buffer_new_memdup(ts, size));
  gst_app_src_end_of_stream(GST_APP_SRC(src_));
  /* The last picture before the appsink's EOS, or the first error. */
  GstBus *bus = gst_element_get_bus(pipe_);
  const gint64 deadline = g_get_monotonic_time() + kDecodeTimeout / GST_USECOND;
  GstMessage *m = nullptr;
  while (!m && g_get_monotonic_time() < deadline) {
    if (GstSample *s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink_), 10 * GST_MSECOND)) {
      if (raw_)
        gst_sample_unref(raw_);
      raw_ = s;
    } else if (gst_app_sink_is_eos(GST_APP_SINK(sink_))) {
      break;
    }
    m = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  }
  if (m) {
    GError *err = nullptr;
    gst_message_parse_error(m, &err, nullptr);
    r->reason = std::string("decoding failed in ") + GST_OBJECT_NAME(GST_MESSAGE_SRC(m)) + ": " + err->message;
    g_error_free(err);
    gst_message_unref(m);
  } else if (!gst_app_sink_is_eos(GST_APP_SINK(sink_))) {
    r->reason = "decoder " + factory_ + " did not finish within 5 s";
  }
  gst_bus_set_flushing(bus, TRUE); /* drop what else this run posted */
  gst_bus_set_flushing(bus, FALSE);
  gst_object_unref(bus);
  /* NULL, not READY: appsink forgets its EOS only when stopped. */
  gst_element_set_state(pipe_, GST_STATE_NULL);
  if (!raw_ && r->reason.empty())
    r->reason = "decoder " + factory_ + " made no picture from the key chunk";
  return raw_ != nullptr;
}

GBytesPtr SnapshotDecoder::encode(unsigned w, unsigned h, JobResult *r) {
  GstCaps *caps = gst_caps_new_simple("image/jpeg", "width", G_TYPE_INT, static_cast<int>(w), "height", G_TYPE_INT,
                                      static_cast<int>(h), nullptr);
  GError *err = nullptr;
  GstSample *jpeg = gst_video_convert_sample(raw_, caps, kDecodeTimeout, &err);
  gst_caps_unref(caps);
  if (!jpeg) {
    r->reason = std::string("JPEG encoding failed: ") + (err ? err->message : "?");
    g_clear_error(&err);
    return GBytesPtr();
  }
  GstMapInfo map;
  GstBuffer *buf = gst_sample_get_buffer(jpeg);
  GBytesPtr out;
  if (buf && gst_buffer_map(buf, &map, GST_MAP_READ)) {
    out = GBytesPtr(g_bytes_new(map.data, map.size));
    gst_buffer_unmap(buf, &map);
  }
  gst_sample_unref(jpeg);
  return out;
}

}  // namespace gstsse
