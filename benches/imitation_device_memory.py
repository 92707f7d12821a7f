#!/usr/bin/env python3
"""Resident memory of `conformance serve` before and after N GET device calls.

Usage: benches/imitation_device_memory.py [BINARY] [N]
  BINARY  the conformance binary (default target/release/conformance, else target/debug)
  N       GET /api/v2/external-auth/github/device calls (default 1,000,000)

Requests are pipelined over a few keep-alive connections (batches of BATCH), so the script
measures the server's memory, not the client's speed. Prints RSS before and after, in MB.
"""

import os
import socket
import subprocess
import sys
import threading
import time

CONNECTIONS = 4
BATCH = 200


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def worker(host, port, token, count, done):
    request = (
        f"GET /api/v2/external-auth/github/device HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Coder-Session-Token: {token}\r\n\r\n"
    ).encode()
    sock = socket.create_connection((host, port))
    sent = 0
    while sent < count:
        n = min(BATCH, count - sent)
        sock.sendall(request * n)
        seen, tail = 0, b""
        while seen < n:
            data = sock.recv(1 << 16)
            if not data:
                raise SystemExit("server closed the connection")
            chunk = tail + data
            seen += chunk.count(b"\r\n\r\n")
            tail = chunk[-3:]
        sent += n
    sock.close()
    done.append(sent)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binary = sys.argv[1] if len(sys.argv) > 1 else None
    if binary is None:
        release = os.path.join(root, "target/release/conformance")
        binary = release if os.path.exists(release) else os.path.join(root, "target/debug/conformance")
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    server = subprocess.Popen([binary, "serve"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        env = {}
        while len(env) < 2:
            key, _, value = server.stdout.readline().strip().partition("=")
            env[key] = value
        url = env["CODER_URL"].removeprefix("http://")
        host, port = url.rsplit(":", 1)
        before = rss_mb(server.pid)
        started = time.time()
        done, threads = [], []
        share = total // CONNECTIONS
        for i in range(CONNECTIONS):
            count = share + (total - share * CONNECTIONS if i == 0 else 0)
            t = threading.Thread(target=worker, args=(host, int(port), env["CODER_SESSION_TOKEN"], count, done))
            t.start()
            threads.append(t)
        for t in threads:
            t.join()
        elapsed = time.time() - started
        after = rss_mb(server.pid)
        print(f"{sum(done):,} GET device calls in {elapsed:.1f} s: RSS {before:.1f} MB before, {after:.1f} MB after")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
