#!/usr/bin/env python3
"""Snapshot benchmark: GET <path>/snapshot.jpg of a live 720p H.264 stream.

Runs gst-launch-1.0 (videotestsrc 1280x720 30 fps, x264enc key-int-max=10:
three key frames a second, so that decoding shows above the noise) into ssesink on 127.0.0.1, port 0, then measures the
server process's CPU (utime + stime from /proc) in three phases of
--phase-s seconds each:

  idle    nobody asks for a snapshot (the cost of having the feature: none
          expected)
  active  one request a second, which keeps the decoder running: each key
          frame is decoded and encoded as it arrives (the decode CPU per key
          frame is this phase's CPU over idle's, per key frame)
  burst   rounds of --clients parallel requests (a new connection each),
          one round every --round-ms, answered from the cache

and the latency of every request of the burst (request sent to body read;
50 Python threads on the same machine: their own scheduling is in it), of
50 requests one at a time after it (the server's own answer time),
and of the first request after the decoder was idle (cold: the pipeline is
built and the key frame decoded while it waits). Prints a Markdown table
and a JSON line. Latencies are measured, never asserted (docs/performance.md).

usage: python3 bench/snapshot.py [--build build] [--clients 50] [--phase-s 10]
"""
import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def get(port, path):
    """One GET on a new connection: (status, seconds, bytes, seq)."""
    t0 = time.perf_counter()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    dt = time.perf_counter() - t0
    seq = r.getheader("X-Snapshot-Seq")
    c.close()
    return r.status, dt, len(body), seq


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.environ.get("BUILD_DIR", "build"))
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--phase-s", type=float, default=10)
    ap.add_argument("--round-ms", type=int, default=500)
    ap.add_argument("--idle-timeout-ms", type=int, default=2000)
    ap.add_argument("--key-int", type=int, default=10, help="frames between key frames (30 fps)")
    a = ap.parse_args()

    env = dict(os.environ, GST_PLUGIN_PATH=os.path.join(a.build, "ext", "sse"))
    desc = ("videotestsrc is-live=true ! video/x-raw,format=I420,width=1280,height=720,framerate=30/1 "
            "! x264enc tune=zerolatency speed-preset=ultrafast "
            f"key-int-max={a.key_int} ! mpegtsmux ! ssesink port=0 address=127.0.0.1 snapshot-idle-timeout={a.idle_timeout_ms}")
    gst = subprocess.Popen(["gst-launch-1.0", "-v", *desc.split()], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    port = None
    out = ""
    deadline = time.time() + 15
    while port is None and time.time() < deadline:
        line = gst.stdout.readline()
        out += line
        m = re.search(r"current-port = (\d+)", line)
        if m and int(m.group(1)) > 0:
            port = int(m.group(1))
    if port is None:
        gst.kill()
        sys.exit(f"no port from gst-launch:\n{out}")
    threading.Thread(target=lambda: [None for _ in gst.stdout], daemon=True).start()
    path = "/stream/snapshot.jpg"
    try:
        # The first key frame, then the decoder idle again.
        while get(port, path)[0] != 200:
            time.sleep(0.1)
        time.sleep(a.idle_timeout_ms / 1000 + 1)

        def phase(work):
            c0, t0 = cpu_s(gst.pid), time.perf_counter()
            work(t0 + a.phase_s)
            return (cpu_s(gst.pid) - c0) / (time.perf_counter() - t0)

        idle = phase(lambda end: time.sleep(max(0, end - time.perf_counter())))

        cold = get(port, path)
        assert cold[0] == 200, cold

        def one_a_second(end):
            while time.perf_counter() < end:
                assert get(port, path)[0] == 200
                time.sleep(1)

        seqs = set()
        active_t0 = time.perf_counter()
        active = phase(one_a_second)
        active_s = time.perf_counter() - active_t0

        lat = []
        failed = 0
        lock = threading.Lock()

        def burst(end):
            nonlocal failed
            while time.perf_counter() < end:
                t_round = time.perf_counter()
                barrier = threading.Barrier(a.clients)

                def client():
                    nonlocal failed
                    barrier.wait()
                    st, dt, _, seq = get(port, path)
                    with lock:
                        if st == 200:
                            lat.append(dt)
                            seqs.add(seq)
                        else:
                            failed += 1

                ts = [threading.Thread(target=client) for _ in range(a.clients)]
                for t in ts:
                    t.start()
                for t in ts:
                    t.join()
                time.sleep(max(0, t_round + a.round_ms / 1000 - time.perf_counter()))

        burst_cpu = phase(burst)
        # One at a time, from the cache: the server's own answer time.
        seq_lat = [get(port, path)[1] for _ in range(50)]
    finally:
        gst.send_signal(signal.SIGINT)
        try:
            gst.wait(5)
        except subprocess.TimeoutExpired:
            gst.kill()

    load = os.getloadavg()[0]
    key_frames = active_s * 30 / a.key_int
    res = {
        "clients": a.clients, "requests": len(lat), "failed": failed, "pictures": len(seqs),
        "p50_ms": round(pct(lat, 50) * 1000, 2), "p99_ms": round(pct(lat, 99) * 1000, 2),
        "max_ms": round(max(lat) * 1000, 2), "cold_ms": round(cold[1] * 1000, 1), "jpeg_bytes": cold[2],
        "cpu_idle": round(idle, 3), "cpu_active": round(active, 3), "cpu_burst": round(burst_cpu, 3),
        "decode_cpu_ms_per_key_frame": round((active - idle) * active_s / key_frames * 1000, 1),
        "load": round(load, 2), "key_int": a.key_int,
        "sequential_p50_ms": round(pct(seq_lat, 50) * 1000, 2), "sequential_p99_ms": round(pct(seq_lat, 99) * 1000, 2),
    }
    print("| phase | CPU s/s | requests | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|")
    print(f"| idle (nobody asks) | {res['cpu_idle']} | 0 | | | |")
    print(f"| active (1 request/s) | {res['cpu_active']} | | | | |")
    print(f"| burst ({a.clients} parallel every {a.round_ms} ms) | {res['cpu_burst']} | {len(lat)} "
          f"({failed} failed) | {res['p50_ms']} | {res['p99_ms']} | {res['max_ms']} |")
    print(f"| sequential (one at a time, 50) | | 50 | {res['sequential_p50_ms']} | {res['sequential_p99_ms']} | |")
    print(f"cold first request {res['cold_ms']} ms; decode+encode {res['decode_cpu_ms_per_key_frame']} ms CPU "
          f"per key frame; JPEG {res['jpeg_bytes']} bytes; load {res['load']}")
    print(json.dumps(res))


if __name__ == "__main__":
    main()
