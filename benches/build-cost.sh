#!/usr/bin/env bash
# Clean-build cost on this machine, each from an empty target directory (the registry already
# downloaded), with /usr/bin/time -v: wall, and CPU (user + sys) to tell a busy machine's
# waiting from the work itself. The library alone as a `default-features = false` consumer
# builds it, a clean release build of the binary, and a clean `cargo install` of it.
# Measured, never asserted. Prints the load average before each build: on a shared machine
# the wall figure includes other people's work, the CPU figure does not.
# Usage: benches/build-cost.sh [--binary-only]
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo fetch --quiet

measure() {
  local what=$1
  shift
  local load
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  /usr/bin/time -v -o "$work/time" "$@" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
  python3 - "$what" "$load" "$work/time" <<'PY'
import re, sys
what, load, path = sys.argv[1:4]
text = open(path).read()
def field(name):
    return re.search(rf"{re.escape(name)}: (.+)", text).group(1).strip()
user, system = float(field("User time (seconds)")), float(field("System time (seconds)"))
parts = [float(p) for p in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
wall = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
rss = int(field("Maximum resident set size (kbytes)")) / 1024
print(f"| {what} | {wall:.0f} s | {user + system:.0f} s ({user:.0f} user + {system:.0f} sys) | {rss:.0f} MiB | {load} |")
PY
}

echo "| build | wall | CPU | peak RSS of one process | load average before |"
echo "|---|---|---|---|---|"
if [ "${1:-}" != --binary-only ]; then
  measure "the library alone: cargo build --lib --no-default-features" \
    env CARGO_TARGET_DIR="$work/lib" cargo build --quiet --lib --no-default-features
  measure "then with TLS: cargo build --lib --no-default-features --features tls" \
    env CARGO_TARGET_DIR="$work/lib" cargo build --quiet --lib --no-default-features --features tls
fi
measure "the binary: cargo build --release --bin conformance" \
  env CARGO_TARGET_DIR="$work/release" cargo build --quiet --release --bin conformance
rm -rf "$work/release"
measure "the binary installed: cargo install --locked --path . --root TMP" \
  env CARGO_TARGET_DIR="$work/install" cargo install --quiet --locked --path . --root "$work/root"
