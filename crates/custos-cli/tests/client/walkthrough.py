#!/usr/bin/env python3
"""The README's walk-through ("Opening an account, with curl", steps 1-4), run by a client that
openapi-python-client (pinned in ../requirements.txt) generates from the server's OpenAPI document.

    python3 walkthrough.py URL KEY OUTDIR [--openapi FILE]

URL     the server, e.g. http://127.0.0.1:8080 (or $CUSTOS_URL)
KEY     an admin key: the walk-through reads personal data back and the audit trail (or $CUSTOS_KEY)
OUTDIR  a scratch directory: the document is written to OUTDIR/openapi.json, the generator's
        configuration to OUTDIR/openapi-python-client.yaml and the client (package
        `custos_client`) to OUTDIR/client/custos_client (or $CUSTOS_CLIENT_DIR)
--openapi FILE  generate from this document instead of URL/openapi.json (the calls still go to
        URL): to try a corrected document before the server serves it. The tests never pass it.

It fetches URL/openapi.json, generates the client (`--meta none`, no post hooks: formatting the
generated code changes nothing it does), imports it and walks through with its
`AuthenticatedClient`, api modules and models: the customer (with an `Idempotency-Key`, and its
replay), the account (`pending`), the email result, the passport, the document result, the
account again (`approve`, `active`), the record read with a purpose (holds "Lena Fischer"), its
entry in the audit trail, and the customer found by its `external_ref`.

Exit status 0 with a short summary on success. 1 on any failure, with a message saying what went
wrong: an unexpected status (with the problem document), a failed expectation, or a MISMATCH
between the document and the server (a generated model that rejects a real answer: the
operation, the model and line that rejected it, and the body the server sent), or a document the
generator cannot read. 2 on bad usage. A field the server sends that the document does not
declare is a mismatch too (the typed client cannot see it).
"""

import argparse
import importlib
import json
import os
import subprocess
import sys
import time
import traceback
import urllib.request
import uuid
from datetime import date
from pathlib import Path

PACKAGE = "custos_client"
PURPOSE = "case F-118 fraud review"


class Failure(Exception):
    """A failed step: the message says what and why."""


def fail(msg):
    raise Failure(msg)


# ---------------------------------------------------------------------------------------------
# The document and the generated client


def fetch_document(url, dest):
    req = urllib.request.Request(f"{url}/openapi.json", headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            body = r.read()
    except Exception as e:  # noqa: BLE001 - any failure to fetch ends the run
        fail(f"GET {url}/openapi.json failed: {e}")
    try:
        json.loads(body)
    except ValueError as e:
        fail(f"GET {url}/openapi.json is not JSON: {e}")
    dest.write_bytes(body)


def boolean_subschemas(doc):
    """JSON pointers to boolean schemas (`items: false`, `additionalProperties: false` aside,
    which the generator reads): what openapi-python-client 0.29.1 cannot parse."""
    keys = {"items", "not", "contains", "propertyNames", "unevaluatedItems", "if", "then", "else"}
    found = []

    def walk(x, ptr):
        if isinstance(x, dict):
            for k, v in x.items():
                p = f"{ptr}/{k.replace('~', '~0').replace('/', '~1')}"
                if isinstance(v, bool) and k in keys:
                    found.append(f"{p} = {json.dumps(v)}")
                walk(v, p)
        elif isinstance(x, list):
            for i, v in enumerate(x):
                walk(v, f"{ptr}/{i}")

    walk(doc, "#")
    return found


def generate(doc_path, outdir):
    config = outdir / "openapi-python-client.yaml"
    config.write_text(f"package_name_override: {PACKAGE}\npost_hooks: []\n")
    package_dir = outdir / "client" / PACKAGE
    cmd = [
        sys.executable, "-m", "openapi_python_client", "generate",
        "--path", str(doc_path),
        "--output-path", str(package_dir),
        "--meta", "none",
        "--config", str(config),
        "--overwrite",
    ]
    started = time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=outdir)
    took = time.monotonic() - started
    log = (out.stdout + out.stderr).strip()
    if out.returncode != 0 or not (package_dir / "__init__.py").exists():
        msg = [
            f"openapi-python-client could not generate a client from the document "
            f"(exit {out.returncode}):",
            log,
        ]
        bools = boolean_subschemas(json.loads(doc_path.read_text()))
        if bools:
            msg.append(
                "The document holds boolean subschemas, which openapi-python-client 0.29.1 "
                "does not accept (its Schema model takes an object or a $ref there; "
                "see openapi-generators/openapi-python-client#965 for tuples):"
            )
            msg += [f"  {b}" for b in bools]
        fail("\n".join(msg))
    # What the generator skipped: endpoints it cannot express (e.g. text/markdown bodies).
    # Each warning is its line and, after a blank one, the reason.
    lines = [line.strip() for line in log.splitlines()]
    warnings = []
    for i, line in enumerate(lines):
        if line.startswith("WARNING"):
            reason = next((x for x in lines[i + 1:] if x), "")
            warnings.append(f"{line.removeprefix('WARNING ')} {reason}".strip())
    return package_dir.parent, took, warnings


# ---------------------------------------------------------------------------------------------
# Calling through the generated client, with exact reports of what goes wrong


class Caller:
    def __init__(self, client, package, problem_cls):
        self.client = client
        self.package = package
        self.problem_cls = problem_cls
        self.last = None  # the last httpx.Response, kept by an event hook
        self.undeclared = []

    def hook(self, response):
        response.read()
        self.last = response

    def call(self, op, fn, expect, **kwargs):
        """`fn.sync_detailed(client, **kwargs)`; the parsed answer when its status is `expect`."""
        self.last = None
        try:
            resp = fn.sync_detailed(client=self.client, **kwargs)
        except Exception as e:  # noqa: BLE001 - a model rejecting the answer, or the transport
            raw = self.last
            if raw is None:
                fail(f"{op}: the request failed before an answer: {type(e).__name__}: {e}")
            fail(self.mismatch(op, e, raw))
        parsed = resp.parsed
        if int(resp.status_code) != expect:
            detail = ""
            if isinstance(parsed, self.problem_cls):
                detail = f" {parsed.type_}: {parsed.detail}"
                if parsed.field not in (None,) and not _unset(parsed.field):
                    detail += f" (field {parsed.field})"
            fail(f"{op}: expected {expect}, got {int(resp.status_code)}.{detail}\n"
                 f"  body: {resp.content[:2000].decode('utf-8', 'replace')}")
        if isinstance(parsed, self.problem_cls):
            fail(f"{op}: a {expect} answer was parsed as a Problem: "
                 f"{resp.content[:2000].decode('utf-8', 'replace')}")
        self.check_declared(op, parsed, "$")
        return resp

    def mismatch(self, op, exc, raw):
        """Which generated model rejected which part of the answer."""
        where = ""
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            path = Path(frame.filename)
            if self.package in path.parents:
                rel = path.relative_to(self.package)
                where = f"\n  rejected in {PACKAGE}/{rel}:{frame.lineno} ({frame.name}): {frame.line}"
                break
        if isinstance(exc, KeyError):
            what = f"a required property {exc} is missing from the answer"
        else:
            what = f"{type(exc).__name__}: {exc}"
        return (
            f"MISMATCH {op}: the generated model rejects the server's answer: {what}{where}\n"
            f"  status {raw.status_code}, content-type {raw.headers.get('content-type')}\n"
            f"  body: {raw.content[:4000].decode('utf-8', 'replace')}"
        )

    def check_declared(self, op, value, path):
        """Properties the server sent that the document does not declare land in a model's
        `additional_properties`; free-form objects (no declared properties) are skipped."""
        import attrs

        if attrs.has(type(value)):
            declared = [f.name for f in attrs.fields(type(value)) if f.name != "additional_properties"]
            extra = getattr(value, "additional_properties", None)
            if declared and extra:
                self.undeclared.append(
                    f"{op}: {path} ({type(value).__name__}) has properties the document does not "
                    f"declare: {sorted(extra)}"
                )
            for name in declared:
                self.check_declared(op, getattr(value, name), f"{path}.{name}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self.check_declared(op, v, f"{path}[{i}]")


def _unset(v):
    return type(v).__name__ == "Unset"


def expect_eq(what, got, want):
    if got != want:
        fail(f"{what}: expected {want!r}, got {got!r}")


def find_value(tree, want, path="$"):
    """The path of the first string equal to `want` in a JSON tree, or None."""
    if isinstance(tree, dict):
        for k, v in tree.items():
            p = find_value(v, want, f"{path}.{k}")
            if p:
                return p
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            p = find_value(v, want, f"{path}[{i}]")
            if p:
                return p
    elif tree == want:
        return path
    return None


# ---------------------------------------------------------------------------------------------
# The walk-through


def walkthrough(url, key, client_root):
    import httpx

    sys.path.insert(0, str(client_root))
    pkg = importlib.import_module(PACKAGE)
    package_dir = Path(pkg.__file__).parent.resolve()

    def mod(name):
        return importlib.import_module(f"{PACKAGE}.{name}")

    m = mod("models")
    create_customer = mod("api.customers.create_customer")
    list_customers = mod("api.customers.list_customers")
    add_document = mod("api.customers.add_document")
    record = mod("api.customers.record")
    open_account = mod("api.accounts.open_")
    get_account = mod("api.accounts.get_account")
    verification_result = mod("api.verification.verification_result")
    audit = mod("api.admin.audit")

    caller = Caller(None, package_dir, m.Problem)
    client = pkg.AuthenticatedClient(
        base_url=url,
        token=key,
        timeout=httpx.Timeout(30.0),
        raise_on_unexpected_status=True,
        httpx_args={"event_hooks": {"response": [caller.hook]}},
    )
    caller.client = client
    steps = []

    # 1. The customer, under an Idempotency-Key; its external_ref finds it again below. Both are
    #    unique to the run, so that the script can run twice against one server.
    ref = f"signup-7731-{uuid.uuid4().hex[:8]}"
    body = m.CreateCustomer(
        individual=m.Individual(
            full_name="Lena Fischer",
            citizenships=["DE"],
            residence=m.Address(line1="Unter den Linden 5", city="Berlin", country="DE"),
        ),
        external_ref=ref,
    )
    op = "POST /v1/customers (create_customer)"
    first = caller.call(op, create_customer, 201, body=body, idempotency_key=ref)
    c = first.parsed
    cid = c.customer_id
    expect_eq(f"{op}: verification_required", c.verification_required, True)
    expect_eq(f"{op}: external_ref", c.external_ref, ref)
    expect_eq(f"{op}: number of subjects", len(c.subjects), 1)
    sub = c.subjects[0]
    expect_eq(f"{op}: subjects[0].us_person", sub.us_person, False)
    expect_eq(f"{op}: subjects[0].basis", sub.basis, m.UsPersonBasis.FOREIGN)
    expect_eq(f"{op}: subjects[0].verification_state", sub.verification_state, m.VerificationState.PENDING)
    expect_eq(f"{op}: subjects[0].missing_methods", list(sub.missing_methods), [m.Method.EMAIL])
    expect_eq(f"{op}: subjects[0].any_of", sorted(sub.any_of),
              sorted([m.Method.DOCUMENT, m.Method.PAYMENT_INSTRUMENT]))
    steps.append(f"customer {cid} (external_ref {ref}): foreign, pending, missing email, "
                 f"any of document/payment_instrument")

    op = "POST /v1/customers (create_customer, replayed)"
    again = caller.call(op, create_customer, 201, body=body, idempotency_key=ref)
    if again.content != first.content:
        fail(f"{op}: the replay under Idempotency-Key {ref} is not the first answer byte for byte:\n"
             f"  first:  {first.content[:1000]!r}\n  replay: {again.content[:1000]!r}")
    steps.append("replay under the same Idempotency-Key: the first answer, byte for byte")

    # 2. The account: pending at once.
    op = "POST /v1/accounts (open)"
    a = caller.call(op, open_account, 201, body=m.OpenAccount(
        customer_id=cid, kind=m.AccountKind.DIRECT, offering=m.Offering.PAID)).parsed
    aid = a.account_id
    expect_eq(f"{op}: decision", a.decision, m.Decision.PENDING)
    steps.append(f"account {aid}: decision {a.decision.value}, status {a.account_status.value}, "
                 f"reasons {[r.code.value for r in a.reasons]}")

    # 3. The verification results, and the passport the documentary one rests on.
    op = "POST /v1/customers/{id}/verification-results (verification_result: email)"
    caller.call(op, verification_result, 200, id=cid, body=m.VerificationResultInput(
        method=m.Method.EMAIL, outcome=m.MethodOutcome.PASS))
    steps.append("email verification: pass")

    op = "POST /v1/customers/{id}/documents (add_document)"
    caller.call(op, add_document, 201, id=cid, body=m.AddDocument(
        kind=m.DocumentKind.PASSPORT, issuing_country="DE", number="C01X00T47",
        expires_on=date(2031, 8, 14)))
    steps.append("passport filed")

    op = "POST /v1/customers/{id}/verification-results (verification_result: document)"
    caller.call(op, verification_result, 200, id=cid, body=m.VerificationResultInput(
        method=m.Method.DOCUMENT, outcome=m.MethodOutcome.PASS, provider="acme-kyc",
        reference="chk_7Hq2"))
    steps.append("document verification: pass")

    op = "GET /v1/accounts/{id} (get_account)"
    a = caller.call(op, get_account, 200, id=aid).parsed
    expect_eq(f"{op}: decision", a.decision, m.Decision.APPROVE)
    expect_eq(f"{op}: account_status", a.account_status, m.AccountStatus.ACTIVE)
    steps.append(f"account {aid}: decision approve, status active, "
                 f"reasons {[r.code.value for r in a.reasons]}")

    # 4. The record, read with a purpose, and the audit entry of that read.
    op = "GET /v1/customers/{id}/record (record)"
    r = caller.call(op, record, 200, id=cid, x_custos_purpose=PURPOSE).parsed
    where = find_value(r.to_dict(), "Lena Fischer")
    if where is None:
        fail(f"{op}: the record does not hold the name 'Lena Fischer': {json.dumps(r.to_dict())[:2000]}")
    steps.append(f"record read for {PURPOSE!r}: 'Lena Fischer' at {where}")

    op = "GET /v1/audit (audit)"
    entries, cursor, pages = [], None, 0
    while True:
        kwargs = {"limit": 1000}
        if cursor:
            kwargs["starting_after"] = cursor
        page = caller.call(op, audit, 200, **kwargs).parsed
        pages += 1
        entries += [e.to_dict() for e in page.data]
        cursor = None if _unset(page.next_cursor) else page.next_cursor
        if not page.has_more:
            break
        if not cursor:
            fail(f"{op}: has_more without a next_cursor (page {pages})")
        if pages > 1000:
            fail(f"{op}: more than 1000 pages")

    def is_the_read(e):
        entry = e.get("entry", e)
        return (entry.get("action") == "read_customer" and entry.get("record") == cid
                and entry.get("purpose") == PURPOSE)

    hits = [e for e in entries if is_the_read(e)]
    if not hits:
        fail(f"{op}: no entry for the read of {cid} for {PURPOSE!r} among {len(entries)} entries; "
             f"the last: {json.dumps(entries[-3:])[:2000]}")
    steps.append(f"audit: the read is entry seq {hits[-1].get('seq')} "
                 f"({len(entries)} entries, {pages} page(s))")

    # The customer, found by its external_ref.
    op = "GET /v1/customers?external_ref= (list_customers)"
    lst = caller.call(op, list_customers, 200, external_ref=ref).parsed
    ids = [x.customer_id for x in lst.data]
    if cid not in ids:
        fail(f"{op}: {cid} is not listed for external_ref {ref}: {ids}")
    steps.append(f"listed by external_ref: {ids}")

    if caller.undeclared:
        fail("MISMATCH: the server sent properties the document does not declare:\n  "
             + "\n  ".join(caller.undeclared))
    return steps


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("url", nargs="?", default=os.environ.get("CUSTOS_URL"))
    ap.add_argument("key", nargs="?", default=os.environ.get("CUSTOS_KEY"))
    ap.add_argument("outdir", nargs="?", default=os.environ.get("CUSTOS_CLIENT_DIR"))
    ap.add_argument("--openapi", type=Path, help="generate from this document instead")
    args = ap.parse_args()
    if not (args.url and args.key and args.outdir):
        ap.print_usage(sys.stderr)
        print("walkthrough.py: URL, KEY and OUTDIR are required (arguments or $CUSTOS_URL, "
              "$CUSTOS_KEY, $CUSTOS_CLIENT_DIR)", file=sys.stderr)
        return 2
    url = args.url.rstrip("/")
    outdir = Path(args.outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)

    started = time.monotonic()
    try:
        doc = outdir / "openapi.json"
        if args.openapi:
            doc.write_bytes(args.openapi.read_bytes())
        else:
            fetch_document(url, doc)
        client_root, gen_took, warnings = generate(doc, outdir)
        walk_started = time.monotonic()
        steps = walkthrough(url, args.key, client_root)
        walk_took = time.monotonic() - walk_started
    except Failure as e:
        print(f"walkthrough FAILED: {e}", file=sys.stderr)
        return 1
    total = time.monotonic() - started

    print(f"generated {client_root / PACKAGE} from "
          f"{args.openapi or url + '/openapi.json'} in {gen_took:.2f}s")
    for w in warnings:
        print(f"  generator: {w}")
    for s in steps:
        print(f"ok: {s}")
    print(f"walk-through passed in {walk_took:.2f}s (total {total:.2f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
