#!/usr/bin/env python3
"""Scale-out benchmark (docs/performance.md, "Scale-out through nchan"); run
it with bench/scale-out.sh.

On the suite's fixed clip (bench/run.py makes and plays it), for each N:

  a  ssesink alone serving N clients:
       filesrc ! tsdemux ! h264parse ! mpegtsmux ! ssesink sync=true
  b  the same pipeline with ssesink publish-only=true publish-url=<node1>,
     and N clients split over the subscriber URLs of two nginx + nchan nodes
     that share one Redis (examples/scale-out/cluster.sh)
  c  the hop, side by side: one pipeline whose ssesink serves N/2 clients
     itself and publishes the same events to node1, N/2 clients on the nodes

(a) and (b): CPU per second of stream of the whole server side from /proc
(gst-launch; in b also both nginx masters and workers and redis-server),
viewers per CPU-second = N / (CPU s/s), the ratio b/a, events lost (the JSON
seq through nchan), latency receipt - `ts` (the wall clock when ssesink
encoded the event, so it spans the hop too). (c): latency of the same events
on both paths and the difference, which is what the hop adds.

Prints the tables, writes results.json and tables.md into --work. Exits 77
when nginx, the nchan module or Redis is missing. Standard library only.
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import run as suite  # noqa: E402  (bench/run.py: the clip, the processes, the tables)
from run import fmt, get, log, render  # noqa: E402

NCHAN_MODULE = os.environ.get("NCHAN_MODULE", "/usr/lib/nginx/modules/ngx_nchan_module.so")
SETUPS = ("a", "b", "g")
LABEL = {"a": "ssesink", "b": "ssesink -> 2 nchan nodes", "g": "b, via nginx gzip proxy"}


def missing_tools():
    missing = [p for p in ("nginx", "redis-server", "redis-cli", "curl", "gst-launch-1.0") if not shutil.which(p)]
    if not os.path.exists(NCHAN_MODULE):
        missing.append("the nchan module (%s; libnginx-mod-nchan)" % NCHAN_MODULE)
    return missing


# ---- processes -----------------------------------------------------------


def proc_cpu(pid):
    """utime + stime of every thread of @pid, in seconds (None once it is gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    return out


def read_pid(path):
    with open(path) as f:
        return int(f.read().strip())


class Cluster:
    """Redis and two nginx + nchan nodes, started by examples/scale-out/cluster.sh
    into @state (pinned like the other servers: affinity is inherited by the
    daemons it starts)."""

    def __init__(self, args, state, env):
        self.args, self.state, self.env = args, state, env
        cmd = suite.prefix(args, args.server_cpu) + ["bash", args.cluster, "start", "--dir", state,
                                                     "--workers", str(args.workers)]
        # A start now and then fails at once with "redis ... not ready" (seen
        # pinned to one CPU): try again rather than lose the run.
        for attempt in range(3):
            shutil.rmtree(state, ignore_errors=True)
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, timeout=60)
            if r.returncode == 0:
                break
            log("  cluster.sh start failed (attempt %d): %s" % (attempt + 1, r.stderr.strip().splitlines()[:1]))
            self.stop()
        else:
            raise RuntimeError("cluster.sh start failed: %s" % r.stderr[-1000:])
        self.ports = [int(p) for p in self._env_file()["PORTS"].split(",")]

    def _env_file(self):
        with open(os.path.join(self.state, "cluster.env")) as f:
            return dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)

    def components(self):
        """{component: [pids]}: nginx masters and their workers, and redis."""
        nginx = []
        for node in ("node1", "node2"):
            master = read_pid(os.path.join(self.state, node, "nginx.pid"))
            nginx += [master] + children(master)
        return {"nginx": nginx, "redis": [read_pid(os.path.join(self.state, "redis", "redis.pid"))]}

    def publish_url(self, channel):
        return "http://127.0.0.1:%d/pub/%s" % (self.ports[0], channel)

    def worker_crashes(self):
        """Worker processes nginx restarted after a crash (nchan has known
        assertion failures, e.g. slact/nchan#534): a run with any is suspect."""
        n = 0
        for node in ("node1", "node2"):
            try:
                with open(os.path.join(self.state, node, "error.log"), errors="replace") as f:
                    n += sum(1 for line in f if "exited on signal" in line)
            except OSError:
                pass
        return n

    def stop(self):
        subprocess.run(["bash", self.args.cluster, "stop", "--dir", self.state], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, env=self.env, timeout=60)


class Sampler:
    """Samples the CPU time of each component's processes every 0.2 s, so the
    server side's total can be split over the same window sse-load measured."""

    def __init__(self, comps):
        self.comps, self.samples, self.stop_ev = comps, [], threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _sample(self):
        row = {}
        for name, pids in self.comps.items():
            row[name] = sum(c for c in (proc_cpu(p) for p in pids) if c is not None)
        self.samples.append((time.monotonic(), row))

    def _run(self):
        while not self.stop_ev.is_set():
            self._sample()
            self.stop_ev.wait(0.2)

    def stop(self):
        self.stop_ev.set()
        self.thread.join()
        self._sample()

    def per_second(self, t0, t1):
        """CPU s/s of each component over [t0, t1] (interpolated)."""
        def at(t, name):
            s = self.samples
            if t <= s[0][0]:
                return s[0][1][name]
            for (ta, a), (tb, b) in zip(s, s[1:]):
                if ta <= t <= tb:
                    return a[name] + (b[name] - a[name]) * ((t - ta) / (tb - ta) if tb > ta else 0)
            return s[-1][1][name]
        if not self.samples or t1 <= t0:
            return {}
        return {name: (at(t1, name) - at(t0, name)) / (t1 - t0) for name in self.comps}


def start_gst(args, env, clip, logdir, tag, serve=True, publish=None):
    sink = ["ssesink", "max-client-bytes=%d" % suite.MAX_CLIENT_BYTES]
    if serve:
        sink += ["address=127.0.0.1", "port=0"]
    if publish:
        sink += ["publish-url=" + publish] + ([] if serve else ["publish-only=true"])
    gst = suite.Proc(suite.prefix(args, args.server_cpu) + ["gst-launch-1.0", "-v"] + suite.source_pipeline(clip) +
                     sink + ["sync=true"], env, os.path.join(logdir, tag + "-gst.log"))
    if not serve:
        return gst, None
    port = gst.wait_for(r"current-port = (\d+)", 30)
    if not port or port == "0":
        gst.stop()
        raise RuntimeError("ssesink did not start; see %s" % gst.logf.name)
    return gst, int(port)


def load_cmd(args, ports, path, n, rate, duration, label, pids=(), skip_to_key=False, events_csv=None, gzip=False):
    cmd = suite.prefix(args, args.client_cpu) + [
        args.sse_load, "--port", ",".join(str(p) for p in ports), "--path", path, "--clients", str(n),
        "--connect-rate", "%g" % rate, "--duration", "%g" % duration, "--wait", "20", "--json", "--label", label]
    if skip_to_key:
        cmd.append("--skip-to-key")
    if gzip:
        cmd.append("--gzip")
    if events_csv:
        cmd += ["--events-csv", events_csv]
    for p in pids:
        cmd += ["--pid", str(p)]
    return cmd


def run_loads(cmds, logdir, timeout):
    """Runs sse-load commands side by side; returns their JSON summaries and
    the monotonic time each exited (its steady window ends just before)."""
    procs = [(label, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
             for label, cmd in cmds]
    out, ended = [], []
    deadline = time.monotonic() + timeout
    for label, p in procs:
        try:
            so, se = p.communicate(timeout=max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for _, q in procs:
                q.kill()
            raise RuntimeError("sse-load %s timed out" % label)
        ended.append(time.monotonic())
        with open(os.path.join(logdir, label + "-load.log"), "w") as f:
            f.write(se)
        if p.returncode != 0 or not so.strip():
            raise RuntimeError("sse-load %s failed (%d): %s" % (label, p.returncode, se[-1000:]))
        out.append(json.loads(so.strip().splitlines()[-1]))
    return out, ended


# ---- one measurement -----------------------------------------------------


def measure(setup, n, args, env, clip, work, logdir):
    """One run of setup a, b or c with n clients; returns its figures."""
    tag = "%s-n%d" % (setup, n)
    rate = max(1.0, min(float(n), args.connect_rate))
    timeout = args.duration + n / rate + 120
    channel = "bench-" + tag
    cluster = Cluster(args, os.path.join(work, "cluster", tag), env) if setup in "bcg" else None
    gst = sampler = None
    crashes = None
    try:
        if setup == "a":
            gst, port = start_gst(args, env, clip, logdir, tag)
        elif setup in ("b", "g"):
            gst, port = start_gst(args, env, clip, logdir, tag, serve=False, publish=cluster.publish_url(channel))
        else:
            gst, port = start_gst(args, env, clip, logdir, tag, publish=cluster.publish_url(channel))
        comps = {"gst": [gst.p.pid]}
        if cluster:
            comps.update(cluster.components())
        pids = [p for ps in comps.values() for p in ps]
        sampler = Sampler(comps)
        sub = ("/gzsub/" if setup == "g" else "/sub/") + channel
        if setup == "a":
            cmds = [(tag, load_cmd(args, [port], "/stream", n, rate, args.duration, tag, pids))]
        elif setup in ("b", "g"):
            cmds = [(tag, load_cmd(args, cluster.ports, sub, n, rate, args.duration, tag, pids, skip_to_key=True,
                                   gzip=setup == "g"))]
        else:  # half on ssesink, half on the nodes, each half at half the rate
            nd, nn = n - n // 2, n // 2
            csv = [os.path.join(logdir, "%s-%s-events.csv" % (tag, k)) for k in ("direct", "nchan")]
            cmds = [(tag + "-direct", load_cmd(args, [port], "/stream", nd, rate * nd / n, args.duration,
                                               tag + "-direct", pids, events_csv=csv[0])),
                    (tag + "-nchan", load_cmd(args, cluster.ports, sub, nn, rate * nn / n, args.duration,
                                              tag + "-nchan", skip_to_key=True, events_csv=csv[1]))]
        loads, ended = run_loads(cmds, logdir, timeout)
        alive = gst.p.poll() is None
        crashes = cluster.worker_crashes() if cluster else None
    finally:
        if sampler:
            sampler.stop()
        if gst:
            gst.stop()
        if cluster:
            cluster.stop()
    main = loads[0]
    split = sampler.per_second(ended[0] - (main.get("steady_s") or 0), ended[0])
    res = {"setup": setup, "n": n, "alive": alive, "loadavg": os.getloadavg()[0], "cpu_split": split,
           "nginx_worker_crashes": crashes,
           "components": {k: len(v) for k, v in comps.items()}}
    if setup == "c":
        res["direct"], res["nchan"] = loads
        res["paired_ms"] = paired_hop(*csv)
    else:
        res["load"] = main
    return res


def paired_hop(direct_csv, nchan_csv):
    """The hop event by event: receipt on the first nchan client (on node1)
    minus receipt on the first direct client, for the events both got live
    (encoded after both had their first event)."""
    def read(path):
        rows = {}
        with open(path) as f:
            next(f, None)
            for line in f:
                seq, _key, _size, ts, receipt, _lat = line.strip().split(",")
                rows[int(seq)] = (int(ts), int(receipt))
        return rows
    try:
        d, c = read(direct_csv), read(nchan_csv)
    except (OSError, ValueError):
        return None
    if not d or not c:
        return None
    since = max(min(r for _, r in d.values()), min(r for _, r in c.values()))
    diffs = sorted((c[s][1] - d[s][1]) / 1000.0 for s in d if s in c and d[s][0] >= since)
    if not diffs:
        return None
    rank = lambda q: diffs[max(0, int(math.ceil(q * len(diffs))) - 1)]
    return {"p50": rank(0.5), "p99": rank(0.99), "max": diffs[-1], "n": len(diffs)}


def idle_cpu(setup, args, env, clip, work, logdir, seconds):
    """The server side with no client: the pipeline, and in b its publishing."""
    tag = "%s-idle" % setup
    cluster = Cluster(args, os.path.join(work, "cluster", tag), env) if setup != "a" else None
    gst = None
    try:
        if setup == "a":
            gst, _ = start_gst(args, env, clip, logdir, tag)
        else:
            gst, _ = start_gst(args, env, clip, logdir, tag, serve=False, publish=cluster.publish_url("bench-idle"))
        comps = {"gst": [gst.p.pid]}
        if cluster:
            comps.update(cluster.components())
        time.sleep(2)  # startup settles
        sampler = Sampler(comps)
        t0 = time.monotonic()
        time.sleep(seconds)
        sampler.stop()
        split = sampler.per_second(t0, time.monotonic())
    finally:
        if gst:
            gst.stop()
        if cluster:
            cluster.stop()
    return {"setup": setup, "n": 0, "cpu_per_s": sum(split.values()), "cpu_split": split}


# ---- report --------------------------------------------------------------


def wire_per_ts(load):
    """Bytes on the wire (HTTP framing and gzip included) per TS byte received."""
    return load["bytes_wire"] / load["bytes_payload"] if load.get("bytes_payload") else None


def viewers_per_cpu(r):
    cpu = get(r, "load", "cpu_per_s")
    return r["n"] / cpu if cpu else None


def main_table(results, idle):
    head = ("N", "setup", "ok", "CPU s/s", "gst", "nginx", "redis", "viewers/CPU-s", "b/a", "lost", "lat p50 ms",
            "p99", "max", "join p99 ms", "wire/TS", "RSS MiB", "load")
    rows = []
    for s in SETUPS:
        i = idle.get(s)
        if i:
            sp = i["cpu_split"]
            rows.append(("0", LABEL[s], "-", fmt(i["cpu_per_s"], "%.3f"), fmt(sp.get("gst"), "%.3f"),
                         fmt(sp.get("nginx"), "%.3f"), fmt(sp.get("redis"), "%.3f")) + ("-",) * 10)
    by = {(r["setup"], r["n"]): r for r in results}
    for n in sorted({r["n"] for r in results}):
        for s in SETUPS:
            r = by.get((s, n))
            if not r:
                continue
            L, sp = r["load"], r["cpu_split"]
            ratio = None
            if s in ("b", "g") and by.get(("a", n)):
                va, vb = viewers_per_cpu(by[("a", n)]), viewers_per_cpu(r)
                ratio = vb / va if va and vb else None
            rows.append((str(n), LABEL[s], "%d/%d" % (L["ok"], L["clients"]), fmt(L["cpu_per_s"], "%.3f"),
                         fmt(sp.get("gst"), "%.3f"), fmt(sp.get("nginx"), "%.3f"), fmt(sp.get("redis"), "%.3f"),
                         fmt(viewers_per_cpu(r), "%.0f"), fmt(ratio, "%.2f"),
                         "%d" % (L["events_lost"] + L["out_of_order"]),
                         fmt(L["latency_ms"]["p50"], "%.2f"), fmt(L["latency_ms"]["p99"], "%.2f"),
                         fmt(L["latency_ms"]["max"], "%.1f"), fmt(L["join_ms"]["p99"], "%.1f"),
                         fmt(wire_per_ts(L), "%.3f"), fmt(L["rss_kib"] / 1024 if L["rss_kib"] is not None else None, "%.1f"),
                         fmt(r["loadavg"], "%.1f")))
    return render(head, rows)


def hop_table(results):
    head = ("N", "direct + nchan", "lost", "direct p50 ms", "p99", "max", "nchan p50 ms", "p99", "max",
            "hop adds p50 ms", "p99", "paired p50 ms", "p99", "max", "load")
    rows = []
    for r in sorted((r for r in results if r["setup"] == "c"), key=lambda r: r["n"]):
        d, c = r["direct"], r["nchan"]
        dl, cl = d["latency_ms"], c["latency_ms"]
        diff = lambda k: cl[k] - dl[k] if cl[k] is not None and dl[k] is not None else None
        rows.append((str(r["n"]), "%d/%d + %d/%d" % (d["ok"], d["clients"], c["ok"], c["clients"]),
                     "%d + %d" % (d["events_lost"] + d["out_of_order"], c["events_lost"] + c["out_of_order"]),
                     fmt(dl["p50"], "%.2f"), fmt(dl["p99"], "%.2f"), fmt(dl["max"], "%.1f"),
                     fmt(cl["p50"], "%.2f"), fmt(cl["p99"], "%.2f"), fmt(cl["max"], "%.1f"),
                     fmt(diff("p50"), "%.2f"), fmt(diff("p99"), "%.2f"), fmt(get(r, "paired_ms", "p50"), "%.2f"),
                     fmt(get(r, "paired_ms", "p99"), "%.2f"), fmt(get(r, "paired_ms", "max"), "%.1f"),
                     fmt(r["loadavg"], "%.1f")))
    return render(head, rows)


def main():
    ap = argparse.ArgumentParser(description="ssesink alone vs ssesink publishing to two nchan nodes")
    ap.add_argument("--quick", action="store_true", help="small N, a few seconds (the CI smoke run)")
    ap.add_argument("--sse-load", required=True)
    ap.add_argument("--plugin-dir", required=True)
    ap.add_argument("--cluster", default=os.path.join(ROOT, "examples", "scale-out", "cluster.sh"))
    ap.add_argument("--work", required=True, help="clips, logs, cluster state and results go here")
    ap.add_argument("--clients", help="comma-separated N (default 100,500,1000; quick 10)")
    ap.add_argument("--duration", type=float, help="seconds per run after the ramp (default 20; quick 3)")
    ap.add_argument("--connect-rate", type=float, default=100, help="clients per second (default 100)")
    ap.add_argument("--hop-clients", help="comma-separated N for c (default 20 and the --clients; quick 10)")
    ap.add_argument("--setups", default="a,b,c", help="of a (ssesink), b (via nchan), c (the hop side by side), "
                    "g (b through the nodes' /gzsub/ gzip proxy location, gzip clients)")
    ap.add_argument("--workers", type=int, default=1, help="nginx worker processes per node (default 1)")
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--kbps", type=int, default=2000)
    ap.add_argument("--no-pin", action="store_true", help="do not pin the server side to CPU 0, clients to CPU 1")
    ap.add_argument("--no-idle", action="store_true", help="skip the runs without clients")
    ap.add_argument("--nice", type=int, default=0, help="run everything at this niceness")
    args = ap.parse_args()

    missing = missing_tools()
    if missing:
        print("SKIP: the scale-out benchmark needs %s (apt-get install nginx libnginx-mod-nchan redis-server)" %
              ", ".join(missing))
        return 77
    if args.quick:
        clients = [10]
        args.duration = args.duration or 3
        if args.size == "1280x720":  # as run.py --quick
            args.size, args.kbps = "640x360", 800
    else:
        clients = [100, 500, 1000]
        args.duration = args.duration or 20
    if args.clients:
        clients = [int(x) for x in args.clients.split(",")]
    # The hop alone at a small N too, where the server side's core is idle
    # enough that queueing behind the fan-out does not hide it.
    hop_clients = sorted(set(([] if args.quick else [20]) + clients))
    if args.hop_clients:
        hop_clients = [int(x) for x in args.hop_clients.split(",")]
    setups = [s for s in args.setups.split(",") if s]
    args.server_cpu = args.client_cpu = None
    if not args.no_pin and (os.cpu_count() or 1) >= 2 and shutil.which("taskset"):
        args.server_cpu, args.client_cpu = "0", "1"

    suite.raise_fd_limit()  # inherited by gst-launch, nginx, redis and sse-load
    env = dict(os.environ)
    env["GST_PLUGIN_PATH"] = args.plugin_dir + (":" + env["GST_PLUGIN_PATH"] if env.get("GST_PLUGIN_PATH") else "")
    logdir = os.path.join(args.work, "logs")
    os.makedirs(logdir, exist_ok=True)

    max_n = max(clients + hop_clients)
    seconds = args.duration + max_n / max(1.0, min(float(max_n), args.connect_rate)) + 12
    clip, rate = suite.make_clip(args, 1, int(math.ceil(seconds)), os.path.join(args.work, "clips"))
    log("stream: %.0f kbit/s as served; server side on CPU %s, load clients on CPU %s; %d nginx worker(s) per node; "
        "load average %.1f" % (rate * 8 / 1000, args.server_cpu or "any", args.client_cpu or "any", args.workers,
                               os.getloadavg()[0]))

    results, idle, failures = [], {}, []
    if not args.no_idle:
        for s in [s for s in SETUPS if s in setups]:
            try:
                idle[s] = idle_cpu(s, args, env, clip, args.work, logdir, 1 if args.quick else 5)
            except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
                failures.append("%s idle: %s" % (s, e))
                log("  %s N=0 FAILED: %s" % (s, e))
                continue
            log("  %-26s N=0     cpu %.3f s/s %s" % (LABEL[s], idle[s]["cpu_per_s"], " ".join(
                "%s %.3f" % kv for kv in idle[s]["cpu_split"].items())))
    for n in sorted(set(clients + hop_clients)):
        for s in setups:
            if n not in (hop_clients if s == "c" else clients):
                continue
            try:
                r = measure(s, n, args, env, clip, args.work, logdir)
            except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
                failures.append("%s N=%d: %s" % (s, n, e))
                log("  %s N=%d FAILED: %s" % (s, n, e))
                continue
            results.append(r)
            if r["nginx_worker_crashes"]:
                log("  WARNING: %d nginx worker crash(es) in %s N=%d; see %s" % (
                    r["nginx_worker_crashes"], s, n, os.path.join(args.work, "cluster")))
            if not r["alive"]:
                log("  WARNING: gst-launch ended before the clients in %s N=%d (clip too short?)" % (s, n))
            if s == "c":
                d, c = r["direct"], r["nchan"]
                log("  %-26s N=%-5d direct ok %d lat p50 %s p99 %s ms; nchan ok %d lat p50 %s p99 %s ms; lost %d+%d"
                    % ("hop side by side", n, d["ok"], fmt(d["latency_ms"]["p50"], "%.2f"),
                       fmt(d["latency_ms"]["p99"], "%.2f"), c["ok"], fmt(c["latency_ms"]["p50"], "%.2f"),
                       fmt(c["latency_ms"]["p99"], "%.2f"), d["events_lost"], c["events_lost"]))
            else:
                L = r["load"]
                log("  %-26s N=%-5d ok %d/%d  cpu %s s/s (%s)  lat p99 %s ms  lost %d  load %.1f" % (
                    LABEL[s], n, L["ok"], L["clients"], fmt(L["cpu_per_s"], "%.3f"),
                    " ".join("%s %.3f" % kv for kv in r["cpu_split"].items()), fmt(L["latency_ms"]["p99"], "%.2f"),
                    L["events_lost"], r["loadavg"]))

    text, md = main_table(results, idle)
    htext, hmd = hop_table(results)
    log("\nscale-out: %s %d fps, %.0f kbit/s as served, 1 s GOP; %g s per run after a ramp at %g clients/s" % (
        args.size, args.fps, rate * 8 / 1000, args.duration, args.connect_rate))
    log("CPU = utime+stime per second of stream of the whole server side (b: gst-launch + both nginx masters and "
        "workers + redis),\nsplit by process group; viewers/CPU-s = N / CPU s/s; b/a = its ratio; lost = events "
        "missing or out of order (seq);\nlatency = receipt - `ts` (encode time in ssesink), live events only; RSS = "
        "of those processes together at the end\n")
    log(text)
    if htext.count("\n") > 0:
        log("\nthe hop side by side: one ssesink serves half the clients and publishes the same events to node1, "
            "the other half are on node1/node2;\nhop adds = nchan - direct percentile; paired = per event, receipt "
            "on the first nchan client (node1) - on the first direct client\n")
        log(htext)
    commit = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True).stdout.strip()
    out = {"args": vars(args), "commit": commit, "results": results, "idle": idle, "failures": failures,
           "stream_kbps": rate * 8 / 1000, "when": time.strftime("%Y-%m-%d %H:%M:%S")}
    res_path = os.path.join(args.work, "results.json")
    with open(res_path, "w") as f:
        json.dump(out, f, indent=1, default=str)
    with open(os.path.join(args.work, "tables.md"), "w") as f:
        f.write(md + "\n\n" + hmd + "\n")
    log("\nresults: %s (Markdown tables: %s)" % (res_path, os.path.join(args.work, "tables.md")))
    for fl in failures:
        log("FAILED: " + fl)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
