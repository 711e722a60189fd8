#!/usr/bin/python3
"""The seed's design, rebuilt for the benchmark (docs/performance.md).

GStreamer serves the MPEG-TS on a TCP port (tcpserversink); this Flask app
serves `/stream` as Server-Sent Events: every HTTP client gets its own TCP
connection to GStreamer, and every block it reads is Base64-encoded into a
JSON object and sent as one `data:` event, with `text/event-stream`,
`Cache-Control: no-cache` and `Access-Control-Allow-Origin: *`, from Flask's
own threaded server (what `app.run()` starts), as the seed did.

Two additions, so the load client can measure it like ssesink: the JSON has a
`ts` member (wall clock in microseconds when the block was encoded) and a
`seq` member (per client). The seed had neither; both are cheap.

One difference, in the seed's favour: the seed spawned a GStreamer process
per HTTP client; here all clients share one, so the benchmark's GStreamer cost
does not grow with clients.

usage: seed_flask.py --gst-port P [--gst-host H] [--host H] [--port P] [--read-size N]
Prints `listening on port N` once it accepts connections.
"""
import argparse
import base64
import json
import socket
import sys
import time

from flask import Flask, Response
from werkzeug.serving import make_server

app = Flask(__name__)
config = {"gst": ("127.0.0.1", 5000), "read_size": 65536}


def events():
    """One client's stream: read TS bytes from GStreamer, send them as JSON."""
    sock = socket.create_connection(config["gst"])
    seq = 0
    try:
        while True:
            data = sock.recv(config["read_size"])
            if not data:
                break
            seq += 1
            payload = json.dumps(
                {
                    "seq": seq,
                    "ts": time.time_ns() // 1000,
                    "data": base64.b64encode(data).decode("ascii"),
                }
            )
            yield "data: " + payload + "\n\n"
    finally:
        sock.close()


@app.route("/stream")
def stream():
    response = Response(events(), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gst-host", default="127.0.0.1")
    ap.add_argument("--gst-port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0: a free port")
    ap.add_argument("--read-size", type=int, default=65536)
    args = ap.parse_args()
    config["gst"] = (args.gst_host, args.gst_port)
    config["read_size"] = args.read_size
    # The server app.run() would start (threaded, one thread per client),
    # created directly so that port 0 can be used and reported.
    server = make_server(args.host, args.port, app, threaded=True)
    print("listening on port %d" % server.socket.getsockname()[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
