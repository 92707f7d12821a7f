#!/usr/bin/env bash
# .ci/run as on a fresh machine: a fresh clone of HEAD, and every cache it would fill (cargo's
# registry and git checkouts, Go's module and build caches, the real-Coder lane's builds,
# npm's and pip's caches) pointed at empty directories, so nothing of this machine's caches is
# reused. The toolchains stay (a fresh machine has them). Prints the wall time of the whole
# run and of each step; the caches it filled are kept in WORK for a second, warm run
# (`benches/ci-fresh.sh --warm WORK`).
# Measured, never asserted. Usage: benches/ci-fresh.sh [--warm WORK]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" = "--warm" ]; then
  work=$2
  rm -rf "$work/clone"
else
  work=$(mktemp -d /tmp/ci-fresh.XXXXXX)
fi
git clone -q "$repo" "$work/clone"
mkdir -p "$work/cache" "$work/cargo"
export RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}
export CARGO_HOME=$work/cargo GOMODCACHE=$work/gomod GOCACHE=$work/gocache \
  XDG_CACHE_HOME=$work/cache npm_config_cache=$work/npm PIP_CACHE_DIR=$work/pip CI=true
export PATH=$HOME/.cargo/bin:$PATH
start=$(date +%s)
set +e
(cd "$work/clone" && bash .ci/run) 2>&1 | while IFS= read -r line; do
  stamped=$(printf '%5ds %s' "$(($(date +%s) - start))" "$line")
  printf '%s\n' "$stamped" >>"$work/ci.log"
  case $line in "== "*) printf '%s\n' "$stamped" ;; esac
done
code=${PIPESTATUS[0]}
echo "ci-fresh: .ci/run exited $code after $(($(date +%s) - start)) s (log: $work/ci.log; caches kept in $work)"
exit "$code"
