#!/usr/bin/env bash
# The curated spec through third-party tools: Redocly CLI (recommended rules), Spectral
# (spectral:oas), openapi-spec-validator, then the body corpus through openapi-schema-validator's
# OAS30Validator (.ci/validate_bodies.py). Any error fails.
#
# Needs node 20+ with npm and python3 3.11+ with pip, nothing else. The pinned tools
# (.ci/spec-tools/package-lock.json and requirements.txt) are installed on first use into
# $SPEC_TOOLS_CACHE (default ~/.cache/coder-external-auth/spec-tools), one directory per lock
# content, node and python version, so a second run installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

SPEC=openapi/coder-external-auth.json
PINS=.ci/spec-tools
CACHE="${SPEC_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/coder-external-auth/spec-tools}"

for tool in node npm python3; do
  command -v "$tool" >/dev/null || { echo "error: spec tools need $tool on PATH" >&2; exit 1; }
done

# One directory per exact set of pins and runtimes: a changed pin installs afresh beside the
# old one instead of mixing versions.
key=$({
  cat "$PINS/package.json" "$PINS/package-lock.json" "$PINS/requirements.txt"
  node --version
  python3 -c 'import sys; print(sys.version_info[:2])'
} | sha256sum | cut -c1-16)
TOOLS="$CACHE/$key"

if [[ ! -f "$TOOLS/.complete" ]]; then
  echo "== installing the pinned spec tools into $TOOLS"
  rm -rf "$TOOLS.partial"
  mkdir -p "$TOOLS.partial"
  cp "$PINS/package.json" "$PINS/package-lock.json" "$TOOLS.partial/"
  (cd "$TOOLS.partial" && npm ci --omit=dev --no-audit --no-fund --loglevel=error >/dev/null)
  # --target, not a venv: works where python3-venv is absent and PEP 668 blocks user installs.
  # The pins are complete, so conflicts with whatever the interpreter already has are moot.
  python3 -m pip install --quiet --disable-pip-version-check --no-input --no-warn-conflicts \
    --root-user-action=ignore --target "$TOOLS.partial/python" --requirement "$PINS/requirements.txt"
  touch "$TOOLS.partial/.complete"
  rm -rf "$TOOLS"
  mv "$TOOLS.partial" "$TOOLS"
fi

export PATH="$TOOLS/node_modules/.bin:$PATH"
export PYTHONPATH="$TOOLS/python${PYTHONPATH:+:$PYTHONPATH}"
# Redocly: no usage reports and no update check (the network here reaches only registries).
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true

# `spec-tools.sh --sarif DIR`: every SARIF log in DIR (written by `CONFORMANCE_SARIF_DIR=DIR
# cargo test --test it conformance_sarif::`: the embedded run, a drifting fixture, a baselined and a
# stopped run) through Microsoft's SARIF Multitool, its SARIF and GitHub rules. Any error fails;
# the one warning left (SARIF2005, no informationUri) is explained in the README.
if [[ "${1:-}" == "--sarif" ]]; then
  dir=${2:?usage: spec-tools.sh --sarif DIR-OF-SARIF-LOGS}
  multitool="$TOOLS/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
  # The package's postinstall makes it executable; npm may be set to skip install scripts.
  [[ -x "$multitool" ]] || chmod u+x "$multitool"
  shopt -s nullglob
  logs=("$dir"/*.sarif)
  (( ${#logs[@]} > 0 )) || { echo "error: no SARIF logs in $dir" >&2; exit 1; }
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  failed=0
  for log in "${logs[@]}"; do
    echo "== sarif-multitool validate $(basename "$log") ($("$multitool" --version 2>&1 | head -n 1))"
    # The Multitool exits 0 whatever it finds: its findings are read from its console lines.
    out=$("$multitool" validate "$log" --rule-kind "Sarif;Gh" -o "$scratch/$(basename "$log")" --log ForceOverwrite 2>&1) || {
      echo "$out"; exit 1; }
    grep -E ': (error|warning) ' <<<"$out" || true
    if grep -qE ': error ' <<<"$out"; then failed=1; fi
  done
  exit "$failed"
fi

# `spec-tools.sh --releases BINARY`: every supported release's contract, as that conformance
# binary prints it, through the validators and the body corpus (after a build, in .ci/run).
if [[ "${1:-}" == "--releases" ]]; then
  binary=${2:?usage: spec-tools.sh --releases PATH-TO-CONFORMANCE}
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  for release in 2.25.0 2.26.0 2.27.0 2.29.0 2.30.0 2.32.0 2.35.1 2.36.1; do
    contract="$scratch/coder-external-auth-$release.json"
    "$binary" spec --coder-version "$release" >"$contract"
    echo "== the contract of Coder $release: openapi-spec-validator, Redocly, the body corpus"
    python3 -m openapi_spec_validator "$contract"
    redocly lint --config openapi/redocly.yaml "$contract" 2>&1 | grep -v '║\|╔\|╚' | tail -n 3
    python3 .ci/validate_bodies.py --spec "$contract" --release "$release" | tail -n 1
  done
  exit 0
fi

echo "== redocly lint (recommended; redocly $(redocly --version))"
redocly lint --config openapi/redocly.yaml "$SPEC"

echo "== spectral lint (spectral:oas; spectral $(spectral --version))"
spectral lint --ruleset openapi/.spectral.yaml --fail-severity error "$SPEC"

echo "== openapi-spec-validator $(python3 -c 'from importlib.metadata import version; print(version("openapi-spec-validator"))')"
python3 -m openapi_spec_validator "$SPEC"

echo "== body corpus: OAS30Validator (openapi-schema-validator $(python3 -c 'from importlib.metadata import version; print(version("openapi-schema-validator"))'))"
python3 .ci/validate_bodies.py
