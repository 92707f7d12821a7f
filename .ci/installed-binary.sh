#!/usr/bin/env bash
# The installed binary works with the source tree gone: `cargo install` from a temporary clone
# into a temporary root, the clone deleted, then every subcommand run from an empty directory.
# Reuses this checkout's target/ (dev profile, `--debug`), so only this crate is rebuilt.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

git clone --quiet --no-hardlinks "$repo" "$scratch/source"
# Uncommitted work is what is under test when run by hand; CI's checkout is clean anyway.
git -C "$repo" diff HEAD | git -C "$scratch/source" apply --allow-empty
CARGO_TARGET_DIR="$repo/target" cargo install --quiet --locked --debug \
  --path "$scratch/source" --root "$scratch/root" --bin conformance
rm -rf "$scratch/source"
mkdir "$scratch/elsewhere"
cd "$scratch/elsewhere"
conformance="$scratch/root/bin/conformance"

fail() { echo "installed binary: $*" >&2; exit 1; }
"$conformance" check --json report.json 2>check.log || fail "check exited $? (see below)$(cat check.log)"
grep -q '"exit_code": 0' report.json || fail "the report does not say exit 0"
"$conformance" list >list.txt 2>/dev/null || fail "list exited $?"
! grep -q missing list.txt || fail "list shows variants without an accepted snapshot"
"$conformance" spec | python3 -c 'import json,sys; json.load(sys.stdin)' || fail "spec is not JSON"
cp "$repo/tests/fixtures/upstream/releases/swagger-v2.36.1.json" upstream.json
"$conformance" diff --upstream upstream.json 2>diff.log || fail "diff exited $?$(cat diff.log)"
[ -z "$(ls -A . | grep -v -e report.json -e list.txt -e upstream.json -e check.log -e diff.log)" ] \
  || fail "the binary wrote files nobody asked for: $(ls -A .)"
echo "installed binary: check, list, spec and diff pass with the source tree gone"
