"""A peer's TAXII 2.1 server: the OASIS reference server (medallion), started on loopback
with one collection, filled through its own API with the objects of a bundle.

usage: medallion_peer.py BUNDLE.json
Prints one JSON line (the API root, the collection, the credentials) once the objects are in,
then serves until its standard input closes.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from taxii2client.v21 import Collection

COLLECTION = "365fed99-08fa-fdcd-a1b3-fb247eb41d01"
USER, PASSWORD = "custos-peer", "medallion-secret"

bundle = json.load(open(sys.argv[1]))
work = tempfile.mkdtemp()
data = {
    "/discovery": {
        "title": "A peer's TAXII server", "default": "http://127.0.0.1/trustgroup1/",
        "api_roots": ["http://127.0.0.1/trustgroup1/"],
    },
    "trustgroup1": {
        "information": {
            "title": "Trust group 1", "versions": ["application/taxii+json;version=2.1"],
            "max_content_length": 9765625,
        },
        "status": [],
        "collections": [{
            "id": COLLECTION, "title": "Abuse indicators", "can_read": True, "can_write": True,
            "media_types": ["application/stix+json;version=2.1"], "objects": [], "manifest": [],
        }],
    },
}
with open(os.path.join(work, "data.json"), "w") as f:
    json.dump(data, f)
config = {
    "backend": {"module": "medallion.backends.memory_backend", "module_class": "MemoryBackend",
                "filename": os.path.join(work, "data.json")},
    "users": {USER: PASSWORD},
    # Small pages, so that a pull follows `next`.
    "taxii": {"max_page_size": 2},
}
with open(os.path.join(work, "config.json"), "w") as f:
    json.dump(config, f)
s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
server = subprocess.Popen(
    ["medallion", "--host", "127.0.0.1", "--port", str(port), os.path.join(work, "config.json")],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
)
root = f"http://127.0.0.1:{port}/trustgroup1/"
try:
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/taxii2/", timeout=1)
        except urllib.error.HTTPError:
            break  # it answers (401 without credentials)
        except OSError:
            time.sleep(0.1)
    c = Collection(f"{root}collections/{COLLECTION}/", user=USER, password=PASSWORD)
    status = c.add_objects(bundle)
    assert status.status == "complete" and status.failure_count == 0, status.failures
    print(json.dumps({"api_root": root, "collection": COLLECTION, "user": USER,
                      "password": PASSWORD, "added": status.success_count}), flush=True)
    sys.stdin.read()
finally:
    server.terminate()
    server.wait()
