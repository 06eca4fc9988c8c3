"""Checks a STIX 2.1 bundle (standard input) with the OASIS validator, strict: prints the
errors and warnings as a JSON list (empty: valid)."""

import json
import sys

from stix2validator import ValidationOptions, validate_instance

bundle = json.load(sys.stdin)
problems = []
for o in bundle.get("objects", []):
    r = validate_instance(o, ValidationOptions(version="2.1", strict=True))
    problems += [f"{o.get('id')}: {e}" for e in r.errors]
    problems += [f"{o.get('id')}: warning {w}" for w in r.warnings]
print(json.dumps(problems))
