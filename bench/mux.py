#!/usr/bin/env python3
"""One multiplexed client of N streams against N single-stream clients.

N ssesinks (320x240 x264, one gst-launch-1.0 process, one port), then three
phases of --seconds each:
  A: N single-stream clients (one per path): the server thread's CPU;
  B: one mux client of all N (GET /streams): the server thread's CPU;
  C: both at once: the bytes of every media event both received (the same
     path and seq), mux over single, checkpoint ids included;
  D: both at once with Accept-Encoding: gzip: the gzip bodies' bytes, mux
     over the sum of the single ones (whole bodies, so joins and the last
     events count too).
The server thread is the one named sse-server (/proc/PID/task/*/comm).
Usage: python3 bench/mux.py [--streams 16] [--seconds 15] [--plugin-dir build/ext/sse]
"""
import argparse
import os
import selectors
import socket
import subprocess
import sys
import time
import zlib

TICK = os.sysconf("SC_CLK_TCK")


def pipeline(n, port, bitrate):
    parts = []
    for i in range(n):
        parts.append(
            "videotestsrc is-live=true pattern=%d ! video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
            "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 bitrate=%d ! mpegtsmux ! "
            "ssesink address=127.0.0.1 port=%d path=/cam%d" % (i % 20, bitrate, port, i))
    return " ".join(parts).split()


def thread_ticks(pid, name):
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                if f.read().strip() != name:
                    continue
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total


def process_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def read_all(port, paths, seconds, gzip=False):
    """GET each path at once; the raw responses after @seconds."""
    sel = selectors.DefaultSelector()
    bufs = {}
    for p in paths:
        s = socket.create_connection(("127.0.0.1", port))
        extra = "Accept-Encoding: gzip\r\n" if gzip else ""
        s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n" % (p, extra)).encode())
        s.setblocking(False)
        bufs[s] = bytearray()
        sel.register(s, selectors.EVENT_READ)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=0.2):
            try:
                data = key.fileobj.recv(1 << 20)
            except BlockingIOError:
                continue
            if data:
                bufs[key.fileobj] += data
    out = []
    for s, b in bufs.items():
        s.close()
        out.append(bytes(b))
    return out


def body(raw):
    head, _, rest = raw.partition(b"\r\n\r\n")
    out = bytearray()
    while rest:
        line, sep, rest = rest.partition(b"\r\n")
        if not sep:
            break
        size = int(line.split(b";")[0], 16)
        if size == 0 or len(rest) < size:
            out += rest[:size]
            break
        out += rest[:size]
        rest = rest[size + 2:]
    return bytes(out)


def blocks(text):
    """(lines, bytes on the wire) of each event block."""
    for block in text.split(b"\n\n"):
        if block:
            yield block.split(b"\n"), len(block) + 2


def seq_of(json):
    return int(json[len(b'data: {"seq":'):].split(b",", 1)[0])


def single_events(text, path, out):
    for lines, size in blocks(text):
        if len(lines) == 2 and lines[0].startswith(b"id: ") and lines[1].startswith(b'data: {"seq":'):
            out[(path, seq_of(lines[1]))] = size


def mux_events(text, out):
    for lines, size in blocks(text):
        if lines and lines[0].startswith(b"id: "):
            lines = lines[1:]
        if len(lines) == 2 and lines[0].startswith(b"data: /") and lines[1].startswith(b'data: {"seq":'):
            out[(lines[0][6:].decode(), seq_of(lines[1]))] = size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--streams", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--bitrate", type=int, default=400, help="x264enc kbit/s per stream")
    ap.add_argument("--port", type=int, default=18980)
    ap.add_argument("--plugin-dir", default="build/ext/sse")
    args = ap.parse_args()
    env = dict(os.environ, GST_PLUGIN_PATH=os.path.abspath(args.plugin_dir))
    gst = subprocess.Popen(["gst-launch-1.0", "-q"] + pipeline(args.streams, args.port, args.bitrate), env=env)
    paths = ["/cam%d" % i for i in range(args.streams)]
    try:
        time.sleep(3)  # every encoder running, a GOP in each backlog
        res = {}
        for name, reqs in (("single", paths), ("mux", ["/streams"])):
            t0, p0, w0 = thread_ticks(gst.pid, "sse-server"), process_ticks(gst.pid), time.monotonic()
            raws = read_all(args.port, reqs, args.seconds)
            t1, p1, w1 = thread_ticks(gst.pid, "sse-server"), process_ticks(gst.pid), time.monotonic()
            res[name] = ((t1 - t0) / TICK / (w1 - w0), (p1 - p0) / TICK / (w1 - w0), sum(len(r) for r in raws))
        raws = read_all(args.port, paths + ["/streams"], args.seconds)
        gz = read_all(args.port, paths + ["/streams"], args.seconds, gzip=True)
    finally:
        gst.terminate()
        gst.wait()
    single, mux = {}, {}
    for p, raw in zip(paths, raws[:-1]):
        single_events(body(raw), p, single)
    mux_events(body(raws[-1]), mux)
    both = set(single) & set(mux)
    s_bytes = sum(single[k] for k in both)
    m_bytes = sum(mux[k] for k in both)
    print("streams %d, %d s per phase, x264 %d kbit/s each" % (args.streams, args.seconds, args.bitrate))
    for name in ("single", "mux"):
        thr, proc, total = res[name]
        print("%-6s: server thread %.1f%% of a core, process %.0f%%, %.2f MB received (%.0f kB/s)" %
              (name, 100 * thr, 100 * proc, total / 1e6, total / 1e3 / args.seconds))
    print("same events in both (%d of %d single, %d mux): single %d bytes, mux %d bytes: mux/single %.5f "
          "(%+.3f%%)" % (len(both), len(single), len(mux), s_bytes, m_bytes, m_bytes / s_bytes,
                         100 * (m_bytes / s_bytes - 1)))
    gz_bodies = [body(r) for r in gz]
    plain = sum(len(zlib.decompressobj(31).decompress(b)) for b in gz_bodies)
    g_single, g_mux = sum(len(b) for b in gz_bodies[:-1]), len(gz_bodies[-1])
    print("gzip bodies: single %d bytes (sum), mux %d bytes: mux/single %.4f; all gzip bodies %.3f of their "
          "plain bytes" % (g_single, g_mux, g_mux / g_single, (g_single + g_mux) / plain))
    return 0


if __name__ == "__main__":
    sys.exit(main())
