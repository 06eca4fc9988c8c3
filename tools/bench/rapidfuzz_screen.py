"""The baseline of `custos bench screen`: what a user would reach for to screen a name
against a list without an index, rapidfuzz's process.extract with its Jaro-Winkler scorer.

Usage: rapidfuzz_screen.py NAMES QUERIES  (one name or query per line)
Prints JSON: tool, queries, qps, p50_us, p99_us. The names are normalised once (rapidfuzz's
default_process: lower case, punctuation to spaces, trimmed), not on every query.
"""

import json
import sys
import time

import rapidfuzz
from rapidfuzz import process, utils
from rapidfuzz.distance import JaroWinkler


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        names = [utils.default_process(line.rstrip("\n")) for line in f]
    with open(sys.argv[2], encoding="utf-8") as f:
        queries = [utils.default_process(line.rstrip("\n")) for line in f]
    latencies = []
    start = time.perf_counter()
    for q in queries:
        t = time.perf_counter()
        process.extract(q, names, scorer=JaroWinkler.normalized_similarity, processor=None, limit=10)
        latencies.append((time.perf_counter() - t) * 1e6)
    total = time.perf_counter() - start
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[round((len(latencies) - 1) * p)] if latencies else 0.0

    json.dump(
        {
            "tool": f"rapidfuzz {rapidfuzz.__version__} process.extract, JaroWinkler",
            "queries": len(queries),
            "qps": len(queries) / total if total else 0.0,
            "p50_us": pct(0.5),
            "p99_us": pct(0.99),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
