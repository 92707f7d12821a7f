#!/usr/bin/env bash
# Schemathesis (pinned) against `conformance serve`, with every check and every phase: once on
# the curated spec (OpenAPI 3.0.3) and once on its `conformance spec --openapi 3.1` rendering,
# each on a fresh server. Prints every check's verdicts and every failure, each marked expected
# (explained in README "Using the spec in other tools") or UNEXPECTED.
#
# Installs schemathesis==$VERSION from PyPI into a venv under
# ${XDG_CACHE_HOME:-~/.cache}/coder-external-auth/schemathesis/ on first use (needs python3 with
# venv). Writes nothing in the repository but the debug build.
# Usage: benches/schemathesis.sh [SEED]        (default seed 1; about 15 s once installed)
# Exit: 0 when every failure is an expected one, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=4.32.5
SEED="${1:-1}"
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/coder-external-auth/schemathesis/$VERSION"
if [[ ! -f "$VENV/.complete" ]]; then
  echo "== installing schemathesis $VERSION into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
  touch "$VENV/.complete"
fi

# Verdicts, not timings: the debug build is enough (benches/conformance.sh times the release).
cargo build --bin conformance -q
bin=target/debug/conformance
work=$(mktemp -d)
trap 'kill "${serve_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin" spec --openapi 3.1 >"$work/spec-3.1.json"

unexpected=0
for spec in "$PWD/openapi/coder-external-auth.json" "$work/spec-3.1.json"; do
  name=$(basename "$spec" .json)
  # A fresh imitation per run: DELETE removes links, so runs on one server would differ.
  env_file="$work/$name.env"
  : >"$env_file"
  "$bin" serve --addr 127.0.0.1:0 >"$env_file" 2>/dev/null &
  serve_pid=$!
  for _ in $(seq 100); do [ "$(wc -l <"$env_file")" -ge 2 ] && break; sleep 0.1; done
  unset CODER_URL CODER_SESSION_TOKEN
  # shellcheck disable=SC1090
  source "$env_file"
  [[ -n "${CODER_URL:-}" ]] || { echo "error: conformance serve printed no CODER_URL within 10 s" >&2; exit 1; }

  echo "== schemathesis $VERSION on $name ($(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['openapi'])" "$spec")), --checks all, seed $SEED"
  # From the scratch directory: Schemathesis and Hypothesis leave .schemathesis/ and
  # .hypothesis/ in the working directory.
  (cd "$work" && "$VENV/bin/schemathesis" run "$spec" \
    --url "$CODER_URL" -H "Coder-Session-Token: $CODER_SESSION_TOKEN" --checks all \
    --seed "$SEED" --no-color --generation-database none \
    --report ndjson --report-ndjson-path "$work/$name.ndjson") >"$work/$name.log" 2>&1 || true
  grep -E '^ +(Selected|Tested):|generated|Specification:' "$work/$name.log" | sed 's/^ */   /' || true

  # Each check's verdicts over every test case of every phase, then each distinct failure.
  # A failure is expected when its (code, operation) is listed here and in the README.
  python3 - "$work/$name.ndjson" <<'PY' || unexpected=1
import base64, collections, json, sys

EXPECTED = {
    ("ST202", "GET /api/v2/external-auth/{externalauth}/device"),
    ("ST202", "POST /api/v2/external-auth/{externalauth}/device"),
}
verdicts = collections.defaultdict(collections.Counter)
failures = collections.Counter()
for line in open(sys.argv[1]):
    event = json.loads(line)
    finished = event.get("ScenarioFinished")
    if not finished:
        continue
    recorder = finished["recorder"]
    for case_id, checks in (recorder.get("checks") or {}).items():
        for check in checks:
            verdicts[check["name"]][check["status"]] += 1
            if check["status"] != "failure":
                continue
            failure = check["failure_info"]["failure"]
            response = (recorder["interactions"].get(case_id) or {}).get("response") or {}
            body = base64.b64decode(response.get("content", {}).get("$base64", "")).decode(errors="replace")
            failures[(failure["code"], failure["operation"], failure["title"],
                      response.get("status_code"), body.strip())] += 1
print(f"   {'check':<30} {'passed':>7} {'failed':>7}")
for name in sorted(verdicts):
    print(f"   {name:<30} {verdicts[name]['success']:>7} {verdicts[name]['failure']:>7}")
bad = 0
for (code, operation, title, status, body), count in sorted(failures.items()):
    known = (code, operation) in EXPECTED
    bad += not known
    print(f"   {'expected' if known else 'UNEXPECTED':<10} {code} {title}: {operation} -> {status} {body} (x{count})")
sys.exit(1 if bad else 0)
PY
  kill "$serve_pid" 2>/dev/null || true
  wait "$serve_pid" 2>/dev/null || true
done
exit "$unexpected"
