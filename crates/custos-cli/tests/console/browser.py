"""The console in a real browser: Debian's Chromium driven by Playwright for Python.

Run by `crates/custos-cli/tests/console.rs` against a fresh `custos demo`:

    browser.py BASE_URL USERS_FILE SCREENSHOT_DIR AXE_JS

USERS_FILE holds the demo's `console user ROLE: EMAIL PASSWORD [totp:SECRET]` lines. Every
page is visited and every action taken as the role that does it; the wrong role is refused;
a reveal without a purpose shows nothing; four eyes hold; axe-core finds no serious or
critical violation on any page; forms are filled and sent with the keyboard; no request
leaves 127.0.0.1 and the page's Content-Security-Policy is never violated.
"""

import datetime
import os
import sys
from urllib.parse import urlparse

import pyotp
from playwright.sync_api import sync_playwright

BASE, USERS_FILE, SHOTS, AXE_JS = sys.argv[1:5]
AXE = open(AXE_JS, encoding="utf-8").read()
CUSTOMER = "cus_demo_foreign_individual"
SUBJECT = "sub_demo_foreign_individual"
CASE = "scr_a1c16c334f3b0c41e671274d"
ACCOUNT = "acc_demo_foreign_direct"

users = {}
for line in open(USERS_FILE, encoding="utf-8"):
    head, _, rest = line.strip().partition(": ")
    role = head.removeprefix("console user ")
    parts = rest.split()
    users[role] = {
        "email": parts[0],
        "password": parts[1],
        "totp": parts[2].removeprefix("totp:") if len(parts) > 2 else None,
    }
assert set(users) == {"integrator", "reviewer", "compliance_officer", "auditor", "admin"}, users

outside, csp, checked = [], [], []


def guard(route):
    host = urlparse(route.request.url).hostname
    if host != "127.0.0.1":
        outside.append(route.request.url)
        route.abort()
    else:
        route.continue_()


def axe(page, name):
    """axe-core, evaluated in the page (through the debugger, which the page's CSP does not
    govern): no serious or critical violation."""
    page.evaluate(AXE)
    found = page.evaluate(
        """async () => (await axe.run(document)).violations.map(
            v => ({id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))"""
    )
    bad = [v for v in found if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name}: {bad}"
    checked.append(name)


def shot(page, name):
    page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def look(page, path, name):
    page.goto(BASE + path)
    assert page.url.startswith(BASE + path.split("?")[0]), (path, page.url)
    axe(page, name)
    shot(page, name)


def submit(page, target):
    """Clicks what sends a form, and waits for the page it leads to."""
    with page.expect_navigation():
        target.click()


def notice(page):
    return " ".join(page.locator(".notice").all_inner_texts())


def sign_in(browser, role, start="/console/"):
    """Opens `start` without a session, signs in as `role` there with the keyboard, and is
    taken back to `start`."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.route("**/*", guard)
    page = ctx.new_page()
    page.on(
        "console",
        lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(BASE + start)
    assert "/console/login" in page.url, page.url
    u = users[role]
    page.get_by_label("Email").focus()
    page.keyboard.type(u["email"])
    page.keyboard.press("Tab")
    page.keyboard.type(u["password"])
    if u["totp"]:
        page.keyboard.press("Tab")
        page.keyboard.type(pyotp.TOTP(u["totp"]).now())
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == BASE + start, (role, page.url, notice(page))
    return ctx, page


with sync_playwright() as p:
    browser = p.chromium.launch(
        executable_path="/usr/lib/chromium/chromium",
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    )

    # The sign-in page itself, and a wrong password said inline.
    ctx = browser.new_context()
    ctx.route("**/*", guard)
    page = ctx.new_page()
    look(page, "/console/login", "login")
    page.get_by_label("Email").fill(users["reviewer"]["email"])
    page.get_by_label("Password").fill("not the password")
    submit(page, page.get_by_role("button", name="Sign in"))
    assert "not right" in notice(page), notice(page)
    ctx.close()

    # The reviewer: an address pasted from a ticket leads to the sign-in and back.
    ctx, rev = sign_in(browser, "reviewer", f"/console/customers/{CUSTOMER}")
    axe(rev, "customer")
    shot(rev, "customer")
    assert "Lena" not in rev.content() and "Shown for" not in rev.content()
    # A reveal without a purpose shows nothing: the browser will not send it empty...
    rev.get_by_role("button", name="Show personal data").click()
    assert "Shown for" not in rev.content()
    # ...and blank, the server says why, inline.
    rev.get_by_label("Purpose").fill("   ")
    submit(rev, rev.get_by_role("button", name="Show personal data"))
    assert "State a purpose" in notice(rev), notice(rev)
    assert "Shown for" not in rev.content()
    # With one, typed and sent from the keyboard: shown, and said to be audited.
    rev.get_by_label("Purpose").focus()
    rev.keyboard.type("manual review, ticket R-1182")
    with rev.expect_navigation():
        rev.keyboard.press("Enter")
    assert "Shown for: manual review, ticket R-1182" in rev.content()
    # The customer's linked group is read with the personal data, for the same purpose.
    assert "Linked customers" in rev.content()
    axe(rev, "customer-revealed")
    shot(rev, "customer-revealed")
    # Failing the subject refuses its accounts: it waits for a second person.
    rev.goto(BASE + f"/console/customers/{CUSTOMER}")
    rev.get_by_label("Subject").select_option(SUBJECT)
    rev.get_by_label("Outcome").select_option("failed")
    rev.get_by_label("Reason", exact=True).fill("the document was altered")
    submit(rev, rev.get_by_role("button", name="Record the decision"))
    assert "waits for a second" in notice(rev), notice(rev)
    # The queues, filtered; an item claimed.
    look(rev, "/console/", "home")
    look(rev, "/console/queues/accounts", "queue-accounts")
    first = rev.locator("button", has_text="Claim").first
    submit(rev, first)
    assert "it is yours" in notice(rev), notice(rev)
    assert users["reviewer"]["email"] in rev.content()
    look(rev, "/console/queues/accounts?reason=screening_review", "queue-accounts-filtered")
    look(rev, "/console/queues/cases", "queue-cases")
    # A screening case: what matched, for a purpose; confirming it waits.
    look(rev, f"/console/screening/cases/{CASE}", "case")
    rev.get_by_label("Purpose").fill("screening review")
    submit(rev, rev.get_by_role("button", name="Show what matched"))
    assert "Shown for: screening review" in rev.content()
    rev.get_by_label("A true match").check()
    rev.get_by_label("Reason").fill("same date of birth and passport country")
    submit(rev, rev.get_by_role("button", name="Resolve the case"))
    assert "waits for a second" in notice(rev), notice(rev)
    # The reviewer cannot approve their own decision.
    look(rev, "/console/approvals", "approvals")
    assert rev.locator("button", has_text="Approve").count() == 0
    assert rev.locator("button", has_text="Withdraw").count() == 2
    look(rev, f"/console/accounts/{ACCOUNT}", "account")
    assert rev.get_by_role("button", name="Ask to close").count() == 0
    # Its access events, for a purpose, each proven in the signed log.
    rev.get_by_label("Purpose").fill("abuse report AR-77")
    submit(rev, rev.get_by_role("button", name="Show access events"))
    assert "Shown for: abuse report AR-77" in rev.content()
    assert rev.locator("text=not proven").count() == 0
    axe(rev, "account-events")
    shot(rev, "account-events")
    # Abuse: the reviewer works the demo's phishing case (evidence for a purpose, a
    # suspension, a close for abuse that waits) and takes a report from the form.
    rev.goto(BASE + "/console/abuse")
    axe(rev, "abuse-cases")
    shot(rev, "abuse-cases")
    submit(rev, rev.locator("a[href='/console/abuse/abc_demo_phishing']"))
    axe(rev, "abuse-case")
    shot(rev, "abuse-case")
    rev.get_by_label("Purpose").fill("abuse ticket ABUSE-4411")
    submit(rev, rev.get_by_role("button", name="Show the evidence"))
    assert "Shown for: abuse ticket ABUSE-4411" in rev.content()
    rev.get_by_label("Suspend the account").check()
    submit(rev, rev.get_by_role("button", name="Take the action"))
    assert "Done" in notice(rev), notice(rev)
    assert "account suspended" in rev.content()
    rev.get_by_label("Close the account for abuse").check()
    submit(rev, rev.get_by_role("button", name="Take the action"))
    assert "say why" in notice(rev), notice(rev)
    # The choice is kept; with a note, it is asked.
    assert rev.get_by_label("Close the account for abuse").is_checked()
    rev.get_by_label("Note").fill("phishing kit confirmed on the host")
    submit(rev, rev.get_by_role("button", name="Take the action"))
    assert "waits for a second" in notice(rev), notice(rev)
    assert "Waiting for a second person" in rev.locator("dl").inner_text()
    assert rev.get_by_label("Close the account for abuse").count() == 0
    axe(rev, "abuse-case-waiting")
    shot(rev, "abuse-case-waiting")
    rev.goto(BASE + "/console/abuse")
    rev.get_by_label("IP address").fill("198.51.100.200")
    rev.get_by_label("When (UTC", exact=False).fill("yesterday")
    rev.get_by_label("Category").select_option("spam")
    rev.get_by_label("Evidence", exact=False).fill("a spam run, 30,000 messages")
    submit(rev, rev.get_by_role("button", name="Report"))
    assert "is not a time" in notice(rev), notice(rev)
    assert rev.get_by_label("Evidence", exact=False).input_value() == "a spam run, 30,000 messages"
    hour_ago = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    rev.get_by_label("When (UTC", exact=False).fill(hour_ago.strftime("%Y-%m-%dT%H:%M"))
    submit(rev, rev.get_by_role("button", name="Report"))
    assert "report" in notice(rev).lower(), notice(rev)
    ctx.close()

    # The compliance officer (second factor): approves the confirmation, holds, asks to close.
    ctx, co = sign_in(browser, "compliance_officer", "/console/approvals")
    submit(co, co.locator("tr", has_text="confirm match").get_by_role("button", name="Approve"))
    assert "decision is applied" in notice(co), notice(co)
    co.goto(BASE + f"/console/screening/cases/{CASE}")
    assert "confirmed" in co.locator("dl").inner_text()
    co.goto(BASE + f"/console/customers/{CUSTOMER}")
    co.get_by_label("Reason for a legal hold").fill("subpoena 24-118")
    co.get_by_label("Reference (a case or matter number)").fill("24-118")
    submit(co, co.get_by_role("button", name="Place a legal hold"))
    assert "legal hold is placed" in notice(co), notice(co)
    axe(co, "customer-compliance")
    shot(co, "customer-compliance")
    submit(co, co.get_by_role("button", name="Release").first)
    assert "released" in notice(co), notice(co)
    co.goto(BASE + f"/console/accounts/{ACCOUNT}")
    co.get_by_label("Reason").fill("fraud ring, case 77")
    submit(co, co.get_by_role("button", name="Ask to close"))
    assert "waits for a second" in notice(co), notice(co)
    # Designations: the list and schedule, one entered, whom it will reach, an extension.
    look(co, "/console/designations", "designations")
    co.get_by_label("Id").fill("console-001")
    co.get_by_label("or a foreign person's name").fill("Ivan Testovich Consolev")
    co.get_by_label("Reference (the Federal Register notice)").fill("FR Doc. 2026-00001")
    submit(co, co.get_by_role("button", name="Enter the designation"))
    assert "designation is entered" in notice(co), notice(co)
    submit(co, co.get_by_role("button", name="Preview whom it will reach"))
    assert "customers:" in co.content() or "Screened" in co.content()
    axe(co, "designation")
    shot(co, "designation")
    co.get_by_label("Until (YYYY-MM-DD)").fill("2031-01-01")
    co.get_by_label("Reference (the notice that extends it)").fill("FR Doc. 2026-00002")
    submit(co, co.get_by_role("button", name="Extend the designation"))
    assert "extended" in notice(co), notice(co)
    # A typo in a date is said inline, and nothing is entered.
    co.goto(BASE + "/console/designations")
    co.get_by_label("Id").fill("console-002")
    co.get_by_label("Jurisdiction (ISO country code)").fill("ZZ")
    co.get_by_label("Reference (the Federal Register notice)").fill("FR Doc. 2026-00003")
    submit(co, co.get_by_role("button", name="Enter the designation"))
    assert co.locator(".notice.error").count() == 1, co.content()
    assert "console-002" not in co.locator("table").inner_text()
    # ... and the form keeps what was typed, to be corrected rather than typed again.
    assert co.get_by_label("Id").input_value() == "console-002"
    assert co.get_by_label("Reference (the Federal Register notice)").input_value() == "FR Doc. 2026-00003"
    # The schedule is drawn as a timeline, each bar a link to its designation.
    assert co.locator("svg.timeline-chart rect.bar").count() >= 2
    shot(co, "designations-timeline")
    # The program: deadlines, the certification previewed and downloaded.
    look(co, "/console/compliance", "compliance")
    look(co, "/console/compliance/certification", "certification")
    with co.expect_download() as dl:
        co.evaluate("document.querySelector('a[href*=\"format=pdf\"]').click()")
    pdf = dl.value.path()
    assert open(pdf, "rb").read(5) == b"%PDF-", "the download is not a PDF"
    # The initial certification recorded as filed, naming the official who signs it; a
    # second initial one is refused inline.
    co.goto(BASE + "/console/compliance")
    co.get_by_label("initial", exact=True).check()
    co.get_by_label("Certifying official's name").fill("Dana Whitfield")
    co.get_by_label("Title", exact=True).fill("Chief Compliance Officer")
    submit(co, co.get_by_role("button", name="Record as filed"))
    assert "recorded as filed" in notice(co), notice(co)
    co.get_by_label("initial", exact=True).check()
    submit(co, co.get_by_role("button", name="Record as filed"))
    assert "the next is annual" in notice(co), notice(co)
    # An exemption granted (trial accounts, re-verification lifted), then revoked.
    co.goto(BASE + "/console/compliance")
    co.get_by_label("Why (e.g. the Abuse Deterrence Program accepted by Commerce)").fill(
        "ADP accepted for trials"
    )
    co.get_by_label("a type of account:").check()
    co.get_by_label("offering").select_option("trial")
    co.get_by_label("periodic re-verification").check()
    co.get_by_label("Reference (the authority's)").fill("BIS-EX-2027-01")
    submit(co, co.get_by_role("button", name="Grant the exemption"))
    assert "exemption is granted" in notice(co), notice(co)
    assert "ADP accepted for trials" in co.locator("table", has_text="Lifts").inner_text()
    axe(co, "compliance-exemption")
    submit(co, co.get_by_role("button", name="Revoke"))
    assert "exemption is revoked" in notice(co), notice(co)
    # Resellers and lists.
    look(co, "/console/resellers", "resellers")
    co.goto(BASE + "/console/resellers/acc_demo_reseller")
    axe(co, "reseller")
    shot(co, "reseller")
    # The demo's non-compliance case: a report, then the termination, which waits.
    co.get_by_label("Report (what was reported, to whom)").fill("Reported to BIS by email")
    co.get_by_label("it includes suspected malicious cyber activity").check()
    submit(co, co.get_by_role("button", name="Add the report"))
    assert "report is added" in notice(co), notice(co)
    co.get_by_label("terminated:", exact=False).check()
    co.locator("#why-nc_demo").fill("no CIP after the deadline")
    submit(co, co.get_by_role("button", name="Close the case"))
    assert "waits for a second person" in notice(co), notice(co)
    look(co, "/console/lists", "lists")
    submit(co, co.locator("a[href^='/console/lists/']").first)
    assert "Added" in co.content()
    axe(co, "list-version")
    shot(co, "list-version")
    # Legal process: a preservation recorded (a typo in its account refused inline, what was
    # typed kept), and the demo's approved 2703(d) order produced.
    look(co, "/console/legal", "legal")
    co.get_by_label("Agency").fill("HSI Cyber Crimes Center")
    co.get_by_label("Case number").fill("C3-2026-77")
    co.get_by_label("Legal process").select_option("preservation")
    co.get_by_label("Served (YYYY-MM-DD", exact=False).fill(datetime.date.today().isoformat())
    co.get_by_label("Accounts (ids", exact=False).fill("acc_demo_entity_directx")
    submit(co, co.get_by_role("button", name="Record the request"))
    assert "is not a known account" in notice(co), notice(co)
    assert co.get_by_label("Case number").input_value() == "C3-2026-77"
    co.get_by_label("Accounts (ids", exact=False).fill("acc_demo_entity_direct")
    submit(co, co.get_by_role("button", name="Record the request"))
    assert "is recorded" in notice(co), notice(co)
    assert "Preserved until" in co.content()
    axe(co, "legal-request")
    shot(co, "legal-request")
    look(co, "/console/legal/lreq_demo_order", "legal-order")
    submit(co, co.get_by_role("button", name="Produce"))
    assert "recorded as a disclosure" in notice(co), notice(co)
    assert co.locator("a[href*='/productions/lprod_']").count() == 1
    # The audit trail names the people, with their purposes.
    look(co, "/console/audit?actor=" + users["reviewer"]["email"], "audit")
    trail = co.locator("table").inner_text()
    assert "read customer" in trail and "manual review, ticket R-1182" in trail, trail
    assert "hash chain holds" in notice(co), notice(co)
    # The close for abuse the reviewer asked for, approved; the reference lists kept.
    co.goto(BASE + "/console/approvals")
    submit(co, co.locator("tr", has_text="close for abuse").get_by_role("button", name="Approve"))
    assert "decision is applied" in notice(co), notice(co)
    co.goto(BASE + "/console/abuse/abc_demo_phishing")
    assert "closed" in co.locator("dl").inner_text()
    look(co, "/console/reference", "reference")
    ranges = os.path.abspath("ranges.csv")
    with open(ranges, "w", encoding="utf-8") as f:
        f.write("network,kind,provider\n203.0.113.0/24,hosting,Example Cloud\n203.0.113.7/32,tor,\n")
    co.get_by_label("Kind").select_option("ip-ranges")
    co.get_by_label("File").set_input_files(ranges)
    submit(co, co.get_by_role("button", name="Import"))
    assert "version 1 is in use" in notice(co), notice(co)
    co.get_by_label("What").select_option("ip")
    co.get_by_label("Value").fill("203.0.113.7")
    submit(co, co.get_by_role("button", name="Look up"))
    assert "tor" in co.locator("dl").inner_text()
    axe(co, "reference-lookup")
    shot(co, "reference-lookup")
    # Sharing: the demo's collection every peer reads; its incident, reported from the form.
    look(co, "/console/sharing", "sharing")
    assert "every peer" in co.locator("table").first.inner_text()
    look(co, "/console/incidents", "incidents")
    submit(co, co.locator("a[href='/console/incidents/inc_demo_scanning']"))
    axe(co, "incident")
    shot(co, "incident")
    assert "Systems affected: 14" in co.content()
    co.get_by_label("To (separated by commas)").fill("CISA")
    co.get_by_label("Their reference").fill("CISA-2026-4411")
    submit(co, co.get_by_role("button", name="Record the report"))
    assert "its clock has stopped" in notice(co), notice(co)
    assert "CISA (reference CISA-2026-4411)" in co.content()
    ctx.close()

    # The admin approves the close; the reviewer's refusal is rejected.
    ctx, adm = sign_in(browser, "admin", "/console/approvals")
    submit(adm, adm.locator("tr", has_text="close account").get_by_role("button", name="Approve"))
    assert "decision is applied" in notice(adm), notice(adm)
    submit(adm, adm.locator("tr", has_text="refuse subject").get_by_role("button", name="Reject"))
    assert "nothing was applied" in notice(adm), notice(adm)
    submit(adm, adm.locator("tr", has_text="terminate reseller").get_by_role("button", name="Approve"))
    assert "decision is applied" in notice(adm), notice(adm)
    adm.goto(BASE + "/console/resellers/acc_demo_reseller")
    assert "no CIP after the deadline" in adm.content()
    adm.goto(BASE + f"/console/accounts/{ACCOUNT}")
    assert "closed" in adm.locator("dl").inner_text()
    ctx.close()

    # The wrong roles: an integrator reads no personal data and decides nothing; an auditor
    # reads, but decides nothing.
    ctx, integ = sign_in(browser, "integrator")
    integ.goto(BASE + f"/console/customers/{CUSTOMER}")
    assert "does not read personal data" in integ.content()
    assert integ.get_by_role("button", name="Record the decision").count() == 0
    integ.goto(BASE + "/console/approvals")
    assert "Not allowed" in integ.content()
    assert integ.locator("nav").get_by_text("Approvals").count() == 0
    ctx.close()
    ctx, aud = sign_in(browser, "auditor")
    aud.goto(BASE + f"/console/customers/{CUSTOMER}")
    assert aud.get_by_role("button", name="Show personal data").count() == 1
    assert aud.get_by_role("button", name="Record the decision").count() == 0
    assert aud.get_by_role("button", name="Place a legal hold").count() == 0
    # Signing out ends the session.
    submit(aud, aud.get_by_role("button", name="Sign out"))
    aud.goto(BASE + "/console/")
    assert "/console/login" in aud.url
    ctx.close()
    browser.close()

assert not outside, f"requests left 127.0.0.1: {outside}"
assert not csp, f"the Content-Security-Policy was violated: {csp}"
print(f"console browser tests passed; axe-core checked {len(checked)} pages: {', '.join(checked)}")
