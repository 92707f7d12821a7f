#!/usr/bin/env bash
# What a hostile server's large answers cost a check (issue 23): wall time, CPU, peak memory
# and the size of every output, for the two cases of benches/hostile_sizes.py (`agent`: 720 KB
# agent answers with 20,000 secrets; `bulk`: every answer about 1 MiB). Measured, never
# asserted. Usage: benches/hostile-sizes.sh   (BIN=path/to/conformance measures another build)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BIN:-}" ]; then
  cargo build --release --bin conformance -q
fi
bin=${BIN:-$PWD/target/release/conformance}
work=$(mktemp -d)
trap 'kill "${server_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

for mode in agent bulk; do
  rm -f "$work/port"
  python3 benches/hostile_sizes.py "$mode" "$work/port" &
  server_pid=$!
  for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
  url="http://127.0.0.1:$(cat "$work/port")"
  set +e
  CODER_SESSION_TOKEN=hostile001-Zq8TOKENsecretVALUE9xyW CI=true /usr/bin/time -v "$bin" check \
    --url "$url" --agent-token 5ec7e7a9-0a6e-4b1d-9c3f-7f00d5ec0e75 --timeout 60 \
    --json "$work/report.json" --junit "$work/junit.xml" --sarif "$work/report.sarif" \
    2>"$work/stderr" >/dev/null
  code=$?
  set -e
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
  wall=$(grep 'Elapsed (wall clock)' "$work/stderr" | awk '{print $NF}')
  user=$(grep 'User time' "$work/stderr" | awk '{print $NF}')
  sys=$(grep 'System time' "$work/stderr" | awk '{print $NF}')
  rss=$(grep 'Maximum resident' "$work/stderr" | awk '{print $NF}')
  size() { stat -c %s "$1" 2>/dev/null || echo 0; }
  stderr_bytes=$(( $(size "$work/stderr") ))
  printf '%-6s exit %s  wall %s  cpu %ss user + %ss sys  peak %s MiB  json %s KiB  junit %s KiB  sarif %s KiB  stderr %s KiB\n' \
    "$mode" "$code" "$wall" "$user" "$sys" "$((rss / 1024))" \
    "$(( $(size "$work/report.json") / 1024 ))" "$(( $(size "$work/junit.xml") / 1024 ))" \
    "$(( $(size "$work/report.sarif") / 1024 ))" "$((stderr_bytes / 1024))"
done
