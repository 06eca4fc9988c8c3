#!/usr/bin/env python3
"""An independent check of a custos records package, written from the standards, not from
custos's code: RFC 8493 (BagIt, through the Library of Congress's `bagit` library), RFC 6962
and RFC 9162 section 2.1.3.2 (Merkle tree hashes and inclusion proofs), c2sp.org/tlog-proof,
c2sp.org/tlog-checkpoint and c2sp.org/signed-note (the checkpoint and its Ed25519 signature),
and the leaf encoding the package's own data/access/ENCODING.md specifies.

Usage: verify_package.py BAG_DIR. Prints `ok FILES EVENTS` and exits 0 when everything holds;
prints what failed and exits 1 otherwise.
"""

import base64
import csv
import datetime
import hashlib
import ipaddress
import json
import os
import struct
import sys

import bagit
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ACTIONS = ["login", "logout", "api_call", "console", "ssh", "admin_change", "key_change",
           "billing_change", "other"]


def fail(msg):
    print(msg)
    sys.exit(1)


def sha256(b):
    return hashlib.sha256(b).digest()


def encode(row):
    """The leaf encoding of ENCODING.md, from a CSV row (a dict)."""
    optional = [row["port"], row["actor"], row["user_agent"], row["request_id"],
                row.get("ssh_key_fingerprint") or ""]
    present = 0
    for bit, v in enumerate(optional):
        if v != "":
            present |= 1 << bit
    out = bytes([1, present, ACTIONS.index(row["action"])])
    t = row["time"]
    # 2027-01-02T03:04:05.123456789Z: seconds since the epoch and nanoseconds.
    assert t.endswith("Z") and "." in t, t
    whole, frac = t[:-1].split(".")
    assert len(frac) == 9, t
    dt = datetime.datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc)
    secs = int((dt - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc))
               .total_seconds())
    out += struct.pack(">qI", secs, int(frac))
    ip = ipaddress.ip_address(row["ip"])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    out += bytes([ip.version]) + ip.packed
    if row["port"] != "":
        out += struct.pack(">H", int(row["port"]))
    for v in [row["account_id"], row["source"]] + [v for v in optional[1:4] if v != ""]:
        b = v.encode("utf-8")
        out += struct.pack(">H", len(b)) + b
    if optional[4] != "":
        # SHA256:<unpadded base64>: its 32 bytes.
        b64 = optional[4].removeprefix("SHA256:")
        key = base64.b64decode(b64 + "=" * (-len(b64) % 4))
        assert len(key) == 32, optional[4]
        out += key
    return out


def root_from_path(index, size, leaf, path):
    """RFC 9162, section 2.1.3.2."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = sha256(b"\x01" + p + r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = sha256(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def check_signature(checkpoint, vkey):
    """c2sp.org/signed-note with an Ed25519 key (type 0x01)."""
    # The key's base64 may hold `+` of its own: the name and the id do not.
    name, key_id, key = vkey.strip().split("+", 2)
    raw = base64.b64decode(key)
    if raw[0] != 1 or len(raw) != 33:
        fail("ledger.vkey is not an Ed25519 verifier key")
    if sha256(name.encode() + b"\n" + raw)[:4].hex() != key_id:
        fail("ledger.vkey's key id is not its key's")
    body, _, sigs = checkpoint.partition(b"\n\n")
    body += b"\n"
    pub = Ed25519PublicKey.from_public_bytes(raw[1:])
    for line in sigs.decode("utf-8").splitlines():
        if not line.startswith("\u2014 "):
            continue
        who, sig = line[2:].rsplit(" ", 1)
        sig = base64.b64decode(sig)
        if who != name or sig[:4].hex() != key_id:
            continue
        try:
            pub.verify(sig[4:], body)
            return body.decode("utf-8").splitlines()
        except InvalidSignature:
            fail("the checkpoint's signature does not verify")
    fail("the checkpoint carries no signature by ledger.vkey's key")


def main():
    bag_dir = sys.argv[1]
    bag = bagit.Bag(bag_dir)
    try:
        bag.validate()
    except bagit.BagValidationError as e:
        fail(f"bagit: {e}")
    access = os.path.join(bag_dir, "data", "access")
    events = 0
    if os.path.isdir(access) and not os.path.exists(os.path.join(access, "checkpoint")):
        # The log had no event when the package was cut: neither may the package.
        with open(os.path.join(access, "events.csv"), newline="", encoding="utf-8") as f:
            if list(csv.DictReader(f)):
                fail("events without a checkpoint to prove them against")
    elif os.path.isdir(access):
        with open(os.path.join(access, "checkpoint"), "rb") as f:
            checkpoint = f.read()
        with open(os.path.join(access, "ledger.vkey")) as f:
            vkey = f.read()
        origin, size, root = check_signature(checkpoint, vkey)[:3]
        size, root = int(size), base64.b64decode(root)
        with open(os.path.join(access, "events.csv"), newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        with open(os.path.join(access, "events.ndjson"), encoding="utf-8") as f:
            lines = [json.loads(l) for l in f if l.strip()]
        if len(lines) != len(rows):
            fail("events.ndjson and events.csv hold different numbers of events")
        for row, line in zip(rows, lines):
            index = int(row["index"])
            leaf = sha256(b"\x00" + encode(row))
            if base64.b64encode(leaf).decode() != row["leaf_hash"]:
                fail(f"entry {index}: the row does not give its leaf hash")
            for k, v in row.items():
                want = line.get(k, "")
                if str(want) != v:
                    fail(f"entry {index}: events.ndjson's {k} is not the CSV's")
            with open(os.path.join(access, "proofs", f"{index}.tlog-proof"), "rb") as f:
                proof = f.read()
            head, _, cp = proof.partition(b"\n\n")
            head = head.decode("utf-8").split("\n")
            if head[0] != "c2sp.org/tlog-proof@v1":
                fail(f"entry {index}: not a tlog-proof")
            rest = head[1:]
            if rest and rest[0].startswith("extra "):
                rest = rest[1:]
            if rest[0] != f"index {index}":
                fail(f"entry {index}: the proof is of another index")
            if cp != checkpoint:
                fail(f"entry {index}: the proof carries another checkpoint")
            path = [base64.b64decode(h) for h in rest[1:]]
            if root_from_path(index, size, leaf, path) != root:
                fail(f"entry {index}: the inclusion proof does not lead to the root")
            events += 1
    files = sum(1 for _ in bag.payload_files())
    print(f"ok {files} {events}")


if __name__ == "__main__":
    main()
