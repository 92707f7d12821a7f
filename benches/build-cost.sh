#!/usr/bin/env bash
# Clean-build cost on this machine, each from an empty target directory (the registry already
# downloaded): the library alone as a `default-features = false` consumer builds it, and a
# clean `cargo install` of the binary. Measured, never asserted.
# Usage: benches/build-cost.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo fetch --quiet

measure() {
  local what=$1
  shift
  local start end
  start=$(date +%s.%N)
  "$@" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
  end=$(date +%s.%N)
  printf '| %s | %.0f s |\n' "$what" "$(python3 -c "print($end - $start)")"
}

echo "| build | wall |"
echo "|---|---|"
measure "the library alone: cargo build --lib --no-default-features" \
  env CARGO_TARGET_DIR="$work/lib" cargo build --quiet --lib --no-default-features
measure "the library with TLS: cargo build --lib --no-default-features --features tls" \
  env CARGO_TARGET_DIR="$work/lib" cargo build --quiet --lib --no-default-features --features tls
measure "the binary: cargo install --locked --path . (release)" \
  env CARGO_TARGET_DIR="$work/install" cargo install --quiet --locked --path . --root "$work/root"
