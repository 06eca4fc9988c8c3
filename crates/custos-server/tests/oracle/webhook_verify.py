"""Verifies webhook deliveries with the Standard Webhooks reference library (an independent
implementation of the signature scheme). Reads a JSON document from standard input:
{"secret": "whsec_...", "deliveries": [{"headers": {...}, "body": "..."}, ...]}; prints one
line per delivery, `ok <type>` or `bad <reason>`, and exits non-zero if any is bad."""

import json
import sys

from standardwebhooks.webhooks import Webhook

doc = json.load(sys.stdin)
wh = Webhook(doc["secret"])
bad = 0
for d in doc["deliveries"]:
    try:
        payload = wh.verify(d["body"], d["headers"])
        print(f"ok {payload['type']}")
    except Exception as e:  # noqa: BLE001 - any failure is a bad delivery
        bad += 1
        print(f"bad {type(e).__name__}: {e}")
sys.exit(1 if bad else 0)
