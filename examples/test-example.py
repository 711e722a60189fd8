#!/usr/bin/env python3
"""Runs one example as a user would and checks what a real client receives.

usage: test-example.py --build-dir DIR [--embed-cpp EXE] NAME

NAME is an example (camera, camera-h264, camera-mjpeg, file-loop (on a file),
file-loop-clip (on the clip it generates), audio-aac, two-streams, tcp-bridge,
demo, embed-cpp, embed-python), or camera-pipelines:
every example's camera pipeline built with /dev/null for the camera, to check
that it is built and linked up to the device (see check_camera_pipelines).

For an example:

1. starts the example on free ports, on 127.0.0.1, with the test pattern, in
   its own session (so that SIGINT reaches it as Ctrl-C in a terminal would);
2. waits until its port accepts connections (and retries on other ports if
   one was taken in the meantime);
3. connects one SSE client per stream path and reads events until each has
   MIN_FRAME_EVENTS media events that start a video frame (with audio, the
   audio between two frames comes as events of its own);
4. sends SIGINT to the example's process group and requires it to exit with
   status 0 within STOP_TIMEOUT seconds, after every client got `event: eos`;
5. for each client, Base64-decodes the media events from the first one on
   into a .ts file and requires `ffmpeg -v error` to print nothing for it,
   ffprobe to count video frames (and find an AAC stream where one is sent),
   and the video to be H.264 that every browser decodes: 4:2:0, 8-bit
   (yuv420p, or yuvj420p in full range), progressive, as the last `stream`
   event also says (`browser_safe`), Constrained Baseline, Main or High profile;
6. requires that ssesink posted no warning (it warns about profiles that
   browsers cannot decode).

The test pattern stands in for cameras of several raw formats (TEST_FORMAT:
YUY2, NV12, Y444, ...; see TEST_FORMATS), so each example shows that it
serves 4:2:0 8-bit H.264 whatever the camera gives.

The embedded examples must also report the client (client-added), its
statistics (get-stats) and its removal (client-removed).

Only the Python standard library; ffmpeg and ffprobe on PATH. Exit status 0
(pass), 1 (fail) or 77 (skip: the example's language bindings are missing).
"""
import argparse
import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
HOST = "127.0.0.1"
MIN_FRAME_EVENTS = 45  # events starting a frame per client before stopping: 1.5 s at 30 fps
MIN_FRAMES = 40  # decodable video frames required in what a client received
START_TIMEOUT = 20.0  # seconds until the port is open
EVENTS_TIMEOUT = 25.0  # seconds until every client has MIN_FRAME_EVENTS
STOP_TIMEOUT = 10.0  # seconds from SIGINT to exit
SKIP = 77
# The test pattern's raw format per example, standing in for a camera's:
# 4:2:2 (YUY2, the usual USB camera format), 4:2:0 (NV12), 4:4:4 (Y444).
TEST_FORMATS = {"demo": "YUY2", "camera": "NV12", "camera-h264": "YUY2", "camera-mjpeg": "YUY2",
                "audio-aac": "Y444", "two-streams": "YUY2", "tcp-bridge": "Y42B"}
# What ffprobe must report for the video of every example.
BROWSER_PROFILES = ("Constrained Baseline", "Baseline", "Main", "High")
# 4:2:0 8-bit; yuvj420p is the same in full range (JPEG's, from MJPEG cameras).
BROWSER_PIX_FMTS = ("yuv420p", "yuvj420p")

# Settings for every example: the test pattern, small and quick to encode.
COMMON_ENV = {
    "SOURCE": "test",
    "AUDIO": "test",
    "ADDRESS": HOST,
    "WIDTH": "320",
    "HEIGHT": "240",
    "FRAMERATE": "30",
    "BITRATE": "500",
}
# Settings of the scripts that must come from the scripts' defaults here.
CLEARED_ENV = ("STREAM_PATH", "DEVICE", "EXTRA_CONTROLS", "FILE", "TRANSCODE", "ROLE", "TCP_HOST", "CAMERA_PATH",
               "PATTERN_PATH", "ALSA_DEVICE", "SETUP")
EXAMPLES = ("demo", "camera", "camera-h264", "camera-mjpeg", "file-loop", "file-loop-clip", "audio-aac",
            "two-streams", "tcp-bridge", "embed-cpp", "embed-python")
EMBED_ARGS = ["--source", "test", "--address", HOST, "--width", "320", "--height", "240",
              "--stats-interval", "1"]


def log(*args):
    print("[test]", *args, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def gi_python():
    """A Python interpreter that has PyGObject and GStreamer's typelib."""
    probe = "import gi; gi.require_version('Gst', '1.0'); from gi.repository import Gst"
    for exe in (sys.executable, "/usr/bin/python3", shutil.which("python3")):
        if exe and os.path.exists(exe):
            if subprocess.run([exe, "-c", probe], capture_output=True).returncode == 0:
                return exe
    return None


class Example:
    """How to start one example: command and environment, given free ports."""

    def __init__(self, name, args, build_dir, camera_device=None):
        self.name = name
        self.paths = ["/stream"]
        self.audio = False
        self.embedded = False
        self.workdir = tempfile.mkdtemp(prefix="sse-example-%s-" % name)
        self.env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
        self.env.update(COMMON_ENV)
        self.env["BUILD_DIR"] = build_dir
        if name in TEST_FORMATS:
            self.env["TEST_FORMAT"] = TEST_FORMATS[name]
        # Marks every process the example starts, to find any left behind.
        self.env["SSE_EXAMPLE_TEST_ID"] = self.marker = uuid.uuid4().hex
        plugin_dir = os.path.join(build_dir, "ext", "sse")
        old = self.env.get("GST_PLUGIN_PATH")
        self.env["GST_PLUGIN_PATH"] = plugin_dir + (":" + old if old else "")
        self.launch = os.path.join(HERE, "launch")
        self.args = args
        self.embed_args = list(EMBED_ARGS)
        # These run on port 0, the others on a free port chosen here.
        self.port_zero = name in ("camera", "embed-cpp")
        if camera_device:
            # The camera branch of the pipeline, on the given device.
            self.env.update(SOURCE="camera", DEVICE=camera_device, EXTRA_CONTROLS="c,h264_i_frame_period=30")
            self.embed_args[1:2] = ["camera", "--device", camera_device]

    def command(self, ports):
        """The command line for the example on ports[0] (and ports[1])."""
        port = str(ports[0])
        self.env["PORT"] = port
        n = self.name
        if n in ("camera", "camera-h264", "camera-mjpeg", "audio-aac", "two-streams", "file-loop"):
            return ["bash", os.path.join(self.launch, n + ".sh")]
        if n == "file-loop-clip":
            return ["bash", os.path.join(self.launch, "file-loop.sh")]
        if n == "demo":
            self.env["SETUP"] = "0"  # the test runs on a build: no apt-get, no ninja
            return ["bash", os.path.join(HERE, "demo.sh")]
        if n == "tcp-bridge":
            self.env["TCP_PORT"] = str(ports[1])
            return ["bash", os.path.join(self.launch, "tcp-bridge.sh")]
        if n == "embed-cpp":
            return [os.path.abspath(self.args.embed_cpp), "--port", port] + self.embed_args
        if n == "embed-python":
            return [self.python, os.path.join(HERE, "embed-python", "sse-server.py"), "--port", port] + self.embed_args
        raise ValueError(n)

    def prepare(self):
        """Per-example setup; returns a reason to skip, or None."""
        n = self.name
        if n.startswith("file-loop"):
            # The transcoded copy goes to the script's cache: here, not ~/.cache.
            self.env["XDG_CACHE_HOME"] = os.path.join(self.workdir, "cache")
        if n == "audio-aac":
            self.audio = True
        elif n == "two-streams":
            self.paths = ["/camera", "/pattern"]
        elif n == "file-loop":
            # A one-second MP4 clip: the script transcodes it once and loops
            # it, so the client's 1.5 s cross at least one loop. (With
            # file-loop-clip, no FILE: the script generates a clip.)
            clip = os.path.join(self.workdir, "clip.mp4")
            subprocess.run(
                ["gst-launch-1.0", "-q", "videotestsrc", "num-buffers=30", "pattern=smpte", "!",
                 "video/x-raw,width=320,height=240,framerate=30/1", "!",
                 "x264enc", "speed-preset=veryfast", "!", "mp4mux", "!", "filesink", "location=" + clip],
                check=True, env=self.env)
            self.env["FILE"] = clip
        elif n == "embed-cpp":
            self.embedded = True
            if not self.args.embed_cpp:
                return "the embed-cpp program was not given (--embed-cpp)"
        elif n == "embed-python":
            self.embedded = True
            self.python = gi_python()
            if not self.python:
                return ("no python3 with PyGObject and GStreamer's typelib "
                        "(Debian: python3-gi gir1.2-gstreamer-1.0)")
        return None

    def ports_needed(self):
        return 2 if self.name == "tcp-bridge" else 1


class Process:
    """The running example: output collected and echoed, stopped by SIGINT."""

    def __init__(self, cmd, env, cwd):
        log("starting:", " ".join(cmd))
        self.proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.lines = []
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            print("  | " + line, flush=True)
            with self.lock:
                self.lines.append(line)

    def output(self):
        with self.lock:
            return "\n".join(self.lines)

    def wait_for(self, pattern, timeout):
        """Waits until a line of the output matches pattern; returns the match."""
        deadline = time.monotonic() + timeout
        while True:
            ended = self.proc.poll() is not None
            m = re.search(pattern, self.output(), re.M)
            if m or ended or time.monotonic() >= deadline:
                return m
            time.sleep(0.05)

    def interrupt(self):
        """SIGINT to the whole process group, as Ctrl-C does."""
        try:
            os.killpg(self.proc.pid, signal.SIGINT)
        except ProcessLookupError:
            pass

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


def leftover_processes(marker):
    """Pids of processes still running with SSE_EXAMPLE_TEST_ID=marker."""
    needle = ("SSE_EXAMPLE_TEST_ID=%s" % marker).encode()
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/environ" % entry, "rb") as f:
                if needle in f.read().split(b"\0"):
                    pids.append(int(entry))
        except OSError:
            pass
    return pids


def wait_for_port(proc, port, timeout):
    """True once port accepts connections; False if the process ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.proc.poll() is not None:
            return False
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class Client(threading.Thread):
    """An SSE client: GET path, parse the event stream to its end."""

    def __init__(self, port, path):
        super().__init__(daemon=True)
        self.port = port
        self.path = path
        self.prelude = None
        self.media = []  # JSON objects of the media events, in order
        self.frame_events = 0  # media events in which a video frame starts (pts not null)
        self.other = []  # (event type, data) of named events after the prelude
        self.error = None
        self.ended = False
        self.enough = threading.Event()

    def run(self):
        try:
            self._run()
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = "%s: %s" % (type(e).__name__, e)
        finally:
            self.ended = True
            self.enough.set()

    def _run(self):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=EVENTS_TIMEOUT)
        conn.request("GET", self.path, headers={"Accept": "text/event-stream"})
        resp = conn.getresponse()
        if resp.status != 200:
            raise RuntimeError("HTTP %d %s" % (resp.status, resp.reason))
        ctype = resp.getheader("Content-Type", "")
        if not ctype.startswith("text/event-stream"):
            raise RuntimeError("Content-Type %r" % ctype)
        event, data = "", []
        while True:
            raw = resp.readline()
            if not raw:
                return  # end of the response
            line = raw.decode("utf-8").rstrip("\r\n")
            if line == "":
                if data:
                    self._dispatch(event, "\n".join(data))
                event, data = "", []
                continue
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                event = value
            elif field == "data":
                data.append(value)

    def _dispatch(self, event, data):
        if event in ("", "message"):
            m = json.loads(data)
            self.media.append(m)
            if m.get("pts") is not None:
                self.frame_events += 1
                if self.frame_events >= MIN_FRAME_EVENTS:
                    self.enough.set()
        elif event == "stream" and self.prelude is None:
            self.prelude = json.loads(data)
        else:
            self.other.append((event, data))

    def saw_eos(self):
        return any(e == "eos" for e, _ in self.other)


def check_stream(client, workdir, audio):
    """Problems with what client received (empty list when none)."""
    problems = []
    tag = client.path
    if client.error:
        problems.append("%s: client error: %s" % (tag, client.error))
    if not client.prelude or client.prelude.get("protocol") != 1 or client.prelude.get("path") != client.path:
        problems.append("%s: bad or missing stream event: %r" % (tag, client.prelude))
    if client.frame_events < MIN_FRAME_EVENTS:
        problems.append("%s: %d media events starting a frame, wanted %d"
                        % (tag, client.frame_events, MIN_FRAME_EVENTS))
    if not client.media:
        return problems
    if client.media[0].get("key") is not True:
        problems.append("%s: the first media event is not a key chunk" % tag)
    seqs = [m["seq"] for m in client.media]
    if seqs != list(range(seqs[0], seqs[0] + len(seqs))):
        problems.append("%s: sequence numbers do not increase by one" % tag)
    unexpected = [e for e, _ in client.other if e not in ("eos", "stream")]
    if unexpected:
        problems.append("%s: unexpected events %s" % (tag, unexpected))
    # The stream event comes again once the element has read the codecs from
    # the stream (same epoch); the last one says what the client got.
    streams = [client.prelude or {}] + [json.loads(d) for e, d in client.other if e == "stream"]
    if any(s.get("epoch") != streams[0].get("epoch") for s in streams):
        problems.append("%s: the stream event's epoch changed: %r" % (tag, streams))
    video = streams[-1].get("video") or {}
    if not str(video.get("codecs", "")).startswith("avc1.") or video.get("browser_safe") is not True:
        problems.append("%s: the stream event does not name browser-safe H.264: %r" % (tag, streams[-1]))
    if audio and not str(streams[-1].get("codecs", "")).endswith(",mp4a.40.2"):
        problems.append("%s: the stream event names no AAC: %r" % (tag, streams[-1].get("codecs")))
    if not client.saw_eos():
        problems.append("%s: no 'event: eos' before the end of the stream" % tag)

    ts_file = os.path.join(workdir, tag.strip("/").replace("/", "_") + ".ts")
    with open(ts_file, "wb") as f:
        for m in client.media:
            f.write(base64.b64decode(m["data"], validate=True))
    log("%s: %d media events (%d starting a frame), %d bytes of TS in %s"
        % (tag, len(client.media), client.frame_events, os.path.getsize(ts_file), ts_file))

    ff = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", ts_file, "-f", "null", "-"],
                        capture_output=True, text=True)
    if ff.returncode != 0 or ff.stdout.strip() or ff.stderr.strip():
        problems.append("%s: ffmpeg (status %d) says: %s" % (tag, ff.returncode, (ff.stdout + ff.stderr).strip()))
    probe = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-show_entries",
                            "stream=codec_type,codec_name,nb_read_frames,profile,pix_fmt,field_order",
                            "-of", "json", ts_file],
                           capture_output=True, text=True)
    streams = json.loads(probe.stdout or "{}").get("streams", [])
    log("%s: ffprobe: %s" % (tag, streams))
    video = [s for s in streams if s.get("codec_type") == "video" and s.get("codec_name") == "h264"]
    frames = int(video[0].get("nb_read_frames", 0)) if video else 0
    if frames < MIN_FRAMES:
        problems.append("%s: ffprobe counts %d H.264 frames, wanted %d" % (tag, frames, MIN_FRAMES))
    for v in video:
        if v.get("profile") not in BROWSER_PROFILES or v.get("pix_fmt") not in BROWSER_PIX_FMTS or \
                v.get("field_order", "progressive") not in ("progressive", "unknown"):
            problems.append("%s: H.264 %s, %s, %s: not what every browser decodes (%s, %s, progressive)"
                            % (tag, v.get("profile"), v.get("pix_fmt"), v.get("field_order"),
                               "/".join(BROWSER_PROFILES), "/".join(BROWSER_PIX_FMTS)))
    if audio and not any(s.get("codec_type") == "audio" and s.get("codec_name") == "aac" for s in streams):
        problems.append("%s: no AAC audio stream" % tag)
    return problems


def check_index(port, paths):
    """Problems with the page at / (empty list when none): the player pointed
    at the stream, or with several streams the wall naming each."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", "/")
        resp = conn.getresponse()
        body = resp.read().decode("utf-8", "replace")
    except OSError as e:
        return ["GET /: %s" % e]
    finally:
        conn.close()
    if resp.status != 200 or not resp.getheader("Content-Type", "").startswith("text/html"):
        return ["GET /: HTTP %d, %s" % (resp.status, resp.getheader("Content-Type"))]
    if len(paths) == 1:
        wanted = '<meta name="sse-src" content="%s">' % paths[0]
        return [] if wanted in body else ["GET /: no %s in the page" % wanted]
    m = re.search(r'<meta name="sse-streams" content="([^"]*)">', body)
    if not m:
        return ["GET /: not the wall (no sse-streams meta)"]
    listed = m.group(1).split(",")
    return ["GET /: the wall does not list %s (it lists %s)" % (p, listed) for p in paths if p not in listed]


def check_embedded_output(proc):
    problems = []
    added = proc.wait_for(r"^client (\d+) connected from 127\.0\.0\.1", 0)
    if not added:
        return ["no 'client N connected from 127.0.0.1' line (client-added)"]
    cid = added.group(1)
    if not re.search(r"^client %s stats: bytes-sent=[1-9]\d* events-sent=[1-9]" % cid, proc.output(), re.M):
        problems.append("no 'client %s stats: ...' line with bytes and events sent (get-stats)" % cid)
    if not re.search(r"^client %s disconnected \((eos|closed|shutdown)\)" % cid, proc.output(), re.M):
        problems.append("no 'client %s disconnected (reason)' line (client-removed)" % cid)
    return problems


def start(example):
    """Starts the example; returns (process, HTTP port) or (None, problem)."""
    for attempt in range(3):
        ports = [free_port() for _ in range(example.ports_needed())]
        if example.port_zero:
            ports[0] = 0
        proc = Process(example.command(ports), example.env, example.workdir)
        port = ports[0]
        if example.port_zero:
            # The port the system picked: gst-launch -v prints current-port,
            # the programs their URL.
            m = proc.wait_for(r"current-port = (\d+)|Player: +http://127\.0\.0\.1:(\d+)/", START_TIMEOUT)
            port = int(m.group(1) or m.group(2)) if m else 0
        if port and wait_for_port(proc, port, START_TIMEOUT):
            return proc, port
        proc.kill()
        if "already in use" in proc.output() and attempt < 2:
            log("port taken meanwhile; again on other ports")
            continue
        return None, ("the example did not open port %s within %.0f s (exit status %s)"
                      % (port or "(none printed)", START_TIMEOUT, proc.proc.returncode))


def run(example):
    """Starts the example, checks it; returns the list of problems."""
    proc, port = start(example)
    if proc is None:
        return [port]
    log("port %d open after start" % port)
    problems = []
    # The URL is printed before the server starts, or (programs, port 0)
    # right after; give it a moment to reach us through the pipe.
    url = r"http://127\.0\.0\.1:%s/" % ("<port>" if example.port_zero and not example.embedded else port)
    if not proc.wait_for(url, 5):
        problems.append("the example did not print its URL (%s)" % url.replace("\\", ""))

    clients = [Client(port, p) for p in example.paths]
    started = time.monotonic()
    for c in clients:
        c.start()
    deadline = started + EVENTS_TIMEOUT
    for c in clients:
        c.enough.wait(max(0.0, deadline - time.monotonic()))
    log("clients have %s frame events after %.1f s"
        % ([c.frame_events for c in clients], time.monotonic() - started))
    if example.embedded:
        # A statistics line for the client, printed every --stats-interval.
        proc.wait_for(r"^client \d+ stats: bytes-sent=[1-9]", 5)
    problems += check_index(port, example.paths)

    stop = time.monotonic()
    proc.interrupt()
    try:
        status = proc.proc.wait(STOP_TIMEOUT)
        log("exited with status %d %.1f s after SIGINT" % (status, time.monotonic() - stop))
        if status != 0:
            problems.append("exit status %d after SIGINT (wanted 0)" % status)
    except subprocess.TimeoutExpired:
        problems.append("still running %.0f s after SIGINT" % STOP_TIMEOUT)
        proc.kill()
    # Nothing the example started may outlive it.
    for _ in range(20):
        left = leftover_processes(example.marker)
        if not left:
            break
        time.sleep(0.1)
    else:
        problems.append("processes left running after the example exited: %s" % left)
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    for c in clients:
        c.join(5)
        if c.is_alive():
            problems.append("%s: the response did not end after the example stopped" % c.path)
    proc.reader.join(5)

    for c in clients:
        problems += check_stream(c, example.workdir, example.audio)
    # gst-launch-1.0 prints the bus's warnings: "WARNING: from element .../GstSseSink:..."
    warnings = [line for line in proc.output().splitlines() if "WARNING" in line and "GstSseSink" in line]
    if warnings:
        problems.append("ssesink warned: %s" % " / ".join(warnings))
    if example.embedded:
        problems += check_embedded_output(proc)
    return problems


# The examples that read a camera when there is one.
CAMERA_EXAMPLES = ["demo", "camera", "camera-h264", "camera-mjpeg", "audio-aac", "two-streams", "tcp-bridge",
                   "embed-cpp", "embed-python"]


def check_camera_pipelines(args, build_dir):
    """Each example's camera pipeline, given /dev/null for a camera: it must be
    built and linked (caps, converters, encoder) and fail only where v4l2src
    opens the device. Returns the list of problems."""
    problems = []
    for name in CAMERA_EXAMPLES:
        example = Example(name, args, build_dir, camera_device="/dev/null")
        try:
            reason = example.prepare()
            if reason:
                log("%s: skipped: %s" % (name, reason))
                continue
            ports = [free_port() for _ in range(example.ports_needed())]
            proc = Process(example.command(ports), example.env, example.workdir)
            try:
                status = proc.proc.wait(START_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                status = None
            proc.reader.join(5)
            if status is None:
                problems.append("%s: still running %.0f s after start, with /dev/null for a camera"
                                % (name, START_TIMEOUT))
            elif status == 0:
                problems.append("%s: exit status 0 with /dev/null for a camera" % name)
            elif not re.search(r"v4l2src\d+: Error getting capabilities for device '/dev/null'", proc.output()):
                problems.append("%s: failed, but not at v4l2src opening /dev/null" % name)
            else:
                log("%s: the camera pipeline fails at v4l2src, as it should" % name)
            left = leftover_processes(example.marker)
            if left:
                problems.append("%s: processes left running: %s" % (name, left))
                for pid in left:
                    os.kill(pid, signal.SIGKILL)
        finally:
            shutil.rmtree(example.workdir, ignore_errors=True)
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build-dir", required=True, help="meson build directory (its ext/sse has the plugin)")
    ap.add_argument("--embed-cpp", help="the embed-cpp program")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (TS files)")
    ap.add_argument("name", choices=EXAMPLES + ("camera-pipelines",))
    args = ap.parse_args()

    if args.name == "camera-pipelines":
        problems = check_camera_pipelines(args, os.path.abspath(args.build_dir))
        for p in problems:
            log("FAIL:", p)
        return 1 if problems else 0

    example = Example(args.name, args, os.path.abspath(args.build_dir))
    try:
        reason = example.prepare()
        if reason:
            log("SKIP:", reason)
            return SKIP
        t0 = time.monotonic()
        problems = run(example)
        log("%s: %.1f s" % (args.name, time.monotonic() - t0))
    finally:
        if args.keep:
            log("kept", example.workdir)
        else:
            shutil.rmtree(example.workdir, ignore_errors=True)
    for p in problems:
        log("FAIL:", p)
    if problems:
        return 1
    log("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
