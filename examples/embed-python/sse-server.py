#!/usr/bin/env python3
"""Serves a camera or test pattern to browsers with ssesink, from Python.

Builds camera (or test pattern) -> H.264 -> MPEG-TS -> ssesink in code, sets
the sink's properties from the command line, reports clients as they come and
go (client-added, client-removed), prints each client's statistics
(get-stats) every few seconds, and on Ctrl-C sends EOS and waits for it, so
every client receives `event: eos` before the program exits.

    python3 examples/embed-python/sse-server.py --help
    python3 examples/embed-python/sse-server.py --source test --port 9000

Needs PyGObject and GStreamer's introspection data (Debian: python3-gi
gir1.2-gstreamer-1.0), with the system's python3. The plugin is taken from
the build directory (build/ext/sse, or --plugin-dir) when it is there,
through GST_PLUGIN_PATH; otherwise from GStreamer's installed plugins.
"""
import argparse
import os
import signal
import socket
import sys
import threading

try:
    import gi

    gi.require_version("Gst", "1.0")
    from gi.repository import GLib, Gst
except (ImportError, ValueError) as e:
    sys.exit("%s: %s\nInstall python3-gi and gir1.2-gstreamer-1.0 (Debian), and run this with the system's "
             "python3 (/usr/bin/python3), not one from a virtualenv without system packages." % (sys.argv[0], e))

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_PLUGIN_DIR = os.path.join(os.environ.get("BUILD_DIR", os.path.join(REPO, "build")), "ext", "sse")

_print_lock = threading.Lock()


def say(*args, file=sys.stdout):
    """One line, whole and flushed: the sink's signals come from its server thread."""
    with _print_lock:
        print(*args, file=file, flush=True)


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-s", "--source", choices=("auto", "camera", "test"), default="auto",
                    help="auto: the camera when DEVICE exists, else the test pattern (default: auto)")
    ap.add_argument("-d", "--device", default="/dev/video0", help="V4L2 camera device (default: /dev/video0)")
    ap.add_argument("-a", "--address", default="localhost",
                    help="address to listen on; 0.0.0.0 or :: for every interface (default: localhost)")
    ap.add_argument("-p", "--port", type=int, default=8080, help="TCP port; 0 picks a free one (default: 8080)")
    ap.add_argument("--path", default="/stream", help="URL path of the event stream (default: /stream)")
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--framerate", type=int, default=30, help="frames per second, also the keyframe interval")
    ap.add_argument("--bitrate", type=int, default=2000, help="H.264 bitrate in kbit/s (default: 2000)")
    ap.add_argument("--max-clients", type=int, default=0, help="clients served at once (default: 0, unlimited)")
    ap.add_argument("--cors-origin", help="Access-Control-Allow-Origin value, e.g. *")
    ap.add_argument("-i", "--stats-interval", type=int, default=5,
                    help="seconds between two statistics reports; 0: none (default: 5)")
    ap.add_argument("--plugin-dir", default=DEFAULT_PLUGIN_DIR,
                    help="directory with an uninstalled ssesink, used before the installed plugins "
                         "(default: %(default)s; an empty string: installed plugins only)")
    args = ap.parse_args()
    if not 0 <= args.port <= 65535:
        ap.error("--port must be 0 to 65535")
    if min(args.width, args.height, args.framerate, args.bitrate) <= 0 or args.max_clients < 0 \
            or args.stats_interval < 0:
        ap.error("a number is out of range")
    if args.source == "camera" and not os.path.exists(args.device):
        ap.error("--source camera, but there is no %s" % args.device)
    return args


def make(factory, **props):
    """An element with properties set; names with '-' are written with '_'."""
    element = Gst.ElementFactory.make(factory, None)
    if element is None:
        raise RuntimeError('no element "%s": is its GStreamer plugin installed?' % factory)
    for name, value in props.items():
        name = name.replace("_", "-")
        if isinstance(value, str):
            Gst.util_set_object_arg(element, name, value)  # enums by nick, and strings
        else:
            element.set_property(name, value)
    return element


def build_pipeline(args, camera):
    raw_caps = Gst.Caps.from_string(
        "video/x-raw,width=%d,height=%d,framerate=%d/1" % (args.width, args.height, args.framerate))
    if camera:
        # The caps choose the camera's mode (its pixel format is converted below).
        chain = [make("v4l2src", device=args.device), make("capsfilter", caps=raw_caps)]
    else:
        chain = [make("videotestsrc", is_live=True, pattern="ball"), make("capsfilter", caps=raw_caps)]
        if Gst.ElementFactory.find("timeoverlay"):  # a running clock, when gstreamer1.0-x is there
            chain.append(make("timeoverlay"))
    # Any raw format to I420, so that x264enc encodes 4:2:0 8-bit, which every
    # browser decodes: given a camera's YUY2 as it is, it would pick High 4:2:2.
    chain += [make("videoconvert"), make("capsfilter", caps=Gst.Caps.from_string("video/x-raw,format=I420"))]
    # Live H.264: no B-frames or lookahead, a keyframe every second (where new
    # clients start).
    chain.append(make("x264enc", tune="zerolatency", speed_preset="veryfast", bitrate=args.bitrate,
                      key_int_max=args.framerate))
    chain.append(make("mpegtsmux"))
    sink = make("ssesink", address=args.address, port=args.port, path=args.path, max_clients=args.max_clients)
    if args.cors_origin:
        sink.set_property("cors-origin", args.cors_origin)
    chain.append(sink)

    pipeline = Gst.Pipeline.new("sse-server")
    for element in chain:
        pipeline.add(element)
    for a, b in zip(chain, chain[1:]):
        if not a.link(b):
            raise RuntimeError("cannot link %s to %s" % (a.get_name(), b.get_name()))
    return pipeline, sink


class App:
    def __init__(self, args, pipeline, sink):
        self.args = args
        self.pipeline = pipeline
        self.sink = sink
        self.loop = GLib.MainLoop()
        self.clients = set()  # connected client ids, for get-stats
        self.clients_lock = threading.Lock()
        self.stopping = False
        self.exit_code = 0
        sink.connect("client-added", self.on_client_added)
        sink.connect("client-removed", self.on_client_removed)

    def run(self):
        bus = self.pipeline.get_bus()
        if self.pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            # The reason is the first error on the bus (the sink names the
            # address, port or path it could not serve).
            msg = bus.pop_filtered(Gst.MessageType.ERROR)
            if msg:
                self.report_error(msg)
            else:
                say("error: the pipeline did not start", file=sys.stderr)
            self.pipeline.set_state(Gst.State.NULL)
            return 1
        self.print_urls()

        bus.add_signal_watch()
        bus.connect("message", self.on_message)
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, self.on_interrupt)
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, self.on_interrupt)
        if self.args.stats_interval:
            GLib.timeout_add_seconds(self.args.stats_interval, self.on_stats_tick)

        self.loop.run()

        # After EOS, error or a second Ctrl-C. Clients still connected are
        # closed when the sink stops (client-removed with reason shutdown);
        # its counters start again from 0 when it starts again.
        served = self.sink.get_property("bytes-served")
        self.pipeline.set_state(Gst.State.NULL)
        bus.remove_signal_watch()
        say("Stopped; %d bytes served" % served)
        return self.exit_code

    def print_urls(self):
        port = self.sink.get_property("current-port")  # the real one, also with --port 0
        host = self.args.address
        if host in ("0.0.0.0", "::"):
            host = socket.gethostname()
        if ":" in host:
            host = "[%s]" % host
        base = "http://%s:%d" % (host, port)
        say()
        say("  Player:       %s/" % base)
        say("  Event stream: %s%s   (curl -N %s%s)" % (base, self.args.path, base, self.args.path))
        say("  Ctrl-C stops (EOS first, so clients get 'event: eos')")
        say()

    def report_error(self, msg):
        err, debug = msg.parse_error()
        say("error from %s: %s" % (msg.src.get_name(), err.message), file=sys.stderr)
        if debug:
            say("  (%s)" % debug, file=sys.stderr)

    # Server thread: keep these short, every client's I/O waits meanwhile.
    def on_client_added(self, sink, client_id, address):
        with self.clients_lock:
            self.clients.add(client_id)
        say("client %d connected from %s" % (client_id, address))

    def on_client_removed(self, sink, client_id, reason):
        # reason is a GstSseSinkClientRemoveReason: closed, slow, error,
        # shutdown or eos.
        with self.clients_lock:
            self.clients.discard(client_id)
        nick = getattr(reason, "value_nick", None) or "reason %d" % int(reason)
        say("client %d disconnected (%s)" % (client_id, nick))

    def on_stats_tick(self):
        with self.clients_lock:
            ids = sorted(self.clients)
        say("%d client(s), %d bytes served"
            % (self.sink.get_property("num-clients"), self.sink.get_property("bytes-served")))
        for client_id in ids:
            st = self.sink.emit("get-stats", client_id)
            if st is None:
                continue  # gone in the meantime
            say("client %d stats: bytes-sent=%d events-sent=%d events-dropped=%d queue-bytes=%d connected=%.1fs"
                % (client_id, st.get_value("bytes-sent"), st.get_value("events-sent"),
                   st.get_value("events-dropped"), st.get_value("queue-bytes"),
                   st.get_value("connected-time") / Gst.SECOND))
        return GLib.SOURCE_CONTINUE

    def on_interrupt(self):
        """Ctrl-C: EOS through the pipeline, so the muxer finishes and every
        client gets `event: eos`; a second one, or no EOS within 5 s, stops
        at once."""
        if not self.stopping:
            self.stopping = True
            say("Interrupt: sending EOS, waiting for it (Ctrl-C again to stop at once)")
            self.pipeline.send_event(Gst.Event.new_eos())
            GLib.timeout_add_seconds(5, self.on_eos_timeout)
        else:
            say("Interrupt: stopping now")
            self.exit_code = 130
            self.loop.quit()
        return GLib.SOURCE_CONTINUE

    def on_eos_timeout(self):
        say("error: no EOS 5 s after the interrupt; stopping anyway", file=sys.stderr)
        self.exit_code = 1
        self.loop.quit()
        return GLib.SOURCE_REMOVE

    def on_message(self, bus, msg):
        if msg.type == Gst.MessageType.EOS:
            say("EOS: the stream ended, clients were sent 'event: eos'")
            self.loop.quit()
        elif msg.type == Gst.MessageType.ERROR:
            self.report_error(msg)
            self.exit_code = 1
            self.loop.quit()
        elif msg.type == Gst.MessageType.WARNING:
            err, _ = msg.parse_warning()
            say("warning from %s: %s" % (msg.src.get_name(), err.message))


def main():
    args = parse_args()
    # The uninstalled plugin goes first on GStreamer's plugin path; it must be
    # set before Gst.init() scans the plugins.
    if args.plugin_dir and os.path.isdir(args.plugin_dir):
        old = os.environ.get("GST_PLUGIN_PATH")
        os.environ["GST_PLUGIN_PATH"] = args.plugin_dir + (os.pathsep + old if old else "")
    Gst.init(None)

    camera = args.source == "camera" or (args.source == "auto" and os.path.exists(args.device))
    if camera:
        say("Camera: %s" % args.device)
    else:
        say("Test pattern (%s %s)" % (args.device, "not used" if os.path.exists(args.device) else "absent"))
    try:
        pipeline, sink = build_pipeline(args, camera)
    except RuntimeError as e:
        say("error: %s" % e, file=sys.stderr)
        if Gst.ElementFactory.find("ssesink") is None:
            say("(ssesink: build the plugin, or set GST_PLUGIN_PATH to the directory of libgstsse.so)",
                file=sys.stderr)
        return 1
    return App(args, pipeline, sink).run()


if __name__ == "__main__":
    sys.exit(main())
