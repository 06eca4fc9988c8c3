"""Reads a custos TAXII 2.1 server as a peer does, with the OASIS reference client
(taxii2-client), and checks every object it gets with the OASIS validator (stix2-validator,
strict) and the OASIS library (stix2: the address's deterministic id).

usage: taxii_read.py URL PEER_KEY
Prints one JSON document: what was found, for the Rust test to check.
"""

import json
import sys

import stix2
from stix2validator import ValidationOptions, validate_instance
from taxii2client.v21 import Server, as_pages

url, key = sys.argv[1], sys.argv[2]
# HTTP Basic with the key as the password, as TAXII clients send credentials.
server = Server(url.rstrip("/") + "/taxii2/", user="peer", password=key)
root = server.api_roots[0]
out = {"title": server.title, "api_roots": [r.url for r in server.api_roots],
       "versions": root.versions, "collections": []}
for c in root.collections:
    objects, pages = [], 0
    for envelope in as_pages(c.get_objects, per_request=2):
        pages += 1
        objects.extend(envelope.get("objects", []))
    problems = []
    for o in objects:
        r = validate_instance(o, ValidationOptions(version="2.1", strict=True))
        problems += [f"{o['id']}: {e}" for e in r.errors]
        problems += [f"{o['id']}: warning {w}" for w in r.warnings]
        derive = {"ipv4-addr": stix2.IPv4Address, "domain-name": stix2.DomainName}.get(o["type"])
        if derive is not None:
            expected = derive(value=o["value"]).id
            if expected != o["id"]:
                problems.append(f"{o['id']}: stix2 derives {expected}")
    manifest = c.get_manifest()
    indicator = next((o for o in objects if o["type"] == "indicator"), None)
    one = c.get_object(indicator["id"]) if indicator else {}
    versions = c.object_versions(indicator["id"]) if indicator else {}
    incidents = c.get_objects(type="incident").get("objects", [])
    out["collections"].append({
        "id": c.id, "title": c.title, "can_read": c.can_read, "can_write": c.can_write,
        "types": sorted(o["type"] for o in objects), "pages": pages, "problems": problems,
        "manifest": len(manifest.get("objects", [])),
        "one": [o["id"] for o in one.get("objects", [])],
        "versions": versions.get("versions", []),
        "incident_extensions": [sorted(i.get("extensions", {})) for i in incidents],
        "patterns": [o["pattern"] for o in objects if o["type"] == "indicator"],
        "markings": sorted({m for o in objects for m in o.get("object_marking_refs", [])}),
    })
print(json.dumps(out))
