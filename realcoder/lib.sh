# Shared by realcoder/build, up, lane and matrix: where things live, how a step is named when
# it fails, and the Go settings every build uses. Sourced, never run.

REALCODER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$REALCODER_DIR/.." && pwd)
# One build per release, kept between runs (Go's own module and build caches sit beside it,
# in GOMODCACHE and GOCACHE).
REALCODER_CACHE=${REALCODER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/coder-external-auth/realcoder}

# A pure-Go build with the toolchain on the machine (Go 1.26.8 satisfies every release from 2.25
# to 2.36: their go.mod ask 1.24.4 to 1.26.5), no VCS stamping, modules from the proxy only.
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
export CGO_ENABLED=0
export GOFLAGS=-buildvcs=false
# Requests to loopback never go through a proxy the environment may name.
export NO_PROXY=127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}
export no_proxy=$NO_PROXY

say() { printf 'realcoder: %s\n' "$*" >&2; }

# fail STEP LOG MESSAGE: name the step that failed and the log to read, then exit 1.
fail() {
  local step=$1 log=$2
  shift 2
  say "FAILED at step '$step': $*"
  if [ -n "$log" ] && [ -f "$log" ]; then
    say "read $log; its last lines:"
    tail -n 20 "$log" | sed 's/^/  | /' >&2
  fi
  exit 1
}

# A release as Coder's module tags it: 2.36.1 or v2.36.1 -> v2.36.1.
release_tag() {
  local v=${1#v}
  if ! [[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    say "not a release: '$1' (expected X.Y.Z, for example 2.36.1)"
    exit 2
  fi
  printf 'v%s' "$v"
}

build_dir() { printf '%s/%s' "$REALCODER_CACHE" "$1"; }

# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# json_field KEY: read one top-level field of the JSON document on stdin.
json_field() {
  python3 -c 'import json,sys; v=json.load(sys.stdin); print(v[sys.argv[1]])' "$1"
}

# wait_for_url URL SECONDS PID LOG STEP: poll URL until it answers 2xx, the process PID dies,
# or SECONDS pass.
wait_for_url() {
  local url=$1 seconds=$2 pid=$3 log=$4 step=$5 waited=0
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || fail "$step" "$log" "the process exited before $url answered"
    [ "$waited" -ge "$seconds" ] && fail "$step" "$log" "$url did not answer within ${seconds}s"
    sleep 1
    waited=$((waited + 1))
  done
}

# ensure_postgres LOG: the bin directory of a PostgreSQL server, installed from Debian's
# packages where none is (as root; it needs the network, so before any offline namespace).
ensure_postgres() {
  local log=$1 bin
  find_pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
  bin=$(find_pgbin)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    [ "$(id -u)" -eq 0 ] || fail "install PostgreSQL" "" "no PostgreSQL server found and not root: install Debian's postgresql package"
    say "installing PostgreSQL from Debian's packages"
    (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql) \
      >"$log" 2>&1 || fail "install PostgreSQL" "$log" "apt-get install postgresql failed"
    bin=$(find_pgbin)
  fi
  printf '%s' "$bin"
}
