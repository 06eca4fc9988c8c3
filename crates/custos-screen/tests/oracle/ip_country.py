"""Reads IP addresses, one per line, on stdin; writes the country each has in the MaxMind DB
database named by argv[1] (the `country_code` field, or `country.iso_code`), or `-`."""
import sys

import maxminddb

with maxminddb.open_database(sys.argv[1], maxminddb.MODE_MEMORY) as db:
    out = []
    for line in sys.stdin:
        ip = line.strip()
        r = db.get(ip)
        code = None
        if isinstance(r, dict):
            code = r.get("country_code") or (r.get("country") or {}).get("iso_code")
        out.append(code.upper() if code else "-")
    sys.stdout.write("\n".join(out) + "\n")
