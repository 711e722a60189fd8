#!/usr/bin/env python3
"""The ssesink benchmark suite (docs/performance.md); run it with bench/run.sh.

Plays one fixed MPEG-TS clip live (made once, cached) through three servers
in turn, with the same load client (sse-load) for each:

  ssesink   filesrc ! tsdemux ! h264parse ! mpegtsmux ! ssesink
  tcp       the same source ! tcpserversink (raw bytes: the cheapest fan-out)
  seed      the same source ! tcpserversink, and seed_flask.py serving SSE

and prints a table: server CPU per stream-second (utime+stime of the whole
server processes, from /proc), bytes delivered, events lost, latency, join
time, RSS; then the ratios and targets, the encode microbenchmark, and a PNG
plot of CPU and latency against clients. Standard library only.
"""
import argparse
import json
import math
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SEED_PYTHON = "/usr/bin/python3"  # Debian's, with python3-flask
# tcp: tcpserversink fed 7-packet buffers (mpegtsmux alignment=7), the usual
# setting for TS over sockets, so it writes 1316 bytes per send; tcp188: fed
# the muxer's default 188-byte buffers, one send per packet per client.
# ssesink10 (not run by default): ssesink with clients asking HTTP/1.0, so the
# body is close-delimited instead of chunked: what the chunk framing costs;
# see "Optimisations" in docs/performance.md.
# ssesink-gzip: the same ssesink, its clients asking Accept-Encoding: gzip
# (what browsers do), so they get the shared per-event deflate (compression,
# docs/protocol.md); sse-load inflates it.
# ssesink-scraped (not run by default): ssesink with a Prometheus-style
# scraper reading its /metrics every second: what counting costs.
SERVERS = ["ssesink", "ssesink-gzip", "tcp", "tcp188", "seed", "ssesink10", "ssesink-scraped"]
DEFAULT_SERVERS = SERVERS[:5]
LABEL = {"ssesink": "ssesink", "ssesink-gzip": "ssesink gzip", "tcp": "tcpserversink", "tcp188": "tcpserversink/188",
         "seed": "seed (Flask)", "ssesink10": "ssesink HTTP/1.0", "ssesink-scraped": "ssesink, /metrics 1/s"}
COLOR = {"ssesink": "#1f77b4", "ssesink-gzip": "#17becf", "tcp": "#2ca02c", "tcp188": "#98df8a", "seed": "#d62728",
         "ssesink10": "#9467bd", "ssesink-scraped": "#aec7e8"}
MAX_CLIENT_BYTES = 8 * 1024 * 1024  # ssesink's default; tcpserversink gets the same bound


def raise_fd_limit():
    """Servers need a descriptor per client (the seed two): use the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def log(*a):
    print(*a, flush=True)


# ---- the clip ------------------------------------------------------------


def make_clip(args, gop_s, seconds, clip_dir):
    """Encodes the test clip once (cached by its parameters); returns its path
    and the byte rate of the stream as the servers' source pipeline remuxes it."""
    w, h = args.size.split("x")
    name = "clip-%sx%s-%dfps-%dkbps-gop%ds-%ds.ts" % (w, h, args.fps, args.kbps, gop_s, seconds)
    path = os.path.join(clip_dir, name)
    meta = path + ".json"
    if os.path.exists(path) and os.path.exists(meta):
        with open(meta) as f:
            return path, json.load(f)["rate"]
    os.makedirs(clip_dir, exist_ok=True)
    log("making %s (once; %d s of %sx%s, x264 %d kbit/s, %d s GOP)" % (name, seconds, w, h, args.kbps, gop_s))
    tmp = path + ".part"
    # A scrolling test card with a running clock: motion everywhere, so the
    # encoder spends its bitrate.
    run_checked(
        ["gst-launch-1.0", "-q", "videotestsrc", "pattern=smpte", "horizontal-speed=4",
         "num-buffers=%d" % (seconds * args.fps), "!",
         "video/x-raw,format=I420,width=%s,height=%s,framerate=%d/1" % (w, h, args.fps), "!",
         "timeoverlay", "font-desc=Sans 48", "!",
         "x264enc", "tune=zerolatency", "speed-preset=superfast", "bitrate=%d" % args.kbps,
         "key-int-max=%d" % (gop_s * args.fps), "!", "mpegtsmux", "!", "filesink", "location=" + tmp])
    # The rate the servers really send: remux as they do, unpaced.
    remuxed = path + ".remux"
    run_checked(["gst-launch-1.0", "-q"] + source_pipeline(tmp) + ["filesink", "location=" + remuxed])
    rate = os.path.getsize(remuxed) / float(seconds)
    os.unlink(remuxed)
    os.rename(tmp, path)
    with open(meta, "w") as f:
        json.dump({"rate": rate, "seconds": seconds, "gop_s": gop_s}, f)
    return path, rate


def source_pipeline(clip, mux=()):
    # Demux and remux: mpegtsmux pushes each frame's packets together at the
    # frame's time, as a live encoder pipeline does, and the sink (sync=true)
    # paces them by the clock.
    return ["filesrc", "location=" + clip, "!", "tsdemux", "!", "h264parse", "!", "mpegtsmux"] + list(mux) + ["!"]


def run_checked(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(cmd), r.stdout[-2000:]))


# ---- servers -------------------------------------------------------------


class Proc:
    """A child process whose stdout is collected by a thread."""

    def __init__(self, cmd, env, logpath):
        self.logf = open(logpath, "w")
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.logf, env=env, text=True,
                                  start_new_session=True)
        self.lines = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.p.stdout:
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
            self.logf.write(line)

    def wait_for(self, regex, timeout):
        deadline = time.monotonic() + timeout
        pat = re.compile(regex)
        seen = 0
        with self.cond:
            while True:
                for line in self.lines[seen:]:
                    m = pat.search(line)
                    if m:
                        return m.group(1)
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or self.p.poll() is not None:
                    return None
                self.cond.wait(min(left, 0.1))

    def stop(self, sig=signal.SIGINT):
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.reader.join(5)  # it writes to logf until stdout ends
        self.logf.close()


def start_server(kind, clip, args, env, logdir, tag):
    """Starts one server; returns (port, path, mode, [Proc]) or raises."""
    pin = prefix(args, args.server_cpu)
    bound = ["unit-format=bytes", "units-max=%d" % MAX_CLIENT_BYTES]
    procs = []
    mux = ["alignment=7"] if kind == "tcp" else []
    if kind.startswith("ssesink"):
        sink = ["ssesink", "address=127.0.0.1", "port=0", "max-client-bytes=%d" % MAX_CLIENT_BYTES]
    else:
        sink = ["tcpserversink", "host=127.0.0.1", "port=0"] + bound
    gst = Proc(pin + ["gst-launch-1.0", "-v"] + source_pipeline(clip, mux) + sink + ["sync=true"], env,
               os.path.join(logdir, "%s-gst.log" % tag))
    procs.append(gst)
    port = gst.wait_for(r"current-port = (\d+)", 30)
    if not port or port == "0":
        stop_all(procs)
        raise RuntimeError("%s did not start; see %s" % (kind, gst.logf.name))
    if kind.startswith("ssesink"):
        return int(port), "/stream", "sse", procs
    if kind in ("tcp", "tcp188"):
        return int(port), "", "tcp", procs
    flask = Proc(pin + [SEED_PYTHON, os.path.join(HERE, "seed_flask.py"), "--gst-port", port], env,
                 os.path.join(logdir, "%s-flask.log" % tag))
    procs.append(flask)
    fport = flask.wait_for(r"listening on port (\d+)", 30)
    if not fport:
        stop_all(procs)
        raise RuntimeError("seed_flask.py did not start; see %s" % flask.logf.name)
    return int(fport), "/stream", "sse", procs


def prefix(args, cpu):
    """Pinning and priority for a benchmark process."""
    cmd = ["taskset", "-c", cpu] if cpu else []
    return cmd + (["nice", "-n", str(args.nice)] if args.nice else [])


def stop_all(procs):
    for p in reversed(procs):
        p.stop()


def have_flask():
    return subprocess.run([SEED_PYTHON, "-c", "import flask"], stderr=subprocess.DEVNULL).returncode == 0


# ---- one measurement -----------------------------------------------------


class Scraper:
    """GET /metrics once a second, as a Prometheus server would, until stopped."""

    def __init__(self, port):
        self.url = "http://127.0.0.1:%d/metrics" % port
        self.scrapes, self.failures = 0, 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        import urllib.request
        while not self.done.wait(1.0):
            try:
                with urllib.request.urlopen(self.url, timeout=5) as r:
                    r.read()
                self.scrapes += 1
            except OSError:
                self.failures += 1

    def stop(self):
        self.done.set()
        self.thread.join()


def measure(kind, clip, rate, n, duration, connect_rate, args, env, logdir, what="sweep"):
    tag = "%s-%s-n%d-%s" % (what, kind, n, os.path.basename(clip)[:-3])
    port, path, mode, procs = start_server(kind, clip, args, env, logdir, tag)
    scraper = Scraper(port) if kind == "ssesink-scraped" else None
    try:
        cmd = prefix(args, args.client_cpu) + [args.sse_load, "--mode", mode, "--port", str(port), "--clients", str(n),
                     "--connect-rate", str(connect_rate), "--duration", str(duration), "--wait", "20",
                     "--json", "--expect-rate", "%.0f" % rate, "--label", tag]
        if path:
            cmd += ["--path", path]
        if kind == "ssesink10":
            cmd += ["--http1.0"]
        if kind == "ssesink-gzip":
            cmd += ["--gzip"]
        for p in procs:
            cmd += ["--pid", str(p.p.pid)]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=duration + n / max(connect_rate, 1) + 120)
        with open(os.path.join(logdir, tag + "-load.log"), "w") as f:
            f.write(r.stderr)
        if r.returncode != 0 or not r.stdout.strip():
            raise RuntimeError("sse-load failed (%d): %s" % (r.returncode, r.stderr[-1000:]))
        res = json.loads(r.stdout.strip().splitlines()[-1])
        res["server"], res["n"], res["rate"], res["connect_rate"] = kind, n, rate, connect_rate
        res["alive"] = all(p.p.poll() is None for p in procs)
        res["loadavg"] = os.getloadavg()[0]  # other work on the machine skews figures
        if scraper:
            scraper.stop()
            res["scrapes"], res["scrape_failures"] = scraper.scrapes, scraper.failures
        return res
    finally:
        if scraper:
            scraper.stop()
        stop_all(procs)


def idle_cpu(kind, clip, args, env, logdir, seconds):
    """Server CPU with no client: the source pipeline's own cost."""
    tag = "%s-idle" % kind
    port, path, mode, procs = start_server(kind, clip, args, env, logdir, tag)
    try:
        cmd = [args.sse_load, "--mode", mode, "--port", str(port), "--clients", "1", "--duration", "0",
               "--wait", "20"] + (["--path", path] if path else [])
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        time.sleep(1)  # the probe client's departure settles

        def cpu():
            total = 0.0
            for p in procs:
                with open("/proc/%d/stat" % p.p.pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            return total

        c0, t0 = cpu(), time.monotonic()
        time.sleep(seconds)
        return (cpu() - c0) / (time.monotonic() - t0)
    finally:
        stop_all(procs)


def encode_bench(args):
    if not args.encode_bench or not os.path.exists(args.encode_bench):
        return None
    r = subprocess.run([args.encode_bench, "--benchmark_format=json",
                        "--benchmark_min_time=%s" % ("0.01" if args.quick else "0.5")],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if r.returncode != 0:
        return None
    out = {}
    for b in json.loads(r.stdout)["benchmarks"]:
        name, size = b["name"].split("/")
        out.setdefault(name, {})[int(size)] = b["bytes_per_second"] / 1e6
    return out


# ---- report --------------------------------------------------------------


def fmt(v, spec="%.1f"):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return spec % v


def get(d, *keys):
    for k in keys:
        if d is None:
            return None
        d = d.get(k)
    return d


def render(head, rows, left=(1,)):
    """A plain-text table (columns in @left left-aligned) and the same in Markdown."""
    widths = [max(len(x[i]) for x in [head] + rows) for i in range(len(head))]
    text = ["  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
            for row in [head] + rows]
    md = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    md += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(text), "\n".join(md)


def sweep_table(results, idle):
    head = ("N", "server", "ok", "CPU s/s", "MB/s out", "wire/TS", "kB/s/client", "deliv min", "lost", "lat p50", "p99",
            "max",
            "join p50", "p99", "RSS MiB", "KiB/client", "load")
    rows = []
    for kind in SERVERS:
        if kind in idle:
            rows.append(("0", LABEL[kind], "-", fmt(idle[kind], "%.3f")) + ("-",) * 13)
    for r in sorted(results, key=lambda r: (r["n"], SERVERS.index(r["server"]))):
        lat = r["latency_ms"]
        rows.append((
            str(r["n"]), LABEL[r["server"]], "%d/%d" % (r["ok"], r["clients"]),
            fmt(r["cpu_per_s"], "%.3f"), fmt(r.get("wire_mb_s"), "%.1f"),
            # Bytes on the wire per byte of TS, and per client per second of video.
            fmt(r["bytes_wire"] / r["bytes_payload"] if r.get("bytes_payload") else None, "%.3f"),
            fmt(r["wire_mb_s"] * 1000 / r["n"] if r.get("wire_mb_s") is not None and r["n"] else None, "%.0f"),
            fmt(get(r, "delivered_ratio", "min"), "%.3f"),
            str(r["events_lost"]) if r["server"].startswith("ssesink") else "-",
            fmt(lat["p50"], "%.2f"), fmt(lat["p99"], "%.2f"), fmt(lat["max"], "%.1f"),
            fmt(r["join_ms"]["p50"], "%.1f"), fmt(r["join_ms"]["p99"], "%.1f"),
            fmt(r["rss_peak_kib"] / 1024 if r["rss_peak_kib"] is not None else None, "%.1f"),
            fmt(r["rss_per_client_kib"], "%.1f"), fmt(r.get("loadavg"), "%.1f"),
        ))
    return render(head, rows)


def join_table(joins, storms, servers):
    head = ("server", "GOP 1 s p50", "p99", "GOP 4 s p50", "p99", "storm ok", "storm p50", "p99", "max")
    rows = []
    for kind in servers:
        g1, g4, st = joins.get((kind, 1)), joins.get((kind, 4)), storms.get(kind)
        rows.append((LABEL[kind], fmt(get(g1, "join_ms", "p50")), fmt(get(g1, "join_ms", "p99")),
                     fmt(get(g4, "join_ms", "p50")), fmt(get(g4, "join_ms", "p99")),
                     "%d/%d" % (st["ok"], st["clients"]) if st else "-",
                     fmt(get(st, "join_ms", "p50")), fmt(get(st, "join_ms", "p99")), fmt(get(st, "join_ms", "max"))))
    return render(head, rows, left=(0,))


def main():
    ap = argparse.ArgumentParser(description="ssesink benchmark suite")
    ap.add_argument("--quick", action="store_true", help="small N, a few seconds (the CI smoke run)")
    ap.add_argument("--sse-load", required=True)
    ap.add_argument("--plugin-dir", required=True)
    ap.add_argument("--encode-bench")
    ap.add_argument("--work", required=True, help="clips, logs and results go here")
    ap.add_argument("--plot", help="PNG to write (default: WORK/performance.png)")
    ap.add_argument("--clients", help="comma-separated N (default 1,10,100,500,1000; quick 1,10)")
    ap.add_argument("--duration", type=float, help="seconds per run after the ramp (default 15; quick 2)")
    ap.add_argument("--long", type=float, help="seconds for the largest N (default 60; quick = --duration)")
    ap.add_argument("--connect-rate", type=float, default=100, help="clients per second in the sweep (default 100)")
    ap.add_argument("--servers", default=",".join(DEFAULT_SERVERS), help="of " + ",".join(SERVERS))
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--kbps", type=int, default=2000)
    ap.add_argument("--no-pin", action="store_true", help="do not pin servers to CPU 0 and the client to CPU 1")
    ap.add_argument("--sweep-only", action="store_true", help="skip the idle, join and storm runs")
    ap.add_argument("--nice", type=int, default=0, help="run servers and client at this niceness (e.g. -5)")
    args = ap.parse_args()

    if args.quick:
        clients = [1, 10]
        duration = args.duration or 2
        long_duration = args.long or duration
        if args.size == "1280x720":
            args.size, args.kbps = "640x360", 800
        join_n, join_rate, storm_n, storm_dur = 10, 20, 20, 1
    else:
        clients = [1, 10, 100, 500, 1000]
        duration = args.duration or 15
        long_duration = args.long or 60
        join_n, join_rate, storm_n, storm_dur = 100, 50, 1000, 5
    if args.clients:
        clients = [int(x) for x in args.clients.split(",")]
    servers = [s for s in args.servers.split(",") if s]
    if "seed" in servers and not have_flask():
        log("seed: skipped (%s has no flask; apt-get install python3-flask)" % SEED_PYTHON)
        servers.remove("seed")
    args.server_cpu = args.client_cpu = None
    if not args.no_pin and (os.cpu_count() or 1) >= 2 and shutil.which("taskset"):
        args.server_cpu, args.client_cpu = "0", "1"

    raise_fd_limit()  # inherited by every process started below
    env = dict(os.environ)
    env["GST_PLUGIN_PATH"] = args.plugin_dir + (":" + env["GST_PLUGIN_PATH"] if env.get("GST_PLUGIN_PATH") else "")
    logdir = os.path.join(args.work, "logs")
    os.makedirs(logdir, exist_ok=True)

    # Clients start at --connect-rate (all within a second below that N):
    # steady-state figures, not a storm, which is measured on its own below.
    rate_for = lambda n: max(1.0, min(float(n), args.connect_rate))
    max_n = max(clients)
    longest = max(duration + max(clients) / rate_for(max(clients)), long_duration + max_n / rate_for(max_n)) + 8
    clip1, rate1 = make_clip(args, 1, int(math.ceil(longest)), os.path.join(args.work, "clips"))
    clip4, rate4 = None, None
    if not args.quick:
        clip4, rate4 = make_clip(args, 4, int(math.ceil(5 + join_n / join_rate + 12)), os.path.join(args.work, "clips"))
    log("stream: %.0f kbit/s as served; servers on CPU %s, load client on CPU %s%s; load average %.1f" % (
        rate1 * 8 / 1000, args.server_cpu or "any", args.client_cpu or "any",
        ", nice %d" % args.nice if args.nice else "", os.getloadavg()[0]))

    results, idle, joins, storms = [], {}, {}, {}

    def attempt(label, kind, *a, **kw):
        try:
            return measure(kind, *a, **kw)
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            log("  %-18s %s FAILED: %s" % (LABEL[kind], label, e))
            return None

    if not args.quick and not args.sweep_only:
        for kind in servers:
            idle[kind] = idle_cpu(kind, clip1, args, env, logdir, 4)
            log("  %-18s N=0     cpu %.3f s/s (the source pipeline alone)" % (LABEL[kind], idle[kind]))
    for n in clients:
        for kind in servers:
            # The seed cannot keep up with the largest N: it gets the short run.
            dur = long_duration if n == max_n and kind != "seed" else duration
            r = attempt("N=%d" % n, kind, clip1, rate1, n, dur, rate_for(n), args, env, logdir)
            if not r:
                continue
            r["wire_mb_s"] = r["bytes_wire"] / 1e6 / (dur + n / rate_for(n))
            r["duration"] = dur
            results.append(r)
            log("  %-18s N=%-5d ok %d/%d  cpu %s s/s  lat p99 %s ms  join p99 %s ms  lost %d  load %.1f" % (
                LABEL[kind], n, r["ok"], r["clients"], fmt(r["cpu_per_s"], "%.3f"),
                fmt(r["latency_ms"]["p99"], "%.2f"), fmt(r["join_ms"]["p99"], "%.1f"), r["events_lost"],
                r["loadavg"]))
    # Joins: a tcpserversink client starts at the next key frame, so each run
    # lasts a GOP and a second. --quick has only the storm.
    for gop, clip, rate in ((1, clip1, rate1), (4, clip4, rate4)) if not (args.quick or args.sweep_only) else ():
        for kind in servers:
            r = attempt("join GOP %d s" % gop, kind, clip, rate, join_n, gop + 1, join_rate, args, env, logdir,
                        what="join")
            if r:
                joins[(kind, gop)] = r
                log("  %-18s join, GOP %d s: N=%d ok %d, p50 %s ms p99 %s ms" % (
                    LABEL[kind], gop, join_n, r["ok"], fmt(r["join_ms"]["p50"]), fmt(r["join_ms"]["p99"])))
    # The join storm: every client at once (as fast as connect() goes).
    for kind in servers if not args.sweep_only else ():
        r = attempt("storm", kind, clip1, rate1, storm_n, storm_dur + 1, storm_n, args, env, logdir, what="storm")
        if r:
            storms[kind] = r
            log("  %-18s storm: %d at %d/s ok %d, join p50 %s ms p99 %s ms" % (
                LABEL[kind], storm_n, storm_n, r["ok"], fmt(r["join_ms"]["p50"]), fmt(r["join_ms"]["p99"])))
    enc = encode_bench(args)

    # ---- print ----
    text, md = sweep_table(results, idle)
    log("\nssesink benchmark: %s %d fps, %.0f kbit/s as served, 1 s GOP; clients connect at up to %g/s" % (
        args.size, args.fps, rate1 * 8 / 1000, args.connect_rate))
    log("CPU = utime+stime of the server process(es) per second of stream; latency = receipt - `ts` (when the "
        "server encoded the event) in ms,\nlive events only (tcpserversink: no timestamps); join = connect -> first "
        "key event (tcpserversink: first random-access packet;\nseed: first event); deliv = lowest delivered/expected "
        "payload bytes of a client; load = 1-minute load average after the run\n")
    log(text)

    by = {(r["server"], r["n"]): r for r in results}
    cpu = lambda k, n: get(by.get((k, n)), "cpu_per_s")

    def ratio(n, a, b):
        x, y = cpu(a, n), cpu(b, n)
        return x / y if x and y else None

    log("\nCPU ratios (same run)")
    ratio_cols = [("ssesink/tcpserversink", "ssesink", "tcp", "%.2f"),
                  ("ssesink/tcpserversink/188", "ssesink", "tcp188", "%.2f"),
                  ("seed/ssesink", "seed", "ssesink", "%.1f"),
                  ("ssesink HTTP/1.0 / ssesink", "ssesink10", "ssesink", "%.2f"),
                  ("ssesink gzip / ssesink", "ssesink-gzip", "ssesink", "%.2f"),
                  ("scraped / ssesink", "ssesink-scraped", "ssesink", "%.2f")]
    ratio_cols = [c for c in ratio_cols if c[1] in servers and c[2] in servers]
    ratio_rows = [(str(n),) + tuple(fmt(ratio(n, a, b), f) for _, a, b, f in ratio_cols) for n in clients]
    rtext, rmd = render(("N",) + tuple(c[0] for c in ratio_cols), ratio_rows, left=())
    log(rtext)

    jtext, jmd = join_table(joins, storms, servers)
    log("\njoin time in ms: N=%d at %d/s with 1 s and 4 s GOPs; storm: %d clients at once" % (
        join_n, join_rate, storm_n))
    log(jtext)

    if enc:
        log("\nencode microbenchmark (MB/s of TS input, one core)")
        for name in sorted(enc):
            log("  %-22s %s" % (name, "  ".join("%d B: %.0f" % (sz, v) for sz, v in sorted(enc[name].items()))))

    # ---- targets ----
    targets = []

    def target(name, ok, detail):
        targets.append((name, ok, detail))

    for n in (100, 1000):
        v = ratio(n, "ssesink", "tcp")
        target("CPU ssesink <= 1.5x tcpserversink at %d" % n, None if v is None else v <= 1.5, fmt(v, "%.2fx"))
    def wire_ratio(k, n):
        r = by.get((k, n))
        return r["bytes_wire"] / r["bytes_payload"] if r and r.get("bytes_payload") else None

    for n in (100, 1000):
        g, t = wire_ratio("ssesink-gzip", n), wire_ratio("tcp", n)
        v = g / t if g and t else None
        target("wire bytes ssesink gzip <= 1.00x tcpserversink at %d" % n, None if v is None else v <= 1.0,
               fmt(v, "%.3fx"))
        v = ratio(n, "ssesink-gzip", "ssesink")
        target("CPU ssesink gzip <= ssesink at %d" % n, None if v is None else v <= 1.0, fmt(v, "%.2fx"))
        a = get(by.get(("ssesink-gzip", n)), "latency_ms", "p99")
        b = get(by.get(("ssesink", n)), "latency_ms", "p99")
        target("latency p99 ssesink gzip <= ssesink at %d" % n, None if a is None or b is None else a <= b,
               "%s vs %s" % (fmt(a, "%.2f ms"), fmt(b, "%.2f ms")))
    v = ratio(100, "seed", "ssesink")
    target("seed >= 15x ssesink CPU at 100", None if v is None else v >= 15, fmt(v, "%.1fx"))
    for n, lim in ((100, 5), (1000, 25)):
        v = get(by.get(("ssesink", n)), "latency_ms", "p99")
        target("latency p99 <= %d ms at %d" % (lim, n), None if v is None else v <= lim, fmt(v, "%.2f ms"))
    r = by.get(("ssesink", 1000))
    if r:
        ok = r["events_lost"] == 0 and r["failed"] == 0 and r["delivered_ratio"]["within_1pct"] == r["clients"]
        target("1000 clients x %g s: 0 lost, all within 1%% of bytes" % r["duration"], ok,
               "%d lost, %d/%d within 1%%, %d failed" % (r["events_lost"], r["delivered_ratio"]["within_1pct"],
                                                        r["clients"], r["failed"]))
    else:
        target("1000 clients x 60 s: 0 lost, all within 1% of bytes", None, "not run")
    sse_runs = [x for x in results if x["server"] == "ssesink"] + [v for (k, g), v in joins.items() if k == "ssesink"]
    worst = max([x["join_ms"]["p99"] for x in sse_runs if x["join_ms"]["p99"] is not None], default=None)
    target("join p99 <= 50 ms (worst ssesink sweep/join run)", None if worst is None else worst <= 50,
           fmt(worst, "%.1f ms"))
    v = get(storms.get("ssesink"), "join_ms", "p99")
    target("join p99 <= 50 ms in the %d-client storm" % storm_n, None if v is None else v <= 50, fmt(v, "%.1f ms"))
    v = get(by.get(("ssesink", max_n)), "rss_per_client_kib")
    target("RSS < 100 KiB per client (N=%d)" % max_n, None if v is None else v < 100, fmt(v, "%.1f KiB"))
    if enc and "BM_EncodeMediaEvent" in enc:
        v = min(enc["BM_EncodeMediaEvent"].values())
        target("encoding >= 1 GB/s (slowest size)", v >= 1000, "%.0f MB/s" % v)
    log("\ntargets")
    for name, ok, detail in targets:
        log("  %-52s %-8s %s" % (name, {True: "met", False: "MISSED", None: "n/a"}[ok], detail))

    # ---- files ----
    out = {"args": vars(args), "results": results, "idle": idle,
           "joins": {"%s-gop%d" % k: v for k, v in joins.items()}, "storms": storms, "encode": enc,
           "targets": targets, "stream_kbps": rate1 * 8 / 1000, "when": time.strftime("%Y-%m-%d %H:%M:%S")}
    res_path = os.path.join(args.work, "results.json")
    with open(res_path, "w") as f:
        json.dump(out, f, indent=1, default=str)
    with open(os.path.join(args.work, "tables.md"), "w") as f:
        f.write(md + "\n\n" + rmd + "\n\n" + jmd + "\n")
    plot = args.plot or os.path.join(args.work, "performance.png")
    if shutil.which("gnuplot") and results:
        write_plot(results, servers, clients, plot, args.work)
        log("\nplot: %s" % plot)
    log("results: %s (Markdown tables: %s)" % (res_path, os.path.join(args.work, "tables.md")))
    return 0


def write_plot(results, servers, clients, png, work):
    by = {(r["server"], r["n"]): r for r in results}
    dat = os.path.join(work, "plot.dat")
    with open(dat, "w") as f:
        f.write("# N " + " ".join("%s_cpu %s_p50 %s_p99" % (s, s, s) for s in SERVERS) + "\n")
        for n in clients:
            row = [str(n)]
            for s in SERVERS:
                r = by.get((s, n))
                vals = [get(r, "cpu_per_s"), get(r, "latency_ms", "p50"), get(r, "latency_ms", "p99")]
                row += ["NaN" if v is None else "%g" % v for v in vals]
            f.write(" ".join(row) + "\n")
    col = {s: 2 + 3 * SERVERS.index(s) for s in SERVERS}
    cpu_plots = ", ".join("'%s' using 1:%d with linespoints lw 2 pt 7 lc rgb '%s' title '%s'" %
                          (dat, col[s], COLOR[s], LABEL[s]) for s in servers)
    lat_plots = ", ".join(
        "'%s' using 1:%d with linespoints lw 2 pt 7 lc rgb '%s' title '%s p99', "
        "'%s' using 1:%d with linespoints lw 1 dt 2 pt 6 lc rgb '%s' title '%s p50'" %
        (dat, col[s] + 2, COLOR[s], LABEL[s], dat, col[s] + 1, COLOR[s], LABEL[s])
        for s in servers if not s.startswith("tcp"))
    script = """
set terminal pngcairo size 1200,480 font 'Sans,10'
set output '%s'
set multiplot layout 1,2
set logscale xy
set grid
set key top left
set xlabel 'clients'
set ylabel 'server CPU seconds per stream second'
set title 'CPU of the whole server process(es)'
plot %s
set ylabel 'ms'
set title 'latency, encode to receipt (tcpserversink sends no timestamps)'
plot %s
unset multiplot
""" % (png, cpu_plots, lat_plots or "NaN notitle")
    r = subprocess.run(["gnuplot"], input=script, text=True, stderr=subprocess.PIPE)
    if r.returncode != 0:
        log("gnuplot failed: %s" % r.stderr[-500:])


if __name__ == "__main__":
    sys.exit(main())
