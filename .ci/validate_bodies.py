#!/usr/bin/env python3
"""Validates the body corpus against the curated spec with a strict third-party validator.

Every file tests/fixtures/bodies/<Schema>/valid-*.json must pass, and every invalid-*.json
must fail, openapi-schema-validator's OAS30Validator against components/schemas/<Schema> of
openapi/coder-external-auth.json, `$ref`s resolved in the spec, formats checked. A name that
ends in `@2.25-2.26` (a range of Coder releases) holds its verdict only for those releases and
the opposite one for the others; the spec as written accepts every supported release, so such
a body is valid here either way. The Rust test `contract::tests::the_body_corpus_has_the_same_verdicts`
holds our own validator to the verdicts of each release's contract. Prints one line per file
and `N passed, M failed`; exits 1 on any mismatch.
"""

import argparse
import json
import sys
from pathlib import Path

from jsonschema.exceptions import best_match
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "coder-external-auth.json"
BODIES = ROOT / "tests" / "fixtures" / "bodies"
# The spec is registered under this URI so a component's local `$ref`s resolve inside it.
SPEC_URI = "urn:coder-external-auth"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=SPEC,
                        help="the spec to validate against (default: the curated file)")
    parser.add_argument("--release", metavar="X.Y.Z",
                        help="the Coder release whose contract --spec is (`conformance spec "
                             "--coder-version X.Y.Z`): `@range` names then hold their verdict "
                             "only inside their range")
    args = parser.parse_args()
    release_minor = int(args.release.split(".")[1]) if args.release else None
    spec = json.loads(args.spec.read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    registry = Registry().with_resource(
        SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT4)
    )
    files = sorted(BODIES.glob("*/*.json"))
    if not files:
        print(f"error: no bodies under {BODIES.relative_to(ROOT)}", file=sys.stderr)
        return 1

    passed = failed = 0
    for path in files:
        name = path.relative_to(BODIES).as_posix()
        schema = path.parent.name
        named_valid = path.name.startswith("valid-")
        if "@" not in path.stem:
            expect_valid = named_valid
        elif release_minor is None:
            # Valid in some release either way: the spec as written is the union of them all.
            expect_valid = True
        else:
            first, last = (int(v.split(".")[1]) for v in path.stem.split("@")[1].split("-"))
            expect_valid = named_valid if first <= release_minor <= last else not named_valid
        if not (named_valid or path.name.startswith("invalid-")):
            print(f"{'FAILED':>8} {name}: name must start with valid- or invalid-")
            failed += 1
            continue
        if schema not in schemas:
            print(f"{'FAILED':>8} {name}: the spec has no schema {schema}")
            failed += 1
            continue
        validator = OAS30Validator(
            {"$ref": f"{SPEC_URI}#/components/schemas/{schema}"},
            registry=registry,
            format_checker=OAS30Validator.FORMAT_CHECKER,
        )
        body = json.loads(path.read_text(encoding="utf-8"))
        error = best_match(validator.iter_errors(body))
        if (error is None) == expect_valid:
            verdict = "valid" if expect_valid else f"invalid: {describe(error)}"
            print(f"{'ok':>8} {name}: {verdict}")
            passed += 1
        else:
            why = "passed" if error is None else f"failed: {describe(error)}"
            want = "valid" if expect_valid else "invalid"
            print(f"{'FAILED':>8} {name}: expected {want}, but it {why}")
            failed += 1

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def describe(error) -> str:
    """The JSON pointer of the most relevant error and its message, cut to one short line."""
    pointer = "".join(f"/{part}" for part in error.absolute_path)
    message = error.message if len(error.message) <= 100 else error.message[:97] + "..."
    return f"{pointer or '/'} {message}"


if __name__ == "__main__":
    sys.exit(main())
