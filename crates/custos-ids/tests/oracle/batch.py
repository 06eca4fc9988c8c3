#!/usr/bin/env python3
"""The Python side of `custos bench ids`: the same batch job as `custos id check --batch KIND`,
done with the independent libraries. Reads one value per line (for mrz, a JSON string), writes
one JSON line each: {"valid": bool, "normalized": str|null}.

Usage: batch.py KIND < values
"""
import importlib
import json
import sys

import phonenumbers
import schwifty
from stdnum import iban, lei, luhn
from stdnum.us import ein, rtn

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from corpus import NATIONAL, checker_for  # noqa: E402


def run(kind):
    if kind.startswith("national-id:"):
        mods = [importlib.import_module("stdnum." + m) for m in NATIONAL[kind.split(":")[1]]]

        def fn(v):
            for m in mods:
                try:
                    return m.validate(v)
                except Exception:
                    pass
            raise ValueError
    else:
        fn = {
            "iban": iban.validate,
            "lei": lei.validate,
            "aba": rtn.validate,
            "ein": ein.validate,
            "card": lambda v: v if luhn.is_valid(v) else (_ for _ in ()).throw(ValueError()),
            "bic": lambda v: schwifty.BIC(v).compact,
            "phone": lambda v: phonenumbers.format_number(
                phonenumbers.parse(v, None), phonenumbers.PhoneNumberFormat.E164),
            "mrz": lambda v: v if bool(checker_for(v)(v)) else (_ for _ in ()).throw(ValueError()),
        }[kind]
    out = sys.stdout
    for line in sys.stdin:
        v = line.rstrip("\n")
        if kind == "mrz":
            v = json.loads(v)
        try:
            r = {"valid": True, "normalized": fn(v)}
        except Exception:
            r = {"valid": False, "normalized": None}
        out.write(json.dumps(r))
        out.write("\n")


if __name__ == "__main__":
    run(sys.argv[1])
