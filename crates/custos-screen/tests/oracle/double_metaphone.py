"""Reads tokens, one per line, and prints the primary Double Metaphone code of each
(the `metaphone` package, a port of Lawrence Philips' original), one per line."""

import sys

from metaphone import doublemetaphone

for line in sys.stdin:
    print(doublemetaphone(line.strip())[0])
