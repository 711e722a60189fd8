/* sse-embed: a program that embeds ssesink.
 *
 * Builds camera (or test pattern) -> H.264 -> MPEG-TS -> ssesink in code,
 * sets the sink's properties from the command line, reports clients as they
 * come and go (client-added, client-removed), prints each client's
 * statistics (get-stats) every few seconds, and on Ctrl-C sends EOS and waits
 * for it, so every client receives `event: eos` before the program exits.
 *
 *   build/examples/sse-embed --help
 *   build/examples/sse-embed --source test --port 9000
 */
#include <glib-unix.h>
#include <gst/gst.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

/* ---- small RAII helpers for GLib/GStreamer objects ---- */

struct ObjectUnref {
  void operator()(gpointer p) const { gst_object_unref(p); }
};
using ElementPtr = std::unique_ptr<GstElement, ObjectUnref>;
using BusPtr = std::unique_ptr<GstBus, ObjectUnref>;

struct MainLoopUnref {
  void operator()(GMainLoop *p) const { g_main_loop_unref(p); }
};
struct MessageUnref {
  void operator()(GstMessage *p) const { gst_message_unref(p); }
};
using MessagePtr = std::unique_ptr<GstMessage, MessageUnref>;
struct StructureFree {
  void operator()(GstStructure *p) const { gst_structure_free(p); }
};
using StructurePtr = std::unique_ptr<GstStructure, StructureFree>;

/* One line, whole and flushed at once: the sink's signals come from its
 * server thread, the rest from the main thread. */
void say(const std::string &line, std::ostream &out = std::cout) {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  out << line << std::endl;
}

template <typename... Args>
std::string cat(const Args &...args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

/* ---- options ---- */

struct Options {
  std::string source = "auto";  // auto | camera | test
  std::string device = "/dev/video0";
  std::string address = "localhost";
  int port = 8080;
  std::string path = "/stream";
  int width = 640;
  int height = 480;
  int framerate = 30;
  int bitrate = 2000;  // kbit/s
  int max_clients = 0;
  std::string cors_origin;
  int stats_interval = 5;  // seconds, 0 = off
  std::string plugin_dir = SSE_BUILD_PLUGIN_DIR;
};

/* Parses argv into an Options; prints help or an error and exits on demand. */
Options parse_options(int argc, char **argv) {
  Options o;
  gchar *source = nullptr, *device = nullptr, *address = nullptr, *path = nullptr, *cors = nullptr,
        *plugin_dir = nullptr;
  const GOptionEntry entries[] = {
      {"source", 's', 0, G_OPTION_ARG_STRING, &source,
       "auto (the camera when DEVICE exists, else the test pattern), camera or test", "SOURCE"},
      {"device", 'd', 0, G_OPTION_ARG_FILENAME, &device, "V4L2 camera device (/dev/video0)", "DEVICE"},
      {"address", 'a', 0, G_OPTION_ARG_STRING, &address,
       "Address to listen on (localhost; 0.0.0.0 or :: for every interface)", "ADDRESS"},
      {"port", 'p', 0, G_OPTION_ARG_INT, &o.port, "TCP port (8080; 0 picks a free one)", "PORT"},
      {"path", 0, 0, G_OPTION_ARG_STRING, &path, "URL path of the event stream (/stream)", "PATH"},
      {"width", 0, 0, G_OPTION_ARG_INT, &o.width, "Picture width (640)", "W"},
      {"height", 0, 0, G_OPTION_ARG_INT, &o.height, "Picture height (480)", "H"},
      {"framerate", 0, 0, G_OPTION_ARG_INT, &o.framerate, "Frames per second (30); also the keyframe interval", "FPS"},
      {"bitrate", 0, 0, G_OPTION_ARG_INT, &o.bitrate, "H.264 bitrate in kbit/s (2000)", "KBPS"},
      {"max-clients", 0, 0, G_OPTION_ARG_INT, &o.max_clients, "Clients served at once (0 = unlimited)", "N"},
      {"cors-origin", 0, 0, G_OPTION_ARG_STRING, &cors, "Access-Control-Allow-Origin value, e.g. *", "ORIGIN"},
      {"stats-interval", 'i', 0, G_OPTION_ARG_INT, &o.stats_interval,
       "Seconds between two statistics reports (5; 0 = none)", "S"},
      {"plugin-dir", 0, 0, G_OPTION_ARG_FILENAME, &plugin_dir,
       "Directory with an uninstalled ssesink, used before the installed plugins (this build's ext/sse; an empty "
       "string: installed plugins only)",
       "DIR"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};

  GOptionContext *context = g_option_context_new("- serve a camera or test pattern with ssesink");
  g_option_context_add_main_entries(context, entries, nullptr);
  GError *error = nullptr;
  const bool ok = g_option_context_parse(context, &argc, &argv, &error);
  g_option_context_free(context);
  if (!ok) {
    std::cerr << argv[0] << ": " << error->message << " (see --help)" << std::endl;
    g_error_free(error);
    std::exit(2);
  }
  auto take = [](gchar *value, std::string &to) {
    if (value)
      to = value;
    g_free(value);
  };
  take(source, o.source);
  take(device, o.device);
  take(address, o.address);
  take(path, o.path);
  take(cors, o.cors_origin);
  take(plugin_dir, o.plugin_dir);

  if (o.source != "auto" && o.source != "camera" && o.source != "test") {
    std::cerr << argv[0] << ": --source must be auto, camera or test" << std::endl;
    std::exit(2);
  }
  if (o.port < 0 || o.port > 65535 || o.width <= 0 || o.height <= 0 || o.framerate <= 0 || o.bitrate <= 0 ||
      o.max_clients < 0 || o.stats_interval < 0) {
    std::cerr << argv[0] << ": a number is out of range (see --help)" << std::endl;
    std::exit(2);
  }
  return o;
}

/* ---- the pipeline ---- */

GstElement *make(const char *factory) {
  GstElement *element = gst_element_factory_make(factory, nullptr);
  if (!element)
    throw std::runtime_error(cat("no element \"", factory, "\": is its GStreamer plugin installed?"));
  return element;
}

struct Pipeline {
  ElementPtr pipeline;
  GstElement *sink = nullptr;  // owned by the pipeline
  bool camera = false;
};

Pipeline build_pipeline(const Options &o) {
  Pipeline p;
  p.camera = o.source == "camera" || (o.source == "auto" && std::filesystem::exists(o.device));
  if (o.source == "camera" && !std::filesystem::exists(o.device))
    throw std::runtime_error(cat("--source camera, but there is no ", o.device));

  p.pipeline.reset(gst_pipeline_new("sse-embed"));
  // Each element goes into the pipeline as it is made, so the pipeline owns
  // it even when a later one is missing.
  std::vector<GstElement *> chain;
  auto add = [&](const char *factory) {
    GstElement *e = make(factory);
    gst_bin_add(GST_BIN(p.pipeline.get()), e);
    chain.push_back(e);
    return e;
  };
  auto add_raw_caps = [&] {
    GstCaps *caps = gst_caps_new_simple("video/x-raw", "width", G_TYPE_INT, o.width, "height", G_TYPE_INT, o.height,
                                        "framerate", GST_TYPE_FRACTION, o.framerate, 1, nullptr);
    g_object_set(add("capsfilter"), "caps", caps, nullptr);
    gst_caps_unref(caps);
  };

  if (p.camera) {
    g_object_set(add("v4l2src"), "device", o.device.c_str(), nullptr);
    // The caps choose the camera's mode (its pixel format is converted below).
    add_raw_caps();
  } else {
    GstElement *src = add("videotestsrc");
    g_object_set(src, "is-live", TRUE, nullptr);
    gst_util_set_object_arg(G_OBJECT(src), "pattern", "ball");
    add_raw_caps();
    // A running clock on the picture, when timeoverlay (gstreamer1.0-x) is there.
    if (GstElementFactory *overlay = gst_element_factory_find("timeoverlay")) {
      gst_object_unref(overlay);
      add("timeoverlay");
    }
  }

  // Any raw format to I420, so that x264enc encodes 4:2:0 8-bit, which every
  // browser decodes: given a camera's YUY2 as it is, it would pick High 4:2:2.
  add("videoconvert");
  GstCaps *i420 = gst_caps_from_string("video/x-raw,format=I420");
  g_object_set(add("capsfilter"), "caps", i420, nullptr);
  gst_caps_unref(i420);
  // Live H.264: no B-frames or lookahead, a keyframe every second (where new
  // clients start).
  GstElement *enc = add("x264enc");
  gst_util_set_object_arg(G_OBJECT(enc), "tune", "zerolatency");
  gst_util_set_object_arg(G_OBJECT(enc), "speed-preset", "veryfast");
  g_object_set(enc, "bitrate", static_cast<guint>(o.bitrate), "key-int-max", static_cast<guint>(o.framerate), nullptr);
  add("mpegtsmux");

  p.sink = add("ssesink");
  g_object_set(p.sink, "address", o.address.c_str(), "port", o.port, "path", o.path.c_str(), "max-clients",
               static_cast<guint>(o.max_clients), nullptr);
  if (!o.cors_origin.empty())
    g_object_set(p.sink, "cors-origin", o.cors_origin.c_str(), nullptr);

  for (size_t i = 1; i < chain.size(); ++i)
    if (!gst_element_link(chain[i - 1], chain[i]))
      throw std::runtime_error(cat("cannot link ", GST_ELEMENT_NAME(chain[i - 1]), " to ", GST_ELEMENT_NAME(chain[i])));
  return p;
}

/* ---- the application ---- */

class App {
 public:
  App(Options options, Pipeline pipeline)
      : options_(std::move(options)), p_(std::move(pipeline)), loop_(g_main_loop_new(nullptr, FALSE)) {
    // The type of client-removed's reason, registered by the plugin (no
    // header declares it: it is looked up by name).
    if (GType reason_type = g_type_from_name("GstSseSinkClientRemoveReason"); G_TYPE_IS_ENUM(reason_type))
      reason_class_ = static_cast<GEnumClass *>(g_type_class_ref(reason_type));
    g_signal_connect(p_.sink, "client-added", G_CALLBACK(on_client_added), this);
    g_signal_connect(p_.sink, "client-removed", G_CALLBACK(on_client_removed), this);
  }
  ~App() {
    for (guint id : sources_)
      g_source_remove(id);
    g_signal_handlers_disconnect_by_data(p_.sink, this);
    if (reason_class_)
      g_type_class_unref(reason_class_);
  }
  App(const App &) = delete;
  App &operator=(const App &) = delete;

  int run() {
    if (p_.camera)
      say(cat("Camera: ", options_.device));
    else
      say(cat("Test pattern (", options_.device, std::filesystem::exists(options_.device) ? " not used)" : " absent)"));
    BusPtr bus(gst_element_get_bus(p_.pipeline.get()));
    if (gst_element_set_state(p_.pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
      // The reason is the first error on the bus (the sink names the address,
      // port or path it could not serve).
      MessagePtr msg(gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ERROR));
      if (msg)
        report_error(msg.get());
      else
        say("error: the pipeline did not start", std::cerr);
      gst_element_set_state(p_.pipeline.get(), GST_STATE_NULL);
      return 1;
    }
    print_urls();

    sources_.push_back(gst_bus_add_watch(bus.get(), on_bus_message, this));
    sources_.push_back(g_unix_signal_add(SIGINT, on_interrupt, this));
    sources_.push_back(g_unix_signal_add(SIGTERM, on_interrupt, this));
    if (options_.stats_interval > 0)
      sources_.push_back(g_timeout_add_seconds(options_.stats_interval, on_stats_tick, this));

    g_main_loop_run(loop_.get());

    // After EOS, error or a second Ctrl-C. Clients still connected are closed
    // when the sink stops (client-removed with reason shutdown); its counters
    // start again from 0 when it starts again.
    const guint64 served = bytes_served();
    gst_element_set_state(p_.pipeline.get(), GST_STATE_NULL);
    say(cat("Stopped; ", served, " bytes served"));
    return exit_code_;
  }

 private:
  void print_urls() {
    gint port = 0;
    g_object_get(p_.sink, "current-port", &port, nullptr);  // the real one, also with --port 0
    std::string host = options_.address;
    if (host == "0.0.0.0" || host == "::")
      host = g_get_host_name();
    if (host.find(':') != std::string::npos)
      host = "[" + host + "]";
    const std::string base = cat("http://", host, ":", port);
    say("");
    say(cat("  Player:       ", base, "/"));
    say(cat("  Event stream: ", base, options_.path, "   (curl -N ", base, options_.path, ")"));
    say("  Ctrl-C stops (EOS first, so clients get 'event: eos')");
    say("");
  }

  guint64 bytes_served() const {
    guint64 bytes = 0;
    g_object_get(p_.sink, "bytes-served", &bytes, nullptr);
    return bytes;
  }

  std::string reason_nick(gint reason) const {
    const GEnumValue *v = reason_class_ ? g_enum_get_value(reason_class_, reason) : nullptr;
    return v ? v->value_nick : cat("reason ", reason);
  }

  void report_error(GstMessage *msg) {
    GError *err = nullptr;
    gchar *debug = nullptr;
    gst_message_parse_error(msg, &err, &debug);
    say(cat("error from ", GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)), ": ", err->message), std::cerr);
    if (debug)
      say(cat("  (", debug, ")"), std::cerr);
    g_clear_error(&err);
    g_free(debug);
  }

  /* Server thread: keep it short, every client's I/O waits meanwhile. */
  static void on_client_added(GstElement *, guint id, const gchar *address, gpointer data) {
    auto *app = static_cast<App *>(data);
    {
      std::lock_guard<std::mutex> lock(app->clients_mutex_);
      app->clients_.insert(id);
    }
    say(cat("client ", id, " connected from ", address));
  }

  /* Server thread. reason is a GstSseSinkClientRemoveReason. */
  static void on_client_removed(GstElement *, guint id, gint reason, gpointer data) {
    auto *app = static_cast<App *>(data);
    {
      std::lock_guard<std::mutex> lock(app->clients_mutex_);
      app->clients_.erase(id);
    }
    say(cat("client ", id, " disconnected (", app->reason_nick(reason), ")"));
  }

  static gboolean on_stats_tick(gpointer data) {
    auto *app = static_cast<App *>(data);
    std::vector<guint> ids;
    {
      std::lock_guard<std::mutex> lock(app->clients_mutex_);
      ids.assign(app->clients_.begin(), app->clients_.end());
    }
    guint num_clients = 0;
    g_object_get(app->p_.sink, "num-clients", &num_clients, nullptr);
    say(cat(num_clients, " client(s), ", app->bytes_served(), " bytes served"));
    for (guint id : ids) {
      GstStructure *raw = nullptr;
      g_signal_emit_by_name(app->p_.sink, "get-stats", id, &raw);
      StructurePtr st(raw);
      if (!st)
        continue;  // gone in the meantime
      guint64 bytes = 0, events = 0, dropped = 0, queued = 0, connected_ns = 0;
      gst_structure_get_uint64(st.get(), "bytes-sent", &bytes);
      gst_structure_get_uint64(st.get(), "events-sent", &events);
      gst_structure_get_uint64(st.get(), "events-dropped", &dropped);
      gst_structure_get_uint64(st.get(), "queue-bytes", &queued);
      gst_structure_get_uint64(st.get(), "connected-time", &connected_ns);
      std::ostringstream line;
      line << "client " << id << " stats: bytes-sent=" << bytes << " events-sent=" << events
           << " events-dropped=" << dropped << " queue-bytes=" << queued << " connected=" << std::fixed
           << std::setprecision(1) << static_cast<double>(connected_ns) / GST_SECOND << "s";
      say(line.str());
    }
    return G_SOURCE_CONTINUE;
  }

  /* Ctrl-C: EOS through the pipeline, so the muxer finishes and every client
   * gets `event: eos`; a second one, or no EOS within 5 s, stops at once. */
  static gboolean on_interrupt(gpointer data) {
    auto *app = static_cast<App *>(data);
    if (!app->stopping_) {
      app->stopping_ = true;
      say("Interrupt: sending EOS, waiting for it (Ctrl-C again to stop at once)");
      gst_element_send_event(app->p_.pipeline.get(), gst_event_new_eos());
      app->sources_.push_back(g_timeout_add_seconds(5, on_eos_timeout, app));
    } else {
      say("Interrupt: stopping now");
      app->exit_code_ = 130;
      g_main_loop_quit(app->loop_.get());
    }
    return G_SOURCE_CONTINUE;
  }

  static gboolean on_eos_timeout(gpointer data) {
    auto *app = static_cast<App *>(data);
    say("error: no EOS 5 s after the interrupt; stopping anyway", std::cerr);
    app->exit_code_ = 1;
    g_main_loop_quit(app->loop_.get());
    return G_SOURCE_CONTINUE;  // removed with the others in ~App
  }

  static gboolean on_bus_message(GstBus *, GstMessage *msg, gpointer data) {
    auto *app = static_cast<App *>(data);
    switch (GST_MESSAGE_TYPE(msg)) {
      case GST_MESSAGE_EOS:
        say("EOS: the stream ended, clients were sent 'event: eos'");
        g_main_loop_quit(app->loop_.get());
        break;
      case GST_MESSAGE_ERROR:
        app->report_error(msg);
        app->exit_code_ = 1;
        g_main_loop_quit(app->loop_.get());
        break;
      case GST_MESSAGE_WARNING: {
        GError *err = nullptr;
        gst_message_parse_warning(msg, &err, nullptr);
        say(cat("warning from ", GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)), ": ", err->message));
        g_clear_error(&err);
        break;
      }
      default: break;
    }
    return G_SOURCE_CONTINUE;
  }

  Options options_;
  Pipeline p_;
  std::unique_ptr<GMainLoop, MainLoopUnref> loop_;
  GEnumClass *reason_class_ = nullptr;
  std::vector<guint> sources_;
  std::mutex clients_mutex_;
  std::set<guint> clients_;  // connected client ids, for get-stats
  bool stopping_ = false;
  int exit_code_ = 0;
};

}  // namespace

int main(int argc, char **argv) {
  Options options = parse_options(argc, argv);

  // An uninstalled plugin directory goes first on GStreamer's plugin path; it
  // must be set before gst_init() scans the plugins.
  if (!options.plugin_dir.empty() && std::filesystem::is_directory(options.plugin_dir)) {
    const char *old = g_getenv("GST_PLUGIN_PATH");
    const std::string value = old && *old ? options.plugin_dir + G_SEARCHPATH_SEPARATOR_S + old : options.plugin_dir;
    g_setenv("GST_PLUGIN_PATH", value.c_str(), TRUE);
  }
  gst_init(nullptr, nullptr);

  int status = 0;
  try {
    Pipeline pipeline = build_pipeline(options);
    App app(std::move(options), std::move(pipeline));
    status = app.run();
  } catch (const std::exception &e) {
    std::cerr << "error: " << e.what() << std::endl;
    if (GstElementFactory *factory = gst_element_factory_find("ssesink"))
      gst_object_unref(factory);
    else
      std::cerr << "(ssesink: build the plugin, or set GST_PLUGIN_PATH to the directory of libgstsse.so)" << std::endl;
    status = 1;
  }
  gst_deinit();
  return status;
}
