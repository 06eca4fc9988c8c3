"""Reads CEL expressions, one per line, and prints `ok` for each that cel-python (an
independent implementation of the Common Expression Language) parses, `err` for each it does
not, one per line."""

import sys

import celpy

env = celpy.Environment()
for line in sys.stdin:
    try:
        env.compile(line.rstrip("\n"))
        print("ok")
    except Exception:  # any parse error
        print("err")
