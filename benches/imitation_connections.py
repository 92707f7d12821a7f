#!/usr/bin/env python3
"""How `conformance serve` copes with connections that never finish a request.

Usage: benches/imitation_connections.py [BINARY]

Three runs, each against a fresh `serve`:
  slowloris  3,000 connections sending a header byte every 100 ms
  silent     200 connections sending nothing
  fd-limit   1,100 silent connections against a serve limited to 1,024 descriptors (prlimit)
For each: how many the server has closed after WAIT seconds, and whether (and how fast) a
fresh client got an answer meanwhile. Figures are printed, nothing is asserted.
"""

import asyncio
import os
import subprocess
import sys
import time

WAIT = 15.0


def start(binary, nofile=None):
    command = [binary, "serve"]
    if nofile:
        command = ["prlimit", f"--nofile={nofile}:{nofile}"] + command
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    env = {}
    while "CODER_URL" not in env or "CODER_SESSION_TOKEN" not in env:
        key, _, value = server.stdout.readline().strip().partition("=")
        env[key] = value
    host, port = env["CODER_URL"].removeprefix("http://").rsplit(":", 1)
    return server, host, int(port)


async def fresh_request(host, port):
    started = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 30)
        writer.write(f"GET /api/v2/buildinfo HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = await asyncio.wait_for(reader.read(64), 30)
        writer.close()
        return data.startswith(b"HTTP/1.1 200"), time.monotonic() - started
    except (asyncio.TimeoutError, OSError):
        return False, time.monotonic() - started


async def hold(host, port, count, trickle):
    closed = 0
    streams = []
    for _ in range(count):
        try:
            streams.append(await asyncio.open_connection(host, port))
        except OSError:
            break

    async def watch(reader):
        # The server sends these connections nothing, so a read returns only when it closes.
        nonlocal closed
        try:
            while await reader.read(4096):
                pass
        except OSError:
            pass
        closed += 1

    async def drip(writer):
        head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "
        i = 0
        while True:
            byte = head[i:i + 1] if i < len(head) else b"a"
            try:
                writer.write(byte)
                await writer.drain()
            except OSError:
                return
            i += 1
            await asyncio.sleep(0.1)

    tasks = [asyncio.create_task(watch(r)) for r, _ in streams]
    if trickle:
        tasks += [asyncio.create_task(drip(w)) for _, w in streams]
    await asyncio.sleep(1.0)
    answered, latency = await fresh_request(host, port)
    await asyncio.sleep(WAIT - 1.0)
    for task in tasks:
        task.cancel()
    for _, writer in streams:
        writer.close()
    return len(streams), closed, answered, latency


def run(name, binary, count, trickle, nofile=None):
    server, host, port = start(binary, nofile)
    try:
        opened, closed, answered, latency = asyncio.run(hold(host, port, count, trickle))
        print(
            f"{name:>10}: {opened} opened, {closed} closed by the server after {WAIT:.0f} s; "
            f"fresh client {'answered' if answered else 'NOT answered'} in {latency:.2f} s"
        )
    finally:
        server.terminate()
        server.wait()


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "target/debug/conformance")
    run("slowloris", binary, 3000, True)
    run("silent", binary, 200, False)
    run("fd-limit", binary, 1100, False, nofile=1024)


if __name__ == "__main__":
    main()
