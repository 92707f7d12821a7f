#!/usr/bin/env python3
"""A loopback proxy that answers every request only after a fixed delay: a Coder deployment
far away, for counting the round trips `conformance check` needs. Forwards to UPSTREAM, logs
each request's arrival time (seconds since start) to LOG, one line each.

Usage: delay_proxy.py PORT_FILE UPSTREAM_URL DELAY_MS LOG
"""

import http.client
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

port_file, upstream, delay_ms, log_path = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
target = urlsplit(upstream)
started = time.monotonic()
lock = threading.Lock()
log = open(log_path, "a", buffering=1)  # append: the runner truncates it between runs


class Delayed(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_one(self):
        with lock:
            log.write(f"{time.monotonic() - started:.4f} {self.command} {self.path}\n")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        time.sleep(delay_ms / 1000)
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        connection.request(self.command, self.path, body=body, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("content-length", "connection", "transfer-encoding", "date"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = handle_one

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    # The default backlog (5) would queue a burst of concurrent connections and look like
    # extra round trips.
    request_queue_size = 128


server = Server(("127.0.0.1", 0), Delayed)
server.daemon_threads = True
with open(port_file, "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
