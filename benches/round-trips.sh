#!/usr/bin/env bash
# Round trips of the read-only `conformance check` against a deployment that answers every
# request after DELAY_MS (default 50): `conformance serve` behind benches/delay_proxy.py. Prints
# the wall time, the requests, and how many sequential waves (round trips) they came in.
# Measured, never asserted. Usage: benches/round-trips.sh [DELAY_MS]
# (BIN=path/to/conformance measures another build, an older one say, the same way.)
# TARGET=FILE measures a deployment described by `realcoder/up`'s lines instead of `serve`
# (a real Coder), with the read-only part all on: --agent-token, --template-version and
# --agent-listen.
set -euo pipefail
cd "$(dirname "$0")/.."
delay=${1:-50}
if [ -z "${BIN:-}" ]; then
  cargo build --release --bin conformance -q
fi
bin=${BIN:-$PWD/target/release/conformance}
work=$(mktemp -d)
trap 'kill "${serve_pid:-}" "${proxy_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

extra=()
if [ -n "${TARGET:-}" ]; then
  # shellcheck disable=SC1090
  source <(grep -E '^(CODER_URL|CODER_SESSION_TOKEN|CODER_AGENT_TOKEN|CODER_TEMPLATE_VERSION)=' "$TARGET" | sed 's/^/export /')
  extra=(--template-version "$CODER_TEMPLATE_VERSION" --agent-listen)
else
  "$bin" serve --addr 127.0.0.1:0 >"$work/serve.env" 2>/dev/null &
  serve_pid=$!
  for _ in $(seq 50); do grep -q CODER_SESSION_TOKEN "$work/serve.env" 2>/dev/null && break; sleep 0.1; done
  # shellcheck disable=SC1090
  source <(grep -E '^(CODER_URL|CODER_SESSION_TOKEN)=' "$work/serve.env" | sed 's/^/export /')
fi
python3 benches/delay_proxy.py "$work/port" "$CODER_URL" "$delay" "$work/requests.log" &
proxy_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$work/port")"

runs=5
for i in $(seq $runs); do
  : >"$work/requests.log"
  start=$(date +%s.%N)
  CI=true "$bin" check --url "$url" "${extra[@]}" >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  python3 - "$work/requests.log" "$start" "$end" "$delay" <<'PY'
import sys
log, start, end, delay = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]) / 1000
times = sorted(float(line.split()[0]) for line in open(log))
waves, last = 0, None
for t in times:
    # A request that arrives before the previous wave could have been answered joins it.
    if last is None or t - last >= delay * 0.8:
        waves += 1
        last = t
print(f"wall {1000 * (end - start):.0f} ms, {len(times)} requests in {waves} round trips")
PY
done
