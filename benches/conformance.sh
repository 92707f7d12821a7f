#!/usr/bin/env bash
# Benchmarks, measured (never asserted in tests):
#   1. `conformance check` against the embedded imitation: wall time and peak memory;
#   2. Schemathesis checking the same five operations on the same imitation (`conformance serve`);
#   3. the imitation's throughput over loopback, with wrk.
# Installs what it needs (hyperfine, wrk from Debian; schemathesis from PyPI).
# Usage: benches/conformance.sh            (prints a table; about two minutes)
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1; }
if ! need hyperfine || ! need wrk || [ ! -x /usr/bin/time ]; then
  apt-get update -qq && apt-get install -y -qq hyperfine wrk time >/dev/null
fi
need schemathesis || pip install -q schemathesis

cargo build --release --bin conformance -q
bin=target/release/conformance
work=$(mktemp -d)
trap 'kill "${serve_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
export CI=true   # check writes nothing

echo "== 1. conformance check, embedded imitation (hyperfine: 5 warm-ups, 50 runs)"
hyperfine -N --warmup 5 --runs 50 --export-json "$work/check.json" "$bin check" >/dev/null
check_mean_ms=$(python3 -c "import json;r=json.load(open('$work/check.json'))['results'][0];print(f\"{r['mean']*1000:.1f}\")")
check_sd_ms=$(python3 -c "import json;r=json.load(open('$work/check.json'))['results'][0];print(f\"{r['stddev']*1000:.1f}\")")
peak_kb=0
for _ in 1 2 3 4 5; do
  /usr/bin/time -f "%M" -o "$work/rss" "$bin" check >/dev/null 2>&1
  kb=$(tail -1 "$work/rss")
  [ "$kb" -gt "$peak_kb" ] && peak_kb=$kb
done
cases=$("$bin" check --json "$work/r.json" 2>/dev/null; python3 -c "import json;print(json.load(open('$work/r.json'))['summary']['cases'])")

echo "== 2. Schemathesis against conformance serve (same spec, same server)"
"$bin" serve --addr 127.0.0.1:0 >"$work/serve.env" 2>/dev/null &
serve_pid=$!
for _ in $(seq 50); do [ "$(wc -l <"$work/serve.env")" -ge 2 ] && break; sleep 0.1; done
# shellcheck disable=SC1090
source "$work/serve.env"
st_runs=3
st_total=0
for i in $(seq $st_runs); do
  start=$(date +%s.%N)
  schemathesis run openapi/coder-external-auth.json --url "$CODER_URL" \
    -H "Coder-Session-Token: $CODER_SESSION_TOKEN" --max-examples 10 --no-color \
    >"$work/st-$i.log" 2>&1 || true
  [ "$i" = 1 ] && cp "$work/st-1.log" "${ST_LOG:-/dev/null}"
  end=$(date +%s.%N)
  st_total=$(python3 -c "print($st_total + $end - $start)")
done
st_mean_ms=$(python3 -c "print(f'{$st_total / $st_runs * 1000:.0f}')")
st_calls=$(grep -Eo '[0-9]+ (test cases|generated)' "$work/st-1.log" | head -1 || true)

echo "== 3. imitation throughput: wrk, 2 threads, 32 connections, 10 s, GET by id"
wrk -t2 -c32 -d10s -H "Coder-Session-Token: $CODER_SESSION_TOKEN" \
  "$CODER_URL/api/v2/external-auth/github" >"$work/wrk.txt"
rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
errors=$(grep -E "Non-2xx|Socket errors" "$work/wrk.txt" || echo "none")

ratio=$(python3 -c "print(f'{$st_mean_ms / $check_mean_ms:.0f}')")
cat <<TABLE

| measure | result |
|---|---|
| conformance check, embedded imitation ($cases cases) | $check_mean_ms ms ± $check_sd_ms ms wall (mean of 50) |
| conformance check, peak memory (max RSS of 5 runs) | $((peak_kb / 1024)) MB ($peak_kb KB) |
| Schemathesis, same spec and server (--max-examples 10, mean of $st_runs) | $st_mean_ms ms ${st_calls:+($st_calls)} |
| speed-up over Schemathesis | ${ratio}x |
| imitation, wrk -t2 -c32 -d10s GET /api/v2/external-auth/github | $rps requests/s (errors: $errors) |
TABLE
