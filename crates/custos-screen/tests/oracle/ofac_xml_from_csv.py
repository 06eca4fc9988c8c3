"""Writes OFAC's SDN list in its two XML formats, `sdn.xml` and `sdn_advanced.xml`, from the
legacy CSV files (sdn.csv, add.csv, alt.csv, sdn_comments.csv) of the same list.

The XML importers are held against the CSV importer on the same records: this builds the XML
with the Python standard library, following OFAC's published layouts, independently of the
Rust code. Dates of birth, nationalities and identifiers, which the CSV keeps in the remarks,
become the elements and features the XML formats give them.

usage: ofac_xml_from_csv.py CSV_DIR OUT_DIR
"""
import csv
import os
import re
import sys
import xml.etree.ElementTree as ET

NULL = "-0-"
MONTHS = {m: i + 1 for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split())}


def field(s):
    s = (s or "").strip()
    return None if s in ("", NULL) else s


def rows(path, n):
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        for r in csv.reader(f):
            if len(r) == 1 and not r[0].strip().strip("\x1a"):
                continue
            if len(r) == n:
                yield r


def split_person(name):
    if ", " in name:
        last, first = name.split(", ", 1)
        return last, first
    return name, None


def remark_facts(text):
    """The facts the remarks hold, as (kind, value, country) triples."""
    out = []
    for clause in (c.strip() for c in text.split(";")):
        low = clause.lower()
        value = lambda p: clause[len(p):].strip().rstrip(".")
        if low.startswith("dob "):
            out.append(("dob", value("DOB "), None))
        elif low.startswith("nationality ") or low.startswith("citizen "):
            out.append(("nationality", clause.split(" ", 1)[1], None))
        elif low.startswith("passport ") or low.startswith("national id no. "):
            kind, rest = (("Passport", value("Passport ")) if low.startswith("passport ")
                          else ("National ID No.", value("National ID No. ")))
            number, country = rest, None
            if " (" in rest:
                number, country = rest.split(" (", 1)
                number, country = number.strip(), country.rstrip(")")
            if number:
                out.append((kind, number, country))
        elif low.startswith("email address "):
            out.append(("Email Address", value("Email address "), None))
        elif low.startswith("digital currency address - "):
            v = value("Digital Currency Address - ")
            if " " in v:
                chain, addr = v.split(" ", 1)
                out.append(("Digital Currency Address - " + chain, addr.strip(), None))
        elif low.startswith("phone "):
            out.append(("Phone Number", value("Phone "), None))
    return out


def load(d):
    entries = {}
    for r in rows(os.path.join(d, "sdn.csv"), 12):
        uid = field(r[0])
        if not uid or not field(r[1]):
            continue
        entries[uid] = {
            "uid": uid, "name": field(r[1]), "type": (field(r[2]) or "").lower(),
            "programs": [p for p in re.split(r"[\[\] ]+", field(r[3]) or "") if p],
            "flag": field(r[9]), "remarks": field(r[11]) or "",
            "akas": [], "addresses": [],
        }
    for r in rows(os.path.join(d, "sdn_comments.csv"), 2):
        e = entries.get(field(r[0]) or "")
        if e and field(r[1]):
            e["remarks"] = (e["remarks"] + " " + field(r[1])).strip()
    for r in rows(os.path.join(d, "add.csv"), 6):
        e = entries.get(field(r[0]) or "")
        if e and (field(r[2]) or field(r[3]) or field(r[4])):
            e["addresses"].append((field(r[2]), field(r[3]), field(r[4])))
    for r in rows(os.path.join(d, "alt.csv"), 5):
        e = entries.get(field(r[0]) or "")
        if e and field(r[3]):
            weak = "weak" in (field(r[4]) or "").lower()
            e["akas"].append(((field(r[2]) or "aka").lower(), field(r[3]), weak))
    return entries


def sub(parent, tag, text=None, **attrs):
    el = ET.SubElement(parent, tag, {k: str(v) for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def write_sdn_xml(entries, path):
    root = ET.Element("sdnList", {
        "xmlns": "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML"})
    info = sub(root, "publshInformation")
    sub(info, "Publish_Date", "11/24/2026")
    sub(info, "Record_Count", str(len(entries)))
    for e in entries.values():
        s = sub(root, "sdnEntry")
        sub(s, "uid", e["uid"])
        person = e["type"] == "individual"
        if person:
            last, first = split_person(e["name"])
            if first:
                sub(s, "firstName", first)
            sub(s, "lastName", last)
        else:
            sub(s, "lastName", e["name"])
        sub(s, "sdnType", {"individual": "Individual", "vessel": "Vessel",
                           "aircraft": "Aircraft"}.get(e["type"], "Entity"))
        if e["remarks"]:
            sub(s, "remarks", e["remarks"])
        pl = sub(s, "programList")
        for p in e["programs"]:
            sub(pl, "program", p)
        facts = remark_facts(e["remarks"])
        ids = [f for f in facts if f[0] not in ("dob", "nationality")]
        if ids:
            il = sub(s, "idList")
            for n, (kind, number, country) in enumerate(ids):
                i = sub(il, "id")
                sub(i, "uid", str(n + 1))
                sub(i, "idType", kind)
                sub(i, "idNumber", number)
                if country:
                    sub(i, "idCountry", country)
        if e["akas"]:
            al = sub(s, "akaList")
            for n, (typ, name, weak) in enumerate(e["akas"]):
                a = sub(al, "aka")
                sub(a, "uid", str(n + 1))
                sub(a, "type", {"fka": "f.k.a.", "nka": "n.k.a."}.get(typ, "a.k.a."))
                sub(a, "category", "weak" if weak else "strong")
                last, first = split_person(name) if person else (name, None)
                if first:
                    sub(a, "firstName", first)
                sub(a, "lastName", last)
        if e["addresses"]:
            adl = sub(s, "addressList")
            for n, (line, city, country) in enumerate(e["addresses"]):
                a = sub(adl, "address")
                sub(a, "uid", str(n + 1))
                if line:
                    sub(a, "address1", line)
                if city:
                    sub(a, "city", city)
                if country:
                    sub(a, "country", country)
        nats = [f for f in facts if f[0] == "nationality"]
        if nats:
            nl = sub(s, "nationalityList")
            for n, (_, c, _) in enumerate(nats):
                x = sub(nl, "nationality")
                sub(x, "uid", str(n + 1))
                sub(x, "country", c)
                sub(x, "mainEntry", "true" if n == 0 else "false")
        dobs = [f for f in facts if f[0] == "dob"]
        if dobs:
            dl = sub(s, "dateOfBirthList")
            for n, (_, d, _) in enumerate(dobs):
                x = sub(dl, "dateOfBirthItem")
                sub(x, "uid", str(n + 1))
                sub(x, "dateOfBirth", d)
                sub(x, "mainEntry", "true" if n == 0 else "false")
        if e["flag"]:
            v = sub(s, "vesselInfo")
            sub(v, "vesselFlag", e["flag"])
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def ymd(el, y, m=None, d=None):
    sub(el, "Year", str(y))
    if m:
        sub(el, "Month", str(m))
    if d:
        sub(el, "Day", str(d))


def date_period(parent, text):
    years = re.findall(r"\b(\d{4})\b", text)
    if not years:
        return False
    exact = re.search(r"\b(\d{1,2}) ([A-Za-z]{3})[a-z]* (\d{4})\b", text)
    month = re.search(r"\b([A-Za-z]{3})[a-z]* (\d{4})\b", text)
    if exact and exact.group(2).lower() in MONTHS:
        start = (exact.group(3), MONTHS[exact.group(2).lower()], int(exact.group(1)))
    elif month and month.group(1).lower() in MONTHS:
        start = (month.group(2), MONTHS[month.group(1).lower()], None)
    else:
        start = (years[0], None, None)
    end = (years[-1], None, None) if years[-1] != start[0] else start
    fv = sub(parent, "FeatureVersion", ID="1", ReliabilityID="1")
    dp = sub(fv, "DatePeriod", CalendarTypeID="1")
    s = sub(dp, "Start", Approximate="true" if "circa" in text.lower() else "false")
    ymd(sub(s, "From"), *start)
    ymd(sub(s, "To"), *start)
    en = sub(dp, "End", Approximate="false")
    ymd(sub(en, "From"), *end)
    ymd(sub(en, "To"), *end)
    return True


class Ids:
    def __init__(self, start):
        self.n = start

    def __call__(self):
        self.n += 1
        return str(self.n)


def write_advanced(entries, path):
    root = ET.Element("Sanctions", {
        "xmlns": "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML"})
    sub(root, "DateOfIssue")
    refs = sub(root, "ReferenceValueSets")

    def ref_set(tag, item, names, start, **extra):
        el = sub(refs, tag)
        table = {}
        for k, name in enumerate(names):
            attrs = {"ID": str(start + k)}
            attrs.update({a: v(name) for a, v in extra.items()})
            sub(el, item, name, **attrs)
            table[name] = str(start + k)
        return table

    alias_t = ref_set("AliasTypeValues", "AliasType", ["A.K.A.", "F.K.A.", "N.K.A.", "Name"], 1400)
    part_t = ref_set("NamePartTypeValues", "NamePartType",
                     ["Last Name", "First Name", "Middle Name", "Maiden Name", "Aircraft Name",
                      "Entity Name", "Vessel Name", "Nickname"], 1520)
    party_t = ref_set("PartyTypeValues", "PartyType", ["Individual", "Entity", "Location",
                                                       "Transport", "Other"], 1)
    sub_el = sub(refs, "PartySubTypeValues")
    sub_t = {}
    for k, (name, party) in enumerate([("Vessel", "Transport"), ("Aircraft", "Transport"),
                                       ("Unknown", "Entity"), ("Unknown", "Individual")]):
        sub(sub_el, "PartySubType", name, ID=str(k + 1), PartyTypeID=party_t[party])
        sub_t[(name, party)] = str(k + 1)
    loc_t = ref_set("LocPartTypeValues", "LocPartType",
                    ["REGION", "ADDRESS1", "ADDRESS2", "ADDRESS3", "CITY", "STATE/PROVINCE",
                     "POSTAL CODE"], 1450)
    sanc_t = ref_set("SanctionsTypeValues", "SanctionsType", ["Program", "Block"], 1)
    feature_names = ["Vessel Flag", "Birthdate", "Place of Birth", "Nationality Country",
                     "Citizenship Country", "Location", "Email Address", "Phone Number"]
    chains = set()
    for e in entries.values():
        for kind, _, _ in remark_facts(e["remarks"]):
            if kind.startswith("Digital Currency Address - "):
                chains.add(kind)
    feature_t = ref_set("FeatureTypeValues", "FeatureType", feature_names + sorted(chains), 3)
    doc_t = ref_set("IDRegDocTypeValues", "IDRegDocType", ["Passport", "National ID No."], 1570)
    country_names = set()
    for e in entries.values():
        country_names.update(c for _, _, c in e["addresses"] if c)
        if e["flag"]:
            country_names.add(e["flag"])
        for kind, v, c in remark_facts(e["remarks"]):
            if kind == "nationality":
                country_names.add(v)
            if c:
                country_names.add(c)
    country_t = ref_set("CountryValues", "Country", sorted(country_names), 11000)

    locations = sub(root, "Locations")
    docs = sub(root, "IDRegDocuments")
    parties = sub(root, "DistinctParties")
    sanctions = sub(root, "SanctionsEntries")
    new_id = Ids(100000)

    def location(line=None, city=None, country=None):
        lid = new_id()
        loc = sub(locations, "Location", ID=lid)
        if country:
            sub(loc, "LocationCountry", CountryID=country_t[country])
        for kind, v in (("ADDRESS1", line), ("CITY", city)):
            if v:
                p = sub(loc, "LocationPart", LocPartTypeID=loc_t[kind])
                pv = sub(p, "LocationPartValue", Primary="true", LocPartValueTypeID="1")
                sub(pv, "Value", v)
        return lid

    for e in entries.values():
        person = e["type"] == "individual"
        party_kind = {"vessel": ("Vessel", "Transport"), "aircraft": ("Aircraft", "Transport")}.get(
            e["type"], ("Unknown", "Individual") if person else ("Unknown", "Entity"))
        name_part = {"vessel": "Vessel Name", "aircraft": "Aircraft Name"}.get(e["type"], "Entity Name")
        dp = sub(parties, "DistinctParty", FixedRef=e["uid"])
        profile = sub(dp, "Profile", ID=e["uid"], PartySubTypeID=sub_t[party_kind])
        identity_id = new_id()
        ident = ET.SubElement(profile, "Identity", {"ID": identity_id, "FixedRef": e["uid"],
                                                     "Primary": "true", "False": "false"})
        groups = []

        def alias(name, type_name, primary, weak):
            a = sub(ident, "Alias", FixedRef=e["uid"], AliasTypeID=alias_t[type_name],
                    Primary="true" if primary else "false", LowQuality="true" if weak else "false")
            dn = sub(a, "DocumentedName", ID=new_id(), FixedRef=e["uid"], DocNameStatusID="1")
            if person:
                last, first = split_person(name)
                parts = [(last, "Last Name")] + ([(first, "First Name")] if first else [])
            else:
                parts = [(name, name_part)]
            for value, kind in parts:
                gid = new_id()
                groups.append((gid, part_t[kind]))
                dnp = sub(dn, "DocumentedNamePart")
                sub(dnp, "NamePartValue", value, NamePartGroupID=gid, ScriptID="215",
                    ScriptStatusID="1", Acronym="false")

        alias(e["name"], "Name", True, False)
        for typ, name, weak in e["akas"]:
            alias(name, {"fka": "F.K.A.", "nka": "N.K.A."}.get(typ, "A.K.A."), False, weak)
        npg = sub(ident, "NamePartGroups")
        for gid, kind in groups:
            m = sub(npg, "MasterNamePartGroup")
            sub(m, "NamePartGroup", ID=gid, NamePartTypeID=kind)

        def feature(type_name):
            f = sub(profile, "Feature", ID=new_id(), FeatureTypeID=feature_t[type_name])
            return f

        def located(type_name, lid):
            f = feature(type_name)
            fv = sub(f, "FeatureVersion", ID=new_id(), ReliabilityID="1")
            sub(fv, "VersionLocation", LocationID=lid)
            sub(f, "IdentityReference", IdentityID=identity_id, IdentityFeatureLinkTypeID="1")

        for line, city, country in e["addresses"]:
            located("Location", location(line, city, country))
        if e["flag"]:
            located("Vessel Flag", location(country=e["flag"]))
        for kind, value, country in remark_facts(e["remarks"]):
            if kind == "dob":
                f = feature("Birthdate")
                if not date_period(f, value):
                    profile.remove(f)
            elif kind == "nationality":
                located("Nationality Country", location(country=value))
            elif kind in doc_t:
                attrs = {"ID": new_id(), "IDRegDocTypeID": doc_t[kind], "IdentityID": identity_id,
                         "ValidityID": "1"}
                if country:
                    attrs["IssuedBy-CountryID"] = country_t[country]
                d = ET.SubElement(docs, "IDRegDocument", attrs)
                sub(d, "Comment")
                sub(d, "IDRegistrationNo", value)
            else:
                f = feature(kind)
                fv = sub(f, "FeatureVersion", ID=new_id(), ReliabilityID="1")
                sub(fv, "VersionDetail", value, DetailTypeID="1432")
        se = sub(sanctions, "SanctionsEntry", ID=new_id(), ProfileID=e["uid"], ListID="1550")
        for p in e["programs"]:
            m = sub(se, "SanctionsMeasure", ID=new_id(), SanctionsTypeID=sanc_t["Program"])
            sub(m, "Comment", p)
        m = sub(se, "SanctionsMeasure", ID=new_id(), SanctionsTypeID=sanc_t["Block"])
        sub(m, "Comment")
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def main():
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    entries = load(src)
    write_sdn_xml(entries, os.path.join(out, "sdn.xml"))
    write_advanced(entries, os.path.join(out, "sdn_advanced.xml"))
    print(len(entries))


if __name__ == "__main__":
    main()
