#!/usr/bin/env python3
"""Builds the differential corpus for custos-ids and judges it with independent libraries.

For every kind it generates valid values (from each library's own generators, from the
standards' rules, or by searching the check character a library accepts) and invalid ones made
by mutating valid ones (single-character changes, transpositions, truncation). It prints one
JSON line per value: {"kind", "value", "oracle", "valid", "normalized"}.

Usage: corpus.py [--per-kind N] [--seed S]
Needs: python-stdnum, schwifty, phonenumbers, mrz (installed by .ci/run).
"""
import argparse
import datetime
import importlib
import json
import random
import re
import string
import sys

import phonenumbers
import schwifty
from mrz.checker.mrva import MRVACodeChecker
from mrz.checker.mrvb import MRVBCodeChecker
from mrz.checker.td1 import TD1CodeChecker
from mrz.checker.td2 import TD2CodeChecker
from mrz.checker.td3 import TD3CodeChecker
from mrz.generator.mrva import MRVACodeGenerator
from mrz.generator.mrvb import MRVBCodeGenerator
from mrz.generator.td1 import TD1CodeGenerator
from mrz.generator.td2 import TD2CodeGenerator
from mrz.generator.td3 import TD3CodeGenerator
from stdnum import iban as std_iban
from stdnum import lei as std_lei
from stdnum import luhn
from stdnum.us import ein as std_ein
from stdnum.us import rtn as std_rtn

ALNUM = string.ascii_uppercase + string.digits

# The python-stdnum modules that check each country's personal number in custos-ids.
NATIONAL = {
    "AR": ["ar.dni", "ar.cuit"], "AU": ["au.tfn"], "BG": ["bg.egn"], "BR": ["br.cpf"],
    "CA": ["ca.sin"], "CL": ["cl.rut"], "CN": ["cn.ric"], "CO": ["co.nit"], "CZ": ["cz.rc"],
    "DE": ["de.idnr"], "DK": ["dk.cpr"], "ES": ["es.dni", "es.nie"], "FI": ["fi.hetu"],
    "FR": ["fr.nir"], "ID": ["id.nik"], "IL": ["il.idnr"], "IN": ["in_.aadhaar"],
    "IT": ["it.codicefiscale"], "JP": ["jp.in_"], "KR": ["kr.rrn"], "MX": ["mx.curp"],
    "MY": ["my.nric"], "NL": ["nl.bsn"], "NO": ["no.fodselsnummer"], "NZ": ["nz.ird"],
    "PK": ["pk.cnic"], "PL": ["pl.pesel"], "RO": ["ro.cnp"], "RU": ["ru.inn"],
    "SE": ["se.personnummer"], "TH": ["th.pin"], "TR": ["tr.tckimlik"], "UA": ["ua.rntrc"],
    "US": ["us.ssn"], "ZA": ["za.idnr"],
}


def mutations(rng, v, n):
    """Invalid-looking variants of v: substitutions, transpositions, truncations, insertions."""
    out = []
    for _ in range(n):
        if not v:
            break
        op = rng.randrange(4)
        i = rng.randrange(len(v))
        if op == 0:
            pool = string.digits if v[i].isdigit() else (ALNUM if v[i].isalnum() else v[i])
            out.append(v[:i] + rng.choice(pool) + v[i + 1:])
        elif op == 1 and len(v) > 1:
            i = min(i, len(v) - 2)
            out.append(v[:i] + v[i + 1] + v[i] + v[i + 2:])
        elif op == 2:
            out.append(v[:-1 - rng.randrange(min(3, len(v)))])
        else:
            out.append(v[:i] + rng.choice(string.digits) + v[i:])
    return out


def emit(kind, oracle, value, valid, normalized=None):
    print(json.dumps({"kind": kind, "value": value, "oracle": oracle, "valid": bool(valid),
                      "normalized": normalized}, ensure_ascii=False))


def judge(fn, v):
    try:
        return fn(v)
    except Exception:
        return None


# ---- IBAN and BIC -------------------------------------------------------------------------

def iban_from_spec(rng, cc, spec):
    bban = ""
    for count, cls in re.findall(r"(\d+)!([nace])", spec.bban_spec):
        pool = {"n": string.digits, "a": string.ascii_uppercase, "c": ALNUM, "e": " "}[cls]
        bban += "".join(rng.choice(pool) for _ in range(int(count)))
    digits = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return f"{cc}{98 - int(digits) % 97:02d}{bban}"


def ibans(rng, n):
    from schwifty import registry
    specs = []
    for cc in ALL_CC:
        try:
            specs.append((cc, registry.get_iban_spec(cc)))
        except Exception:
            continue
    values = []
    per = max(2, n // (2 * len(specs)))
    for cc, spec in specs:
        for _ in range(per):
            v = iban_from_spec(rng, cc, spec)
            values.append(v)
            values.extend(mutations(rng, v, 1))
    for v in values:
        s = judge(lambda x: schwifty.IBAN(x), v)
        emit("iban", "schwifty", v, s is not None, s.compact if s is not None else None)
        ok = judge(std_iban.validate, v)
        emit("iban", "python-stdnum", v, ok is not None, ok)


def bics(rng, n):
    for _ in range(n // 2):
        v = "".join(rng.choice(string.ascii_uppercase) for _ in range(4)) + rng.choice(ALL_CC)
        v += "".join(rng.choice(ALNUM) for _ in range(2))
        if rng.random() < 0.5:
            v += "".join(rng.choice(ALNUM) for _ in range(3))
        for x in [v] + mutations(rng, v, 1):
            b = judge(lambda y: schwifty.BIC(y), x)
            emit("bic", "schwifty", x, b is not None, b.compact if b is not None else None)


# ---- Cards, ABA, EIN, LEI -----------------------------------------------------------------

CARD_PREFIXES = [("4", 16), ("4", 13), ("51", 16), ("55", 16), ("2221", 16), ("2720", 16),
                 ("34", 15), ("37", 15), ("6011", 16), ("65", 16), ("3528", 16), ("3589", 19),
                 ("36", 14), ("62", 16), ("2200", 16)]


def cards(rng, n):
    for _ in range(n // 2):
        p, length = rng.choice(CARD_PREFIXES)
        body = p + "".join(rng.choice(string.digits) for _ in range(length - len(p) - 1))
        v = body + luhn.calc_check_digit(body)
        for x in [v] + mutations(rng, v, 1):
            ok = x.isdigit() and 12 <= len(x) <= 19 and luhn.is_valid(x)
            emit("card", "python-stdnum", x, ok)


def abas(rng, n):
    for _ in range(n // 2):
        prefix = rng.choice(["0", "1", "2", "3", "6", "7"]) + rng.choice(string.digits)
        body = prefix + "".join(rng.choice(string.digits) for _ in range(6))
        v = body + std_rtn.calc_check_digit(body)
        for x in [v] + mutations(rng, v, 1):
            ok = judge(std_rtn.validate, x)
            emit("aba", "python-stdnum", x, ok is not None, ok)


def eins(rng, n):
    for _ in range(n):
        x = f"{rng.randrange(100):02d}-{rng.randrange(10**7):07d}"
        ok = judge(std_ein.validate, x)
        emit("ein", "python-stdnum", x, ok is not None, ok[:2] + "-" + ok[2:] if ok else None)


def leis(rng, n):
    for _ in range(n // 2):
        body = "".join(rng.choice(ALNUM) for _ in range(18))
        digits = "".join(str(int(c, 36)) for c in body + "00")
        v = body + f"{98 - int(digits) % 97:02d}"
        for x in [v] + mutations(rng, v, 1):
            ok = judge(std_lei.validate, x)
            emit("lei", "python-stdnum", x, ok is not None, ok)


# ---- Phones -------------------------------------------------------------------------------

def phones(rng, n):
    values = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for t in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            ex = phonenumbers.example_number_for_type(region, t)
            if ex is not None:
                values.append(phonenumbers.format_number(ex, phonenumbers.PhoneNumberFormat.E164))
    examples = list(values)
    # More valid-shaped numbers: an example with its last digits redrawn.
    while len(values) < n // 2:
        v = rng.choice(examples)
        k = rng.randrange(1, 4)
        values.append(v[:-k] + "".join(rng.choice(string.digits) for _ in range(k)))
    for v in list(values):
        values.extend("+" + m for m in mutations(rng, v[1:], 1))
    for v in values:
        def ok(x):
            p = phonenumbers.parse(x, None)
            return phonenumbers.format_number(p, phonenumbers.PhoneNumberFormat.E164) if phonenumbers.is_valid_number(p) else None
        e = judge(ok, v)
        emit("phone", "phonenumbers", v, e is not None, e)


# ---- MRZ ----------------------------------------------------------------------------------

NATIONS = ["DEU", "FRA", "ESP", "ITA", "NLD", "GBR", "USA", "CAN", "BRA", "IND", "CHN", "JPN"]
NAMES = ["ERIKSSON", "MUSTERMANN", "GARCIA", "ROSSI", "DUPONT", "SMITH", "TANAKA", "SILVA"]
GIVEN = ["ANNA", "JOHN", "MARIA", "LUCA", "YUKI", "PEDRO", "ERIKA", "JEAN PAUL"]


def yymmdd(rng, lo, hi):
    d = datetime.date(lo, 1, 1) + datetime.timedelta(days=rng.randrange((datetime.date(hi, 1, 1) - datetime.date(lo, 1, 1)).days))
    return d.strftime("%y%m%d")


def mrzs(rng, n):
    kinds = [
        ("td3", TD3CodeGenerator, TD3CodeChecker, "P", 9),
        ("td2", TD2CodeGenerator, TD2CodeChecker, "I", 9),
        ("td1", TD1CodeGenerator, TD1CodeChecker, "I", 9),
        ("mrva", MRVACodeGenerator, MRVACodeChecker, "V", 9),
        ("mrvb", MRVBCodeGenerator, MRVBCodeChecker, "V", 9),
    ]
    for i in range(n // 2):
        name, gen, checker, doc, numlen = kinds[i % len(kinds)]
        nation = rng.choice(NATIONS)
        number = "".join(rng.choice(ALNUM) for _ in range(numlen))
        args = dict(document_type=doc, country_code=nation, surname=rng.choice(NAMES),
                    given_names=rng.choice(GIVEN), document_number=number, nationality=nation,
                    birth_date=yymmdd(rng, 1940, 2005), sex=rng.choice("MF"),
                    expiry_date=yymmdd(rng, 2020, 2035))
        try:
            code = str(gen(**args))
        except Exception:
            continue
        variants = [code]
        for _ in range(1):
            lines = code.split("\n")
            li = rng.randrange(len(lines))
            line = lines[li]
            j = rng.randrange(len(line))
            c = rng.choice(string.digits + string.ascii_uppercase + "<")
            lines[li] = line[:j] + c + line[j + 1:]
            variants.append("\n".join(lines))
        for v in variants:
            ok = judge(lambda x: bool(checker_for(x)(x)), v)
            emit("mrz", "mrz", v, bool(ok))


def checker_for(zone):
    """The checker for the zone's shape, as a reader would choose it: a mutation can turn a
    passport's P into a visa's V."""
    rows = zone.split("\n")
    visa = rows[0].startswith("V")
    return {(3, 30): TD1CodeChecker, (2, 36): MRVBCodeChecker if visa else TD2CodeChecker,
            (2, 44): MRVACodeChecker if visa else TD3CodeChecker}[(len(rows), len(rows[0]))]


# ---- National IDs -------------------------------------------------------------------------

def seeds(mod):
    """Valid examples from the module's own documentation."""
    out = []
    for m in re.finditer(r">>> (?:validate|compact)\('([^']+)'\)\n(?!Traceback)", mod.__doc__ or ""):
        if judge(mod.validate, m.group(1)):
            out.append(m.group(1))
    return out


FI_CENTURY = {"+": 1800, "-": 1900, "Y": 1900, "X": 1900, "W": 1900, "V": 1900, "U": 1900,
              "A": 2000, "B": 2000, "C": 2000, "D": 2000, "E": 2000, "F": 2000}


def born_in_future(mod, number):
    """A personal number whose embedded birth date is after today was never issued.

    python-stdnum accepts any calendar date; custos refuses birth dates in the future. The
    oracle applies that one rule on top of python-stdnum, so that the comparison is about
    everything else."""
    today = datetime.date.today()
    if hasattr(mod, "get_birth_date"):
        d = judge(mod.get_birth_date, number)
        return d is not None and d > today
    if mod.__name__ == "stdnum.fi.hetu":
        c = mod.compact(number)
        d = judge(lambda _: datetime.date(FI_CENTURY[c[6]] + int(c[4:6]), int(c[2:4]), int(c[:2])), c)
        return d is not None and d > today
    return False


def spellings(cc, v):
    """Other ways people write the same number, which python-stdnum reads too: a Finnish code
    in lower case; a Swedish personnummer without its separator, as ten digits or as twelve
    with the century."""
    if cc == "FI":
        return [v.lower()]
    if cc == "SE":
        bare = re.sub("[-+]", "", v)
        out = [bare]
        born = judge(importlib.import_module("stdnum.se.personnummer").get_birth_date, v)
        if born is not None and len(bare) == 10:
            out.append(f"{born.year // 100}{bare}")
        return out
    return []


def national(rng, n):
    for cc, names in NATIONAL.items():
        mods = [importlib.import_module("stdnum." + m) for m in names]
        def oracle(x):
            for m in mods:
                r = judge(m.validate, x)
                if r and not born_in_future(m, x):
                    return r
            return None
        base = [s for m in mods for s in seeds(m)]
        valid = list(dict.fromkeys(base))
        tries = 0
        while len(valid) < n // 4 and base and tries < n * 20:
            tries += 1
            s = rng.choice(base)
            c = oracle(s) or s
            chars = list(c)
            for _ in range(rng.randrange(1, 3)):
                i = rng.randrange(max(1, len(chars) - 1))
                if chars[i].isdigit():
                    chars[i] = rng.choice(string.digits)
            stem = "".join(chars[:-1])
            for last in string.digits + string.ascii_uppercase:
                cand = stem + last
                if oracle(cand):
                    valid.append(cand)
                    break
        values = []
        for v in valid:
            values.append(v)
            values.extend(mutations(rng, v, 1))
        # After the mutations, so that the generator's sequence (and every other kind's
        # values) stays as it was.
        values.extend(s for v in valid for s in spellings(cc, v))
        for v in values:
            r = oracle(v)
            emit(f"national-id:{cc}", "python-stdnum", v, r is not None, r)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-kind", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=13984)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    global ALL_CC
    import pycountry
    ALL_CC = sorted(c.alpha_2 for c in pycountry.countries)
    for f in (ibans, bics, cards, abas, eins, leis, phones, mrzs, national):
        f(rng, a.per_kind)


ALL_CC = []

if __name__ == "__main__":
    sys.exit(main())
