#!/usr/bin/env python3
"""Finds a served stand-in for a dependency version the module proxy does not serve.

Usage: substitute.py GO_MOD MODULE@VERSION CACHE
Prints `OLD=NEW@VERSION` for `go mod edit -replace`, then the go.sum lines of NEW@VERSION
from that release (the checksum database may not know it; the release's go.sum vouched for
it). OLD is the path the release's go.mod
requires (the replaced path when MODULE is a replacement target, as github.com/coder/fantasy
is for charm.land/fantasy), NEW@VERSION the same module at the version another built release
under CACHE resolved (its go.sum holds the module's hash, so the proxy served it). Prints
nothing and exits 1 when no built release has the module.
"""
import glob
import json
import os
import subprocess
import sys


def main(go_mod, missing, cache):
    path, _, version = missing.partition("@")
    edit = json.loads(subprocess.run(["go", "mod", "edit", "-json", go_mod], check=True,
                                     capture_output=True, text=True).stdout)
    old = path
    for replace in edit.get("Replace") or []:
        if replace["New"]["Path"] == path:
            old = replace["Old"]["Path"]
    candidates = []
    sums = {}
    for go_sum in glob.glob(os.path.join(cache, "v*", "module", "go.sum")):
        if os.path.dirname(go_sum) == os.path.dirname(os.path.abspath(go_mod)):
            continue
        for line in open(go_sum, encoding="utf-8"):
            fields = line.split()
            if len(fields) != 3 or fields[0] != path:
                continue
            found = fields[1].removesuffix("/go.mod")
            sums.setdefault(found, set()).add(line.strip())
            if not fields[1].endswith("/go.mod") and found != version:
                candidates.append(found)
    if not candidates:
        return 1
    # The nearest by the pseudo-version's timestamp or the semver text: sorted, the one
    # just after the missing version if there is one, else the newest before it.
    candidates = sorted(set(candidates))
    after = [c for c in candidates if c > version]
    chosen = after[0] if after else candidates[-1]
    print(f"{old}={path}@{chosen}")
    for line in sorted(sums[chosen]):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
