#!/usr/bin/python3
"""A small application for ssesink's auth-url tests (Python's http.server).
Prints its port on the first line of stdout, then serves on 127.0.0.1:

  POST /auth   JSON {path, address, headers, token}; the answer depends on
               the token: "allow..." 204, "deny..." 403, "nope..." 401,
               "slow..." 200 after 30 s, anything else 500
  GET /calls   how many POSTs it got
  GET /last    the body of the last POST

With "--tls CERT KEY" it speaks HTTPS with that certificate."""
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
calls = 0
last = b"{}"


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        global calls, last
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock:
            calls += 1
            last = body
        token = json.loads(body).get("token") or ""
        if token.startswith("allow"):
            self.answer(204)
        elif token.startswith("deny"):
            self.answer(403)
        elif token.startswith("nope"):
            self.answer(401)
        elif token.startswith("slow"):
            time.sleep(30)
            self.answer(200)
        else:
            self.answer(500)

    def do_GET(self):
        with lock:
            body = str(calls).encode() if self.path == "/calls" else last
        self.answer(200, body)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
if len(sys.argv) == 4 and sys.argv[1] == "--tls":
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[2], sys.argv[3])
    server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
