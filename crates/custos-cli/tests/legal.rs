//! Legal process through the CLI, as a legal team meets it: a served subpoena recorded,
//! approved by a second person, produced as a records package that proves itself (checked by
//! custos, by the Library of Congress's `bagit` and by an independent verifier written from
//! the standards), and a preservation that keeps an account's events through retention.

mod common;

use common::*;
use std::path::Path;

const VERIFIER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/legal/verify_package.py");

/// A demo installation (its server stopped), with events of three accounts in the ledger.
fn demo_with_events(d: &Path) {
    drop(start(d, &["demo"]));
    let mut lines = String::new();
    for i in 0..60 {
        let acc = [
            "acc_demo_foreign_direct",
            "acc_demo_us_direct",
            "acc_demo_sublessee_1",
        ][i % 3];
        let mut e = serde_json::json!({
            "account_id": acc,
            "time": format!("2026-11-{:02}T10:{:02}:00.123456789Z", 1 + i % 28, i % 60),
            "ip": if i % 5 == 0 { "2001:db8::1".to_owned() } else { format!("203.0.113.{}", i % 7) },
            "action": (["login", "ssh", "api_call", "admin_change"][i % 4]),
            "source": "sso",
        });
        if i % 2 == 1 {
            e["port"] = 22.into();
            e["user_agent"] = "Mozilla/5.0 (X11, \"quoted\"), comma".into();
            e["actor"] = "ops@example.de".into();
        }
        if i % 7 == 0 {
            e["request_id"] = format!("req-{i}").into();
        }
        if i % 8 == 1 {
            // An SSH login's key: its 32 bytes are in the leaf, which the independent
            // verifier recomputes from the CSV.
            e["ssh_key_fingerprint"] = format!(
                "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuF{}",
                ["U", "E", "Q", "0"][(i / 8) % 4]
            )
            .into();
        }
        lines.push_str(&e.to_string());
        lines.push('\n');
    }
    let f = d.join("events.ndjson");
    std::fs::write(&f, lines).unwrap();
    ok_in(d, &["ingest", "file", f.to_str().unwrap()]);
}

fn python(args: &[&str]) -> (bool, String) {
    let o = std::process::Command::new("python3")
        .args(args)
        .output()
        .expect("python3 runs");
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

fn request_id(out: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(out).unwrap();
    v["id"].as_str().unwrap().to_owned()
}

#[test]
fn a_subpoena_is_recorded_approved_and_produced_as_a_package_that_proves_itself() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    demo_with_events(d);
    let base = [
        "--actor",
        "alice",
        "legal",
        "requests",
        "add",
        "--agency",
        "FBI Cyber Division",
        "--case",
        "2027-CY-0042",
        "--served-at",
        "2026-12-01T15:00:00Z",
        "--due",
        "2026-12-20",
    ];
    let with = |extra: &[&str]| -> Vec<String> {
        base.iter()
            .chain(extra.iter())
            .map(|s| s.to_string())
            .collect()
    };
    let run_fails = |extra: &[&str], why: &str| {
        let args = with(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        fails_in(d, &args, why);
    };
    // The wrong paths: a typo in an account, an instrument that does not reach a category,
    // an emergency without its justification, an unknown instrument, nothing in scope.
    run_fails(
        &[
            "--instrument",
            "subpoena",
            "--account",
            "acc_demo_foreign_directt",
        ],
        "`scope.accounts[0]`: is not a known account",
    );
    run_fails(
        &[
            "--instrument",
            "subpoena",
            "--account",
            "acc_demo_foreign_direct",
            "--category",
            "verification",
        ],
        "a subpoena does not reach `verification`",
    );
    run_fails(
        &[
            "--instrument",
            "emergency",
            "--account",
            "acc_demo_foreign_direct",
        ],
        "justification",
    );
    run_fails(
        &[
            "--instrument",
            "subpena",
            "--account",
            "acc_demo_foreign_direct",
        ],
        "--instrument `subpena` is not one of",
    );
    run_fails(
        &["--instrument", "subpoena"],
        "name the accounts, customers",
    );
    assert!(!ok_in(d, &["legal", "requests", "ls"]).contains("2027-CY-0042"));

    let served = d.join("subpoena.pdf");
    std::fs::write(&served, b"%PDF-1.4 the served subpoena").unwrap();
    let args = with(&[
        "--instrument",
        "subpoena",
        "--account",
        "acc_demo_foreign_direct",
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-05",
        "--officer",
        "Jane Roe",
        "--officer-email",
        "jane.roe@fbi.example",
        "--document",
        served.to_str().unwrap(),
        "--json",
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = ok_in(d, &args);
    let id = request_id(&out);
    // The same subpoena recorded again (a retry) is refused, naming the first.
    fails_in(
        d,
        &args,
        &format!("is recorded already: legal request {id}"),
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["state"], "received");
    assert!(v["approval_id"].as_str().unwrap().starts_with("apr_"));
    let (_, sha) = python(&[
        "-c",
        "import hashlib; print(hashlib.sha256(b'%PDF-1.4 the served subpoena').hexdigest())",
    ]);
    assert_eq!(v["document"]["sha256"], sha.trim());
    // Nothing is produced before a second person approves, and not by the one who asked.
    let pkg = d.join("pkg");
    let pkg_s = pkg.to_str().unwrap();
    fails_in(
        d,
        &["legal", "package", &id, pkg_s],
        "a second person approves a production first",
    );
    fails_in(
        d,
        &["--actor", "alice", "legal", "approve", &id],
        "a second, different person must approve",
    );
    // One person under another spelling of the name is still the one who asked.
    fails_in(
        d,
        &["--actor", "ALICE", "legal", "approve", &id],
        "a second, different person must approve",
    );
    let out = ok_in(d, &["--actor", "bob", "legal", "approve", &id]);
    assert!(out.contains("(approved)"), "{out}");
    fails_in(
        d,
        &["--actor", "bob", "legal", "approve", &id],
        "is approved already",
    );

    let out = ok_in(d, &["legal", "package", &id, pkg_s]);
    assert!(out.contains("wrote"), "{out}");
    // Never over anything.
    fails_in(d, &["legal", "package", &id, pkg_s], "exists");
    let zip = d.join("pkg.zip");
    ok_in(d, &["legal", "package", &id, zip.to_str().unwrap()]);

    // What a subpoena reaches, and nothing else.
    let json =
        std::fs::read_to_string(pkg.join("data/subscriber/cus_demo_foreign_individual.json"))
            .unwrap();
    let rec: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(rec["subscriber"]["profile"]["full_name"], "Lena Fischer");
    for absent in [
        "verification",
        "documents",
        "screening",
        "decisions",
        "beneficial_owners",
    ] {
        assert!(
            rec.get(absent).is_none(),
            "a subpoena package holds {absent}: {json}"
        );
    }
    assert!(!json.contains("date_of_birth"), "{json}");
    let csv = std::fs::read_to_string(pkg.join("data/access/events.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 20, "{csv}");
    assert!(
        csv.lines()
            .skip(1)
            .all(|l| l.contains("acc_demo_foreign_direct"))
    );
    let decl = std::fs::read_to_string(pkg.join("data/declaration.html")).unwrap();
    assert!(decl.contains("28 U.S.C. § 1746"), "{decl}");
    assert!(decl.contains("Custodian&#39;s name") || decl.contains("Custodian's name"));

    // custos, bagit and the independent verifier agree that it holds, as a directory and as a
    // zip.
    let out = ok_in(d, &["legal", "verify-package", pkg_s]);
    assert!(out.contains("20 event(s) proven"), "{out}");
    ok_in(d, &["legal", "verify-package", zip.to_str().unwrap()]);
    let (good, out) = python(&[VERIFIER, pkg_s]);
    assert!(good, "{out}");
    assert!(
        out.starts_with("ok ") && out.trim().ends_with(" 20"),
        "{out}"
    );
    let unzipped = d.join("unzipped");
    std::fs::create_dir(&unzipped).unwrap();
    let (good, out) = python(&[
        "-c",
        "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])",
        zip.to_str().unwrap(),
        unzipped.to_str().unwrap(),
    ]);
    assert!(good, "{out}");
    let (good, out) = python(&[VERIFIER, unzipped.join("pkg").to_str().unwrap()]);
    assert!(good, "{out}");

    // Flipping any byte of any file is found, naming what failed.
    let files = files_under(&pkg);
    assert!(files.len() > 20);
    for (path, bytes) in &files {
        for at in [0, bytes.len() / 2, bytes.len() - 1] {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x01;
            std::fs::write(path, &flipped).unwrap();
            let o = custos(d, &["legal", "verify-package", pkg_s]);
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(
                !o.status.success() && err.contains("does not verify"),
                "{} byte {at} flipped: {err}",
                path.display()
            );
            std::fs::write(path, bytes).unwrap();
        }
    }
    ok_in(d, &["legal", "verify-package", pkg_s]);
    // The zip is read in place: a byte changed in what it holds is found too (a proof's, the
    // PDF's; a byte of the zip's own bookkeeping, a time stamp, changes no record).
    let bytes = std::fs::read(&zip).unwrap();
    let find = |needle: &[u8]| {
        bytes
            .windows(needle.len())
            .position(|w| w == needle)
            .unwrap()
    };
    for at in [find(b"c2sp.org/tlog-proof@v1") + 30, find(b"%PDF-") + 3] {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x01;
        std::fs::write(&zip, &flipped).unwrap();
        fails_in(
            d,
            &["legal", "verify-package", zip.to_str().unwrap()],
            "does not verify",
        );
    }
    std::fs::write(&zip, &bytes).unwrap();
    // A row changed, with its manifests made to match: the leaf hash finds it, and so does the
    // independent verifier.
    let forged = csv.replacen("203.0.113.", "198.51.100.", 1);
    std::fs::write(pkg.join("data/access/events.csv"), &forged).unwrap();
    let rehash = "import hashlib, sys, bagit\nb = bagit.Bag(sys.argv[1])\nb.save(manifests=True)";
    let (good, out) = python(&["-c", rehash, pkg_s]);
    assert!(good, "{out}");
    let o = custos(d, &["legal", "verify-package", pkg_s]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("do not give its leaf hash"), "{err}");
    let (good, out) = python(&[VERIFIER, pkg_s]);
    assert!(
        !good && out.contains("does not give its leaf hash"),
        "{out}"
    );

    // The declaration's PDF of another production in its place (the manifests made to
    // match): it names other records, and that is found.
    std::fs::write(pkg.join("data/access/events.csv"), &csv).unwrap();
    std::fs::copy(
        unzipped.join("pkg/data/declaration.pdf"),
        pkg.join("data/declaration.pdf"),
    )
    .unwrap();
    let (good, out) = python(&["-c", rehash, pkg_s]);
    assert!(good, "{out}");
    let o = custos(d, &["legal", "verify-package", pkg_s]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("declaration.pdf does not name"), "{err}");

    // A package without its declaration, or with a row twice and a stray proof (manifests
    // made to match each time), is refused; so is a zip with an entry beside its bag.
    std::fs::copy(
        unzipped.join("pkg/data/declaration.pdf"),
        d.join("other.pdf"),
    )
    .unwrap();
    std::fs::remove_file(pkg.join("data/declaration.pdf")).unwrap();
    let (good, out) = python(&["-c", rehash, pkg_s]);
    assert!(good, "{out}");
    fails_in(
        d,
        &["legal", "verify-package", pkg_s],
        "declaration.pdf is missing",
    );
    let (good, out) = python(&[
        "-c",
        "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1], 'a')\nz.writestr('evil.txt', 'x')",
        zip.to_str().unwrap(),
    ]);
    assert!(good, "{out}");
    fails_in(
        d,
        &["legal", "verify-package", zip.to_str().unwrap()],
        "lies outside the bag",
    );
    // Never over a dangling link either.
    let link = d.join("link");
    std::os::unix::fs::symlink(d.join("nowhere"), &link).unwrap();
    fails_in(
        d,
        &["legal", "package", &id, link.to_str().unwrap()],
        "exists",
    );
    assert!(!d.join("nowhere").exists());

    // Every production is an accounted disclosure.
    let shown = ok_in(d, &["legal", "requests", "show", &id, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(v["state"], "produced");
    assert_eq!(v["productions"].as_array().unwrap().len(), 2);
    assert_eq!(v["productions"][0]["recipient"], "FBI Cyber Division");
    assert_eq!(v["sealed"]["officer"]["name"], "Jane Roe");
    // The approver is the second person, not the one who asked.
    assert_eq!(v["received_by"], "alice");
    assert_eq!(v["approved_by"], "bob");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_preservation_keeps_an_accounts_events_through_retention() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    demo_with_events(d);
    // Both customers leave: their accounts close, and retention will come for them.
    let integrator = ok_in(d, &["keys", "create", "--role", "integrator"]);
    let s = start(d, &["serve"]);
    for acc in ["acc_demo_foreign_direct", "acc_demo_us_direct"] {
        let (st, r) = call(
            &s,
            integrator.trim(),
            "POST",
            &format!("/v1/accounts/{acc}/close"),
            Some(serde_json::json!({"reason": "left"})),
        )
        .await;
        assert_eq!(st, 200, "{r}");
    }
    drop(s);
    let out = ok_in(
        d,
        &[
            "legal",
            "preserve",
            "--agency",
            "HSI Cyber Crimes Center",
            "--case",
            "C3-2026-77",
            "--account",
            "acc_demo_foreign_direct",
            "--json",
        ],
    );
    let id = request_id(&out);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["preserved_until"].is_string(), "{out}");
    assert!(v.get("approval_id").is_none(), "{out}");
    // A preservation produces nothing.
    fails_in(
        d,
        &["legal", "package", &id, d.join("p").to_str().unwrap()],
        "is a preservation",
    );
    // A preservation the agency withdrew keeps nothing.
    let out = ok_in(
        d,
        &[
            "legal",
            "preserve",
            "--agency",
            "HSI",
            "--case",
            "C3-2026-78",
            "--account",
            "acc_demo_us_direct",
            "--json",
        ],
    );
    let other = request_id(&out);
    ok_in(d, &["legal", "requests", "withdraw", &other]);
    // Retention judged as of a day every demo record is due: the preserved customer and its
    // events stay; another's events are purged.
    let out = ok_in(
        d,
        &[
            "retention",
            "run",
            "--as-of",
            "2040-01-01T00:00:00Z",
            "--json",
        ],
    );
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        r["held"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h[0] == "cus_demo_foreign_individual"),
        "{out}"
    );
    let q = |acc: &str| {
        ok_in(
            d,
            &[
                "ledger",
                "query",
                "--account",
                acc,
                "--from",
                "2026-01-01",
                "--to",
                "2026-12-31",
                "--purpose",
                "test",
                "--json",
            ],
        )
    };
    let kept: serde_json::Value = serde_json::from_str(&q("acc_demo_foreign_direct")).unwrap();
    assert_eq!(kept["events"].as_array().unwrap().len(), 20, "{kept}");
    let gone: serde_json::Value = serde_json::from_str(&q("acc_demo_us_direct")).unwrap();
    assert_eq!(gone["events"].as_array().unwrap().len(), 0, "{gone}");
    assert!(
        r["destroyed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["customer_id"] == "cus_demo_us_individual"),
        "{out}"
    );
    // Extended once, never twice.
    let out = ok_in(
        d,
        &[
            "legal",
            "preserve",
            "--extend",
            &id,
            "--note",
            "renewed letter",
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["preservation_extended"], true);
    fails_in(
        d,
        &["legal", "preserve", "--extend", &id],
        "was extended once already",
    );
    // The deadlines calendar shows when it lapses.
    let cal = ok_in(d, &["compliance", "deadlines", "--within", "400", "--json"]);
    let cal: serde_json::Value = serde_json::from_str(&cal).unwrap();
    assert!(
        cal.as_array()
            .unwrap()
            .iter()
            .any(|e| e["subject"] == id.as_str() && e["clock"] == "preservation_ends"),
        "{cal}"
    );
}

#[test]
fn while_the_server_runs_it_writes_the_package_a_command_asks_for() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let _server = start(d, &["demo"]);
    // The demo's 2703(d) order, approved: the running server holds the ledger and writes it.
    let out = ok_in(d, &["legal", "requests", "ls"]);
    assert!(out.contains("lreq_demo_order"), "{out}");
    let pkg = d.join("order.zip");
    let out = ok_in(
        d,
        &["legal", "package", "lreq_demo_order", pkg.to_str().unwrap()],
    );
    assert!(out.contains("wrote"), "{out}");
    let out = ok_in(d, &["legal", "verify-package", pkg.to_str().unwrap()]);
    assert!(out.contains("the package holds"), "{out}");
    // What the order reaches: verification too.
    let unzipped = d.join("order");
    let (good, o) = python(&[
        "-c",
        "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])",
        pkg.to_str().unwrap(),
        unzipped.to_str().unwrap(),
    ]);
    assert!(good, "{o}");
    let rec =
        std::fs::read_to_string(unzipped.join("order/data/subscriber/cus_demo_screened.json"))
            .unwrap();
    assert!(rec.contains("\"verification\""), "{rec}");
    assert!(rec.contains("\"screening\""), "{rec}");
    // The subpoena waits for its second person: refused while the server runs too.
    fails_in(
        d,
        &[
            "legal",
            "package",
            "lreq_demo_subpoena",
            d.join("s").to_str().unwrap(),
        ],
        "a second person approves a production first",
    );
}

/// A package of more events than one run of proofs (4,096), made on several threads while
/// the zip is written: custos and the independent verifier find every proof in place.
#[test]
fn a_package_of_many_runs_of_events_proves_itself() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    drop(start(d, &["demo"]));
    let mut lines = String::new();
    for i in 0..10_000u32 {
        let acc = if i % 5 == 0 {
            "acc_demo_us_direct"
        } else {
            "acc_demo_foreign_direct"
        };
        let e = serde_json::json!({
            "account_id": acc,
            "time": format!("2026-11-{:02}T{:02}:{:02}:{:02}Z", 1 + i / 3600 % 28, i / 60 % 24, i % 60, i % 59),
            "ip": format!("198.51.100.{}", i % 250),
            "action": "api_call",
            "source": "api",
        });
        lines.push_str(&e.to_string());
        lines.push('\n');
    }
    let f = d.join("events.ndjson");
    std::fs::write(&f, lines).unwrap();
    ok_in(d, &["ingest", "file", f.to_str().unwrap()]);
    let out = ok_in(
        d,
        &[
            "--actor",
            "alice",
            "legal",
            "requests",
            "add",
            "--agency",
            "FBI Cyber Division",
            "--case",
            "2027-CY-0099",
            "--served-at",
            "2026-12-01T15:00:00Z",
            "--instrument",
            "subpoena",
            "--account",
            "acc_demo_foreign_direct",
            "--json",
        ],
    );
    let id = request_id(&out);
    ok_in(d, &["--actor", "bob", "legal", "approve", &id]);
    let (pkg, zip) = (d.join("many"), d.join("many.zip"));
    ok_in(d, &["legal", "package", &id, pkg.to_str().unwrap()]);
    ok_in(d, &["legal", "package", &id, zip.to_str().unwrap()]);
    for p in [&pkg, &zip] {
        let out = ok_in(d, &["legal", "verify-package", p.to_str().unwrap()]);
        assert!(out.contains("8000 event(s) proven"), "{out}");
    }
    let csv = std::fs::read_to_string(pkg.join("data/access/events.csv")).unwrap();
    let indexes: Vec<u64> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(indexes.len(), 8000);
    assert!(indexes.windows(2).all(|w| w[0] < w[1]), "in log order");
    let (good, out) = python(&[VERIFIER, pkg.to_str().unwrap()]);
    assert!(good, "{out}");
    assert!(out.trim().ends_with(" 8000"), "{out}");
}
