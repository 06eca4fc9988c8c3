"""Reads JSON lines {"expr", "vars"} and prints, one per line, what cel-python (an independent
implementation of the Common Expression Language) makes of the expression over those
variables: `true`, `false`, `other` for a value that is not a boolean, or `err` when it cannot
be evaluated."""

import json
import sys

import celpy
from celpy import celtypes

env = celpy.Environment()
for line in sys.stdin:
    item = json.loads(line)
    try:
        program = env.program(env.compile(item["expr"]))
        result = program.evaluate(
            {k: celpy.json_to_cel(v) for k, v in item["vars"].items()}
        )
    except Exception:  # a parse or evaluation error
        print("err")
        continue
    if isinstance(result, celtypes.BoolType):
        print("true" if result else "false")
    elif isinstance(result, celpy.CELEvalError):
        print("err")
    else:
        print("other")
