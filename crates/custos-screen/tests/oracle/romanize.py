"""Reads lines `kind<TAB>text` and prints, one line each, what an independent romaniser makes of
the text:
- `hangul`: each syllable by korean-romanizer (the Revised Romanization), space-separated;
- `pinyin`: each character by pypinyin (its commonest reading), space-separated;
- `wade-giles`: each character by pypinyin's Wade-Giles, space-separated;
- `kana`: pykakasi's Hepburn, the words joined by spaces;
- `cutlet`: cutlet's Hepburn (its own spellings of loanwords off)."""

import sys

from korean_romanizer.romanizer import Romanizer
from pypinyin import Style, lazy_pinyin
import pykakasi
import cutlet

kakasi = pykakasi.kakasi()
katsu = None

for line in sys.stdin:
    kind, text = line.rstrip("\n").split("\t", 1)
    if kind == "hangul":
        print(" ".join(Romanizer(c).romanize() for c in text if "\uac00" <= c <= "\ud7a3"))
    elif kind == "pinyin":
        print(" ".join(lazy_pinyin(text)))
    elif kind == "wade-giles":
        print(" ".join(lazy_pinyin(text, style=Style.WADEGILES)))
    elif kind == "kana":
        print(" ".join(w["hepburn"] for w in kakasi.convert(text) if w["hepburn"].strip()))
    elif kind == "cutlet":
        if katsu is None:
            katsu = cutlet.Cutlet(use_foreign_spelling=False)
        print(katsu.romaji(text))
    else:
        raise SystemExit(f"unknown kind {kind}")
