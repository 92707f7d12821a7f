#!/usr/bin/env python3
"""Added latency of `conformance proxy` per request: the same GETs of the list (a judged
operation) and of an ignored path, sent to `conformance serve` directly and through the
proxy, one at a time on one kept-alive connection each. Prints median and p99 of each and
of the difference. Measured, never asserted.

Usage: benches/proxy_latency.py [--bin PATH] [--requests N]
(default: target/release/conformance, 2000 requests per series, after 200 warm-up ones)."""
import argparse, http.client, os, signal, statistics, subprocess, sys, time, urllib.parse

def announced(process, names):
    values = {}
    while not all(name in values for name in names):
        line = process.stdout.readline()
        if not line:
            sys.exit("the process ended before announcing " + ", ".join(names))
        name, _, value = line.strip().partition("=")
        values[name] = value
    return values

def series(url, path, token, count):
    parsed = urllib.parse.urlparse(url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port)
    times = []
    for index in range(count + 200):
        started = time.perf_counter()
        connection.request("GET", path, headers={"Coder-Session-Token": token})
        response = connection.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        if response.status >= 500:
            sys.exit(f"{path} answered {response.status}")
        if index >= 200:
            times.append(elapsed * 1000)
    connection.close()
    return times

def p99(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]

def main():
    parser = argparse.ArgumentParser()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--bin", default=os.path.join(root, "target/release/conformance"))
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
    serve = subprocess.Popen([args.bin, "serve"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    proxy = None
    try:
        coder = announced(serve, ["CODER_URL", "CODER_SESSION_TOKEN"])
        proxy = subprocess.Popen([args.bin, "proxy", "--upstream", coder["CODER_URL"]],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        via = announced(proxy, ["PROXY_URL"])["PROXY_URL"]
        token = coder["CODER_SESSION_TOKEN"]
        print(f"{'path':<28} {'direct ms (median/p99)':>24} {'proxy ms (median/p99)':>24} {'added median/p99':>18}")
        for path, what in [("/api/v2/external-auth", "judged"), ("/api/v2/buildinfo", "passed on")]:
            direct = series(coder["CODER_URL"], path, token, args.requests)
            proxied = series(via, path, token, args.requests)
            dm, dp, pm, pp = statistics.median(direct), p99(direct), statistics.median(proxied), p99(proxied)
            print(f"{path + ' (' + what + ')':<28} {dm:>11.3f} / {dp:<10.3f} {pm:>11.3f} / {pp:<10.3f} {pm - dm:>8.3f} / {pp - dp:.3f}")
    finally:
        for process in (proxy, serve):
            if process:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()

if __name__ == "__main__":
    main()
